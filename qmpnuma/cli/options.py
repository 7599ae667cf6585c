"""The option table: which options exist and which take an argument.

Counterpart: qemu-options.hx (the QEMUOption table) and vl.c lookup_opt().
``-opt`` and ``--opt`` are the same option; an argument is always the next
word.  We list the options that QEMU 7.2 has and that management software
(libvirt, QEMU's Python machine library) passes to a NUMA machine, and the
help options; anything else, including QEMU options that we do not emulate
(``-drive``, ``-netdev``...), is an ``invalid option`` exactly as an
unknown one is in QEMU.  Words not starting with ``-`` are disk images in
QEMU, which we do not emulate either.

The QemuOpts lists for the options parsed with QemuOpts are here too
(vl.c, hw/core/numa.c, softmmu/... qemu_*_opts), reduced to the descriptors
QEMU 7.2 declares.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from qmpnuma.cli.qemu_opts import OptType, QemuOptDesc, QemuOptsList
from qmpnuma.errors import GenericError

__all__ = [
    "Opt",
    "QEMUOption",
    "ParsedOption",
    "lookup_opt",
    "is_option",
    "OptionError",
    "disk_image_error",
    "split_argv",
    "NUMA_OPTS",
    "MEMORY_OPTS",
    "OBJECT_OPTS",
    "DEVICE_OPTS",
    "NAME_OPTS",
    "OVERCOMMIT_OPTS",
    "OVERCOMMIT_OPTS_MEM_LOCK_STRING",
    "MSG_OPTS",
    "ACCEL_OPTS",
    "CHARDEV_OPTS",
    "MON_OPTS",
    "RTC_OPTS",
    "BOOT_OPTS",
    "SANDBOX_OPTS",
    "SMBIOS_OPTS",
    "GLOBAL_OPTS",
]


class Opt(enum.Enum):
    """QEMU_OPTION_*: one member per option we know, valued by its spelling."""

    machine = "machine"
    M = "M"
    m = "m"
    mem_path = "mem-path"
    mem_prealloc = "mem-prealloc"
    smp = "smp"
    numa = "numa"
    object = "object"
    device = "device"
    cpu = "cpu"
    accel = "accel"
    enable_kvm = "enable-kvm"
    S = "S"
    preconfig = "preconfig"
    name = "name"
    uuid = "uuid"
    pidfile = "pidfile"
    daemonize = "daemonize"
    qmp = "qmp"
    qmp_pretty = "qmp-pretty"
    monitor = "monitor"
    chardev = "chardev"
    mon = "mon"
    nodefaults = "nodefaults"
    nographic = "nographic"
    display = "display"
    no_user_config = "no-user-config"
    overcommit = "overcommit"
    rtc = "rtc"
    no_shutdown = "no-shutdown"
    no_reboot = "no-reboot"
    boot = "boot"
    msg = "msg"
    sandbox = "sandbox"
    smbios = "smbios"
    global_ = "global"
    #: Not QEMU's: record the QMP traffic as JSON lines (qmpnuma.record).
    qmpnuma_record = "qmpnuma-record"
    no_acpi = "no-acpi"
    no_hpet = "no-hpet"
    usb = "usb"
    vga = "vga"
    serial = "serial"
    parallel = "parallel"
    audiodev = "audiodev"
    h = "h"
    help = "help"
    version = "version"
    #: qmpnuma's own: the emulated guest's behaviour (silent or scripted).
    qmpnuma_guest = "qmpnuma-guest"


@dataclass(frozen=True)
class QEMUOption:
    opt: Opt
    #: HAS_ARG in qemu-options.hx: the next word is the argument.
    has_arg: bool


#: qemu-options.hx, for the options of :class:`Opt`.
_TABLE: dict[str, QEMUOption] = {
    o.opt.value: o
    for o in (
        QEMUOption(Opt.machine, True),
        QEMUOption(Opt.M, True),
        QEMUOption(Opt.m, True),
        QEMUOption(Opt.mem_path, True),
        QEMUOption(Opt.mem_prealloc, False),
        QEMUOption(Opt.smp, True),
        QEMUOption(Opt.numa, True),
        QEMUOption(Opt.object, True),
        QEMUOption(Opt.device, True),
        QEMUOption(Opt.cpu, True),
        QEMUOption(Opt.accel, True),
        QEMUOption(Opt.enable_kvm, False),
        QEMUOption(Opt.S, False),
        QEMUOption(Opt.preconfig, False),
        QEMUOption(Opt.name, True),
        QEMUOption(Opt.uuid, True),
        QEMUOption(Opt.pidfile, True),
        QEMUOption(Opt.daemonize, False),
        QEMUOption(Opt.qmp, True),
        QEMUOption(Opt.qmp_pretty, True),
        QEMUOption(Opt.monitor, True),
        QEMUOption(Opt.chardev, True),
        QEMUOption(Opt.mon, True),
        QEMUOption(Opt.nodefaults, False),
        QEMUOption(Opt.nographic, False),
        QEMUOption(Opt.display, True),
        QEMUOption(Opt.no_user_config, False),
        QEMUOption(Opt.overcommit, True),
        QEMUOption(Opt.rtc, True),
        QEMUOption(Opt.no_shutdown, False),
        QEMUOption(Opt.no_reboot, False),
        QEMUOption(Opt.boot, True),
        QEMUOption(Opt.msg, True),
        QEMUOption(Opt.sandbox, True),
        QEMUOption(Opt.smbios, True),
        QEMUOption(Opt.global_, True),
        QEMUOption(Opt.qmpnuma_record, True),
        QEMUOption(Opt.no_acpi, False),
        QEMUOption(Opt.no_hpet, False),
        QEMUOption(Opt.usb, False),
        QEMUOption(Opt.vga, True),
        QEMUOption(Opt.serial, True),
        QEMUOption(Opt.parallel, True),
        QEMUOption(Opt.audiodev, True),
        QEMUOption(Opt.h, False),
        QEMUOption(Opt.help, False),
        QEMUOption(Opt.version, False),
        QEMUOption(Opt.qmpnuma_guest, True),
    )
}

# softmmu/vl.c lookup_opt
INVALID_OPTION = "invalid option"
REQUIRES_ARGUMENT = "requires an argument"
# block/file-posix.c raw_open_common, for a disk image word: we have no disks.
NO_DISK_IMAGE = "Could not open '{}': No such file or directory"
UNKNOWN_PROTOCOL = "Unknown protocol '{}'"
#: The protocol_name of every block driver of Debian's QEMU (block/*.c).
BLOCK_PROTOCOLS = frozenset({
    "blkdebug", "blkverify", "fat", "file", "ftp", "ftps", "gluster", "gluster+rdma",
    "gluster+tcp", "gluster+unix", "host_cdrom", "host_device", "http", "https", "iscsi",
    "iser", "nbd", "nbd+tcp", "nbd+unix", "nfs", "null-aio", "null-co", "nvme", "rbd", "ssh",
})  # fmt: skip
#: Protocols whose filename is a host path after the prefix (file-posix.c).
PATH_PROTOCOLS = ("file", "host_device", "host_cdrom")


@dataclass(frozen=True)
class ParsedOption:
    """One option as typed: ``location`` is QEMU's error location for it."""

    #: None for a word that does not start with ``-``: a disk image to QEMU.
    option: QEMUOption | None
    #: The spelling used (``-numa`` or ``--numa``), or the image word.
    spelling: str
    arg: str | None

    @property
    def location(self) -> str:
        """loc_set_cmdline: the option word and its argument, space-joined."""
        return self.spelling if self.arg is None else f"{self.spelling} {self.arg}"


def disk_image_error(word: str) -> OptionError:
    """What QEMU says when it opens a disk image word: we have no disks.

    block.c bdrv_find_protocol: a word with a colon before any slash names
    a protocol; ``file:`` and the host device ones name a path after it.
    The other protocols' own complaints (URI syntax...) are not modelled.
    """
    protocol, colon, path = word.partition(":")
    if colon and "/" not in protocol and protocol != "json":
        if protocol not in BLOCK_PROTOCOLS:
            return OptionError(UNKNOWN_PROTOCOL.format(protocol), word)
        if protocol in PATH_PROTOCOLS:
            return OptionError(NO_DISK_IMAGE.format(path), word)
    return OptionError(NO_DISK_IMAGE.format(word), word)


class OptionError(GenericError):
    """A word of argv that is not a usable option; ``location`` is that word."""

    def __init__(self, desc: str, location: str) -> None:
        super().__init__(desc)
        self.location = location


def lookup_opt(argv: list[str], index: int) -> tuple[ParsedOption, int]:
    """vl.c lookup_opt: the option at ``argv[index]`` and the index after it.

    A word without a leading ``-`` comes back with ``option`` None: QEMU
    only fails on it when it opens the disk image, after the first pass.

    Raises:
        OptionError: ``invalid option`` or ``requires an argument``.
    """
    word = argv[index]
    if not word.startswith("-"):
        return ParsedOption(None, word, None), index + 1
    name = word[2:] if word.startswith("--") else word[1:]
    option = _TABLE.get(name)
    if option is None:
        raise OptionError(INVALID_OPTION, word)
    if not option.has_arg:
        return ParsedOption(option, word, None), index + 1
    if index + 1 >= len(argv):
        raise OptionError(REQUIRES_ARGUMENT, word)
    return ParsedOption(option, word, argv[index + 1]), index + 2


def is_option(name: str) -> bool:
    """Whether ``-name`` is an option qmpnuma accepts."""
    return name in _TABLE


def split_argv(argv: list[str]) -> list[ParsedOption]:
    """vl.c's first pass: look every option up before acting on any.

    Raises:
        OptionError: for the first bad word.
    """
    parsed: list[ParsedOption] = []
    index = 0
    while index < len(argv):
        option, index = lookup_opt(argv, index)
        parsed.append(option)
    return parsed


def _desc(*pairs: tuple[str, OptType]) -> tuple[QemuOptDesc, ...]:
    return tuple(QemuOptDesc(name, t) for name, t in pairs)


_S, _B, _N, _Z = OptType.STRING, OptType.BOOL, OptType.NUMBER, OptType.SIZE

#: hw/core/numa.c qemu_numa_opts: typed later by the OptsVisitor.
NUMA_OPTS = QemuOptsList("numa", implied_opt_name="type")
#: softmmu/vl.c qemu_mem_opts
MEMORY_OPTS = QemuOptsList(
    "memory",
    implied_opt_name="size",
    merge_lists=True,
    desc=_desc(("size", _Z), ("slots", _N), ("maxmem", _Z)),
)
#: softmmu/vl.c qemu_object_opts: typed later by the OptsVisitor.
OBJECT_OPTS = QemuOptsList("object", implied_opt_name="qom-type")
#: softmmu/qdev-monitor.c qemu_device_opts: the device types check the options.
DEVICE_OPTS = QemuOptsList("device", implied_opt_name="driver")
#: softmmu/vl.c qemu_name_opts
NAME_OPTS = QemuOptsList(
    "name",
    implied_opt_name="guest",
    merge_lists=True,
    desc=_desc(("guest", _S), ("process", _S), ("debug-threads", _B)),
)
#: softmmu/vl.c qemu_overcommit_opts: no implied name, no merging (each
#: -overcommit sets both values anew).
OVERCOMMIT_OPTS = QemuOptsList("overcommit", desc=_desc(("mem-lock", _B), ("cpu-pm", _B)))
#: The same once mem-lock is a string (Profile.mem_lock_values).
OVERCOMMIT_OPTS_MEM_LOCK_STRING = QemuOptsList(
    "overcommit", desc=_desc(("mem-lock", _S), ("cpu-pm", _B))
)
#: softmmu/vl.c qemu_msg_opts
MSG_OPTS = QemuOptsList(
    "msg", implied_opt_name="timestamp", desc=_desc(("timestamp", _B), ("guest-name", _B))
)
#: accel/accel-softmmu.c qemu_accel_opts: properties are the accelerator's.
ACCEL_OPTS = QemuOptsList("accel", implied_opt_name="accel")
#: chardev/char.c qemu_chardev_opts, the socket-related part.
CHARDEV_OPTS = QemuOptsList(
    "chardev",
    implied_opt_name="backend",
    desc=_desc(
        ("backend", _S),
        ("path", _S),
        ("host", _S),
        ("port", _S),
        ("fd", _S),
        ("local", _S),
        ("localaddr", _S),
        ("localport", _S),
        ("to", _N),
        ("ipv4", _B),
        ("ipv6", _B),
        ("wait", _B),
        ("server", _B),
        ("delay", _B),
        ("nodelay", _B),
        ("reconnect", _N),
        ("telnet", _B),
        ("tn3270", _B),
        ("websocket", _B),
        ("tls-creds", _S),
        ("tls-authz", _S),
        ("mux", _B),
        ("signal", _B),
        ("name", _S),
        ("debug", _N),
        ("logfile", _S),
        ("logappend", _B),
        ("abstract", _B),
        ("tight", _B),
    ),
)
#: softmmu/vl.c qemu_mon_opts
MON_OPTS = QemuOptsList(
    "mon",
    implied_opt_name="chardev",
    desc=_desc(("mode", _S), ("chardev", _S), ("pretty", _B)),
)
#: softmmu/vl.c qemu_rtc_opts
RTC_OPTS = QemuOptsList(
    "rtc", merge_lists=True, desc=_desc(("base", _S), ("clock", _S), ("driftfix", _S))
)
#: softmmu/vl.c qemu_boot_opts
BOOT_OPTS = QemuOptsList(
    "boot-opts",
    implied_opt_name="order",
    merge_lists=True,
    desc=_desc(
        ("order", _S),
        ("once", _S),
        ("menu", _B),
        ("splash", _S),
        ("splash-time", _N),
        ("reboot-timeout", _N),
        ("strict", _B),
    ),
)
#: softmmu/qemu-seccomp.c qemu_sandbox_opts
SANDBOX_OPTS = QemuOptsList(
    "sandbox",
    implied_opt_name="enable",
    merge_lists=True,
    desc=_desc(
        ("enable", _B),
        ("obsolete", _S),
        ("elevateprivileges", _S),
        ("spawn", _S),
        ("resourcecontrol", _S),
    ),
)
#: hw/smbios/smbios.c qemu_smbios_opts: typed per table type by SMBIOS code.
SMBIOS_OPTS = QemuOptsList("smbios", implied_opt_name="type")
#: softmmu/qdev-monitor.c qemu_global_opts
GLOBAL_OPTS = QemuOptsList("global", desc=_desc(("driver", _S), ("property", _S), ("value", _S)))
