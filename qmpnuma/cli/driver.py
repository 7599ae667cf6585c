"""The command-line driver: softmmu/vl.c qemu_init(), for a NUMA machine.

:func:`configure` applies the options in QEMU 7.2's order, because that
order decides which of several mistakes QEMU reports:

1. every word is looked up before any is acted on (vl.c's first pass);
2. options are parsed one by one, in command-line order: QemuOpts and
   keyval syntax errors, ``-object`` typing, ``-uuid``... (with the option
   as error location);
3. ``-m`` is folded into the machine's ``memory`` property;
4. the machine type is chosen and the machine object made;
5. character devices are checked (with their option's location), then
   objects that are not memory backends are created;
6. ``accel`` and ``memory-backend`` are taken out of the machine options,
   and every other machine property is set, in QDict hash order;
7. accelerators are checked;
8. memory backends are created, then the monitors (``-mon`` location);
9. ``-cpu`` names the CPU type (parse_cpu_option);
10. ``-machine memory-backend`` is resolved;
11. each ``-numa`` is typed by the OptsVisitor and applied, in order;
12. unless ``--preconfig``, the machine is built (board init).

Errors found before step 4, and those QEMU reports with a location, carry
``prog: <option as typed>: ``; the others carry ``prog: `` only.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from qmpnuma.cli import help as help_texts
from qmpnuma.cli import monitors
from qmpnuma.cli.audiodev import AUDIODEV_IMPLIED_KEY, audiodev_check, audiodev_help
from qmpnuma.cli.keyval import KeyvalDict, keyval_merge, keyval_parse_into
from qmpnuma.cli.monitors import ChardevSpec, MonitorMode, MonitorSpec
from qmpnuma.cli.options import (
    ACCEL_OPTS,
    BOOT_OPTS,
    CHARDEV_OPTS,
    DEVICE_OPTS,
    GLOBAL_OPTS,
    MEMORY_OPTS,
    MON_OPTS,
    MSG_OPTS,
    NAME_OPTS,
    NUMA_OPTS,
    OBJECT_OPTS,
    OVERCOMMIT_OPTS,
    OVERCOMMIT_OPTS_MEM_LOCK_STRING,
    RTC_OPTS,
    SANDBOX_OPTS,
    SMBIOS_OPTS,
    Opt,
    OptionError,
    ParsedOption,
    disk_image_error,
    is_option,
    split_argv,
)
from qmpnuma.cli.qemu_opts import (
    HelpRequested,
    OptsStore,
    OptType,
    QemuOptDesc,
    QemuOpts,
    QemuOptsList,
    is_help_option,
    qemu_opts_print_help,
)
from qmpnuma.cutils import StrtoxError, qemu_strtoi64, qemu_strtosz, qemu_strtosz_MiB
from qmpnuma.errors import (
    GenericError,
    QMPError,
    invalid_parameter_type,
    invalid_parameter_value,
    missing_parameter,
)
from qmpnuma.hashorder import first_unexpected, qdict_order
from qmpnuma.machine.backends import USER_CREATABLE_TYPES
from qmpnuma.machine.cpu_models import x86_cpu_models
from qmpnuma.machine.device_types import device_types
from qmpnuma.machine.guest import GuestMode
from qmpnuma.machine.machine import Machine
from qmpnuma.machine.machine_types import find_machine_class, machine_class_names
from qmpnuma.machine.qdev import CliDeviceError, DeviceOpts
from qmpnuma.profile import Profile
from qmpnuma.qapi.opts_visitor import visit_opts
from qmpnuma.qapi.schema import Schema, load_profile_schema
from qmpnuma.qapi.validate import validate_arguments

if TYPE_CHECKING:
    import datetime

__all__ = [
    "DEFAULT_ARGV",
    "DEFAULT_MACHINE",
    "LaunchConfig",
    "CliError",
    "CliReporter",
    "configure",
]

#: The machine ``qmpnuma`` runs when given no option at all: two NUMA nodes
#: of 2 GiB each (memory-backend-ram), 4 CPUs as 2 sockets x 2 cores (so the
#: default CPU mapping puts socket N on node N), room for hot-plugged memory
#: (4 slots, 16 GiB in total), distances 10 local / 20 remote, and a QMP
#: socket ``qmpnuma.sock`` in the current directory that does not wait for
#: a client.  It goes through :func:`configure` like any command line.
DEFAULT_ARGV: tuple[str, ...] = (
    "-machine", "pc",
    "-m", "4G,slots=4,maxmem=16G",
    "-smp", "4,sockets=2,cores=2",
    "-object", "memory-backend-ram,id=ram-node0,size=2G",
    "-object", "memory-backend-ram,id=ram-node1,size=2G",
    "-numa", "node,nodeid=0,memdev=ram-node0",
    "-numa", "node,nodeid=1,memdev=ram-node1",
    "-numa", "dist,src=0,dst=1,val=20",
    "-qmp", "unix:qmpnuma.sock,server=on,wait=off",
)  # fmt: skip

#: hw/core/machine.c: the machine type used without -machine (is_default).
DEFAULT_MACHINE = "pc"
#: softmmu/vl.c select_vgahw: the card types QEMU 7.2 knows (vga_interfaces).
VGA_TYPES = ("none", "std", "cirrus", "vmware", "qxl", "xenfb", "tcx", "cg3", "virtio")
VGA_NONE = "none"
#: -serial and -parallel, in the order vl.c creates their chardevs.
PORT_KINDS = ("serial", "parallel")
#: softmmu/vl.c: the back end of a default port (a virtual console).
DEFAULT_PORT_BACKEND = "vc:80Cx24C"
PORT_NONE = "none"
CHARDEV_PREFIX = "chardev:"
#: Back ends of -serial/-parallel whose chardev qmpnuma shows: neither does
#: any I/O here.
PORT_BACKENDS = ("null", "vc")
#: softmmu/vl.c object_option_parse: -object's implied key.
OBJECT_IMPLIED_KEY = "qom-type"
#: softmmu/vl.c: the implied keys of -machine and -smp (keyval syntax).
MACHINE_IMPLIED_KEY = "type"
SMP_IMPLIED_KEY = "cpus"


def smp_opts(profile: Profile) -> QemuOptsList:
    """softmmu/vl.c qemu_smp_opts, for ``-smp help``: SMPConfiguration's members."""
    return QemuOptsList(
        "smp-opts",
        implied_opt_name=SMP_IMPLIED_KEY,
        merge_lists=True,
        desc=tuple(QemuOptDesc(name, OptType.NUMBER) for name in profile.smp_members),
    )


#: qapi/machine.json MemorySizeConfiguration members and their QAPI types.
MEMORY_MEMBERS = (("size", "size"), ("max-size", "size"), ("slots", "uint64"))
#: Machine options that vl.c takes out before setting properties.
ACCEL_KEY = "accel"
MEMORY_BACKEND_KEY = "memory-backend"
KERNEL_IRQCHIP_KEY = "kernel-irqchip"
#: accel/accel-softmmu.c accel_find(): the accelerators Debian's 7.2 has.
ACCELERATORS = ("kvm", "tcg", "xen", "qtest")
#: Accelerator properties (accel/tcg/tcg-all.c, accel/kvm/kvm-all.c).
ACCEL_PROPERTIES = {
    "tcg": ("thread", "tb-size", "split-wx"),
    "kvm": ("kernel-irqchip", "kvm-shadow-mem", "dirty-ring-size", "notify-vmexit",
            "notify-window", "eager-split-size"),
    "xen": ("igd-passthru",),
    "qtest": ("log",),
}  # fmt: skip
#: softmmu/vl.c object_create_early(): memory backends wait for the machine.
LATE_OBJECT_PREFIX = "memory-backend-"
#: util/uuid.c qemu_uuid_parse: UUID_FMT, 36 characters.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: softmmu/vl.c qemu_global_option's short form: driver.property=value.
_GLOBAL_SHORT = re.compile(r"([^.=]{1,63})\.([^=]{1,63})=")


@dataclass(frozen=True)
class LaunchConfig:
    """What the command line asks for; the server runs it."""

    machine: Machine
    monitors: list[MonitorSpec] = field(default_factory=list)
    #: -S: stay in prelaunch after the machine is built.
    start_paused: bool = False
    #: --preconfig: the machine is not built until x-exit-preconfig.
    preconfig: bool = False
    #: -name guest=NAME (query-name).
    name: str | None = None
    #: -uuid, lowercase (query-uuid).
    uuid: str | None = None
    pidfile: str | None = None
    daemonize: bool = False
    #: -cpu MODEL[,features] as given; we model the default CPU type only.
    cpu_model: str | None = None
    #: -machine accel= / -accel / -enable-kvm, as QEMU's accelerator list.
    accel: str | None = None
    #: -no-shutdown: a guest shutdown stops the VM instead of quitting.
    no_shutdown: bool = False
    #: -qmpnuma-record FILE: where to write the QMP traffic (qmpnuma.record).
    record: str | None = None
    #: Character devices that are not sockets, as (label, filename): the
    #: back ends of -serial and -parallel, and QEMU's default ones.
    char_backends: list[tuple[str, str]] = field(default_factory=list)
    #: -qmpnuma-guest: whether a scripted guest answers hotplug requests.
    guest: GuestMode = GuestMode.SILENT


class CliError(Exception):
    """QEMU would print ``lines`` on stderr and exit with ``status``.

    ``stdout`` is for help texts, which QEMU prints on stdout.
    """

    def __init__(self, lines: list[str], status: int = 1, stdout: str = "") -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.status = status
        self.stdout = stdout


def _utc_now() -> datetime.datetime:
    # datetime is imported on the first timestamp: start-up does without.
    import datetime

    return datetime.datetime.now(datetime.UTC)


class CliReporter:
    """A Reporter for the command line: QEMU's error_report()/warn_report() format.

    ``location`` is the option being processed (``-numa node,nodeid=0``) or
    None; QEMU's lines read ``[time ][guest ]prog: [location: ][warning: ]message``,
    the time with ``-msg timestamp=on``, the guest name with ``-msg
    guest-name=on`` and ``-name``.  A message's further lines (QEMU's
    error_printf() continuations) and hints are printed as they are.
    """

    def __init__(
        self,
        prog: str,
        stream: TextIO,
        clock: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        self.prog = prog
        self.stream = stream
        self.clock = clock or _utc_now
        self.location: str | None = None
        #: -msg timestamp=on.
        self.timestamps = False
        #: -msg guest-name=on, and -name's guest name.
        self.with_guest_name = False
        self.guest_name: str | None = None

    @contextlib.contextmanager
    def at(self, location: str | None) -> Iterator[None]:
        """Report with ``location`` inside the block (QEMU's loc_push/loc_pop)."""
        saved, self.location = self.location, location
        try:
            yield
        finally:
            self.location = saved

    def format(self, msg: str) -> str:
        """``msg`` with what util/error-report.c error_vreport() puts in front."""
        prefix = ""
        if self.timestamps:
            # real_time_iso8601(): UTC, microseconds.
            prefix += self.clock().strftime("%Y-%m-%dT%H:%M:%S.%fZ ")
        if self.with_guest_name and self.guest_name is not None:
            prefix += f"{self.guest_name} "
        if self.location:
            return f"{prefix}{self.prog}: {self.location}: {msg}"
        return f"{prefix}{self.prog}: {msg}"

    def warn(self, msg: str) -> None:
        print(self.format(f"warning: {msg}"), file=self.stream, flush=True)

    def error(self, msg: str) -> None:
        print(self.format(msg), file=self.stream, flush=True)

    def info(self, msg: str) -> None:
        """info_report()."""
        print(self.format(f"info: {msg}"), file=self.stream, flush=True)

    def error_lines(self, err: QMPError) -> list[str]:
        """error_report_err(): the message with its prefix, then the hint."""
        lines = [self.format(err.desc)]
        if err.hint:
            lines += err.hint.rstrip("\n").split("\n")
        return lines

    def fail(self, err: QMPError) -> CliError:
        return CliError(self.error_lines(err))


#: Opens a character device's socket when QEMU would (qemu_chr_new_from_opts),
#: so that a socket that cannot be bound or reached is reported in QEMU's
#: order; raises QMPError with QEMU's text.
ChardevOpener = Callable[[ChardevSpec], None]
#: vl.c qemu_maybe_daemonize: given -daemonize and -pidfile, forks and
#: writes the pidfile once the options are read, before anything is
#: created; raises QMPError with QEMU's text.
Daemonizer = Callable[[bool, str | None], None]


def configure(
    argv: list[str],
    profile: Profile,
    reporter: CliReporter,
    open_chardev: ChardevOpener | None = None,
    daemonize: Daemonizer | None = None,
) -> LaunchConfig:
    """Apply QEMU options (without the program name) to a new machine.

    Warnings go to ``reporter`` as they happen.  With no options this is a
    QEMU started without options (the callers substitute DEFAULT_ARGV).
    ``open_chardev`` is the I/O of chardev creation, ``daemonize`` that of
    -daemonize and -pidfile; without them nothing is opened or forked.

    Raises:
        CliError: a fatal error; print its lines and exit with its status.
    """
    schema = load_profile_schema(profile.schema_dir)
    return _Vl(profile, reporter, schema, open_chardev, daemonize).run(argv)


@dataclass(frozen=True)
class _Object:
    """An -object typed at option time, created later (without location)."""

    qom_type: str
    props: dict[str, object]


class _Vl:
    """The state of one qemu_init() run."""

    def __init__(
        self,
        profile: Profile,
        reporter: CliReporter,
        schema: Schema,
        open_chardev: ChardevOpener | None,
        daemonize: Daemonizer | None = None,
    ) -> None:
        self.profile = profile
        self.reporter = reporter
        self.schema = schema
        self.open_chardev = open_chardev
        self.daemonize = daemonize
        self.store = OptsStore(
            hex_suffix=profile.hex_size_suffix,
            negative_range=profile.negative_size_out_of_range,
        )
        self.machine_opts: KeyvalDict = {}
        self.objects: list[_Object] = []
        #: -device in JSON form (vl.c device_opts); the QemuOpts ones are in the store.
        self.json_devices: list[DeviceOpts] = []
        self.monitor_index = 0
        self.cpu_model: str | None = None
        self.uuid: str | None = None
        self.mem_path: str | None = None
        self.pidfile: str | None = None
        self.record: str | None = None
        self.flags: set[Opt] = set()
        self.guest = GuestMode.SILENT
        #: -vga's card type, checked once the machine exists.
        self.vga: str | None = None
        #: -serial / -parallel: (kind, backend, location), in order.
        self.ports: list[tuple[str, str, str]] = []
        #: -overcommit mem-lock: on (or on-fault) locks guest memory.
        self.mem_lock = False
        self.handlers: dict[Opt, Callable[[ParsedOption], None]] = {
            Opt.machine: self._machine,
            Opt.M: self._machine,
            Opt.m: self._parse(MEMORY_OPTS),
            Opt.smp: self._smp,
            Opt.numa: self._parse(NUMA_OPTS),
            Opt.object: self._object,
            Opt.device: self._device,
            Opt.cpu: self._cpu,
            Opt.accel: self._accel,
            Opt.enable_kvm: self._enable_kvm,
            Opt.name: self._name,
            Opt.uuid: self._uuid,
            Opt.mem_path: self._mem_path,
            Opt.pidfile: self._pidfile,
            Opt.qmpnuma_record: self._record,
            Opt.qmp: self._monitor(MonitorMode.CONTROL, pretty=False),
            Opt.qmp_pretty: self._monitor(MonitorMode.CONTROL, pretty=True),
            Opt.monitor: self._monitor(MonitorMode.READLINE, pretty=False),
            Opt.chardev: self._parse(CHARDEV_OPTS),
            Opt.mon: self._parse(MON_OPTS),
            Opt.overcommit: self._overcommit,
            Opt.rtc: self._parse(RTC_OPTS, permit_abbrev=False),
            Opt.boot: self._parse(BOOT_OPTS),
            Opt.msg: self._msg,
            Opt.sandbox: self._parse(SANDBOX_OPTS),
            Opt.smbios: self._parse(SMBIOS_OPTS, permit_abbrev=False),
            Opt.global_: self._global,
            Opt.h: self._help,
            Opt.help: self._help,
            Opt.version: self._version,
            Opt.no_acpi: self._machine_flag("acpi", "off"),
            Opt.no_hpet: self._machine_flag("hpet", "off"),
            Opt.usb: self._machine_flag("usb", "on"),
            Opt.vga: self._vga,
            Opt.serial: self._serial_port("serial"),
            Opt.parallel: self._serial_port("parallel"),
            Opt.audiodev: self._audiodev,
            Opt.qmpnuma_guest: self._guest,
        }

    # -- the sequence --------------------------------------------------------

    def run(self, argv: list[str]) -> LaunchConfig:
        try:
            options = split_argv(argv)
        except OptionError as e:
            with self.reporter.at(e.location):
                raise self.reporter.fail(e) from e
        for option in options:
            self._option(option)
        with self.reporter.at(None):
            return self._build()

    def _option(self, option: ParsedOption) -> None:
        with self.reporter.at(option.location):
            try:
                if option.option is None:
                    raise disk_image_error(option.spelling)
                handler = self.handlers.get(option.option.opt)
                if handler is None:
                    # -S, -nodefaults, -display... only need recording.
                    self.flags.add(option.option.opt)
                else:
                    handler(option)
            except HelpRequested as e:
                raise CliError([], stdout=e.text) from e
            except QMPError as e:
                raise self.reporter.fail(e) from e

    def _build(self) -> LaunchConfig:
        try:
            if self.daemonize is not None:
                self.daemonize(Opt.daemonize in self.flags, self.pidfile)
            self._parse_memory_options()
            machine = self._create_machine()
            machine.default_devices = Opt.nodefaults not in self.flags
            machine.mem_path = self.mem_path
            machine.mem_prealloc = Opt.mem_prealloc in self.flags
            machine.mem_lock = self.mem_lock
            chardevs = self._create_early_backends(machine)
            accel = self._apply_legacy_machine_options(machine)
            self._apply_machine_options(machine)
            accel = self._configure_accelerators(accel)
            if machine.mc.deprecation_reason is not None:
                # softmmu/vl.c qemu_init, once the accelerator is configured
                self.reporter.warn(
                    f"Machine type '{machine.mc.name}' is deprecated: "
                    f"{machine.mc.deprecation_reason}"
                )
            specs = self._create_late_backends(machine, chardevs)
            self._select_vgahw()
            char_backends = self._serial_ports(chardevs)
            if self.cpu_model is not None:
                machine.set_cpu_model(self.cpu_model)
            machine.resolve_machine_memdev()
            self._parse_numa_opts(machine)
            machine.cli_devices = self._cli_devices()
            if Opt.preconfig not in self.flags:
                machine.create(self.reporter)
        except QMPError as e:
            raise self.reporter.fail(e) from e
        except CliDeviceError as e:
            with self.reporter.at(e.location):
                raise self.reporter.fail(e.error) from e
        name = self.store.find(NAME_OPTS, None)
        return LaunchConfig(
            machine=machine,
            monitors=specs,
            start_paused=Opt.S in self.flags,
            preconfig=Opt.preconfig in self.flags,
            name=name.get("guest") if name else None,
            uuid=self.uuid,
            pidfile=self.pidfile,
            daemonize=Opt.daemonize in self.flags,
            cpu_model=self.cpu_model,
            accel=accel,
            no_shutdown=Opt.no_shutdown in self.flags,
            record=self.record,
            char_backends=char_backends,
            guest=self.guest,
        )

    # -- option-time handlers ------------------------------------------------

    def _parse(
        self, opts_list: QemuOptsList, permit_abbrev: bool = True
    ) -> Callable[[ParsedOption], None]:
        def handler(option: ParsedOption) -> None:
            self._parse_noisily(opts_list, option, permit_abbrev)

        return handler

    def _parse_noisily(
        self, opts_list: QemuOptsList, option: ParsedOption, permit_abbrev: bool = True
    ) -> QemuOpts:
        assert option.arg is not None
        return self.store.parse_noisily(
            opts_list, option.arg, option.location, self.reporter, permit_abbrev=permit_abbrev
        )

    def _name(self, option: ParsedOption) -> None:
        opts = self._parse_noisily(NAME_OPTS, option)
        # vl.c: remembered for a later (or earlier) -msg guest-name=on.
        self.reporter.guest_name = opts.get("guest")

    def _overcommit(self, option: ParsedOption) -> None:
        """vl.c -overcommit: each one sets mem-lock anew (7.2: to off if absent;
        10.0 keeps the state then), and 10.0 checks the string at once.

        Raises:
            GenericError: 10.0's text for a mem-lock string it does not take.
        """
        values = self.profile.mem_lock_values
        if values is None:
            opts = self._parse_noisily(OVERCOMMIT_OPTS, option, permit_abbrev=False)
            self.mem_lock = opts.get_bool("mem-lock", False)
            return
        opts = self._parse_noisily(OVERCOMMIT_OPTS_MEM_LOCK_STRING, option, permit_abbrev=False)
        mem_lock = opts.get("mem-lock")
        if mem_lock is None:
            return
        if mem_lock not in values:
            choices = ", ".join(f"'{v}'" for v in values)
            raise GenericError(f"parameter 'mem-lock' expects one of {choices}")
        # on-fault locks too: virtio-mem refuses it as well.
        self.mem_lock = mem_lock != "off"

    def _msg(self, option: ParsedOption) -> None:
        """vl.c configure_msg: later messages carry the time and guest name."""
        opts = self._parse_noisily(MSG_OPTS, option, permit_abbrev=False)
        self.reporter.timestamps = opts.get_bool("timestamp", False)
        self.reporter.with_guest_name = opts.get_bool("guest-name", False)

    def _machine(self, option: ParsedOption) -> None:
        assert option.arg is not None
        if keyval_parse_into(self.machine_opts, option.arg, MACHINE_IMPLIED_KEY):
            names = machine_class_names(self.profile)
            raise CliError([], status=0, stdout=help_texts.machine_help(self.profile, names))

    def _smp(self, option: ParsedOption) -> None:
        """vl.c machine_parse_property_opt(smp-opts, "smp", ...)."""
        assert option.arg is not None
        prop: KeyvalDict = {}
        if keyval_parse_into(prop, option.arg, SMP_IMPLIED_KEY):
            raise CliError([], status=0, stdout=qemu_opts_print_help(smp_opts(self.profile)))
        keyval_merge(self.machine_opts, {"smp": prop})

    def _object(self, option: ParsedOption) -> None:
        """vl.c object_option_parse: JSON or QemuOpts, typed right away."""
        assert option.arg is not None
        if option.arg.startswith("{"):
            props = self._object_json(option.arg)
        else:
            self._object_help(option.arg)
            opts = self._parse_noisily(OBJECT_OPTS, option)
            if opts.get("qom-type") is None:
                # softmmu/vl.c object_option_parse (QERR_MISSING_PARAMETER)
                raise missing_parameter("qom-type")
            props = self._visit(opts, "ObjectOptions")
        qom_type = props.pop("qom-type")
        assert isinstance(qom_type, str)
        self.objects.append(_Object(qom_type, props))

    def _object_help(self, arg: str) -> None:
        """qom/object_interfaces.c user_creatable_print_help_from_qdict."""
        parsed: KeyvalDict = {}
        help_seen = keyval_parse_into(parsed, arg, OBJECT_IMPLIED_KEY)
        qom_type = parsed.get(OBJECT_IMPLIED_KEY)
        if (help_seen and qom_type is None) or (
            isinstance(qom_type, str) and is_help_option(qom_type)
        ):
            listing = help_texts.object_help(self.profile, USER_CREATABLE_TYPES)
            raise CliError([], status=0, stdout=listing)
        if help_seen and isinstance(qom_type, str):
            text = help_texts.object_type_help(self.profile, qom_type, USER_CREATABLE_TYPES)
            if text is not None:
                raise CliError([], status=0, stdout=text)

    def _visit(self, opts: QemuOpts, type_name: str) -> dict[str, object]:
        """opts_visitor_new(opts): the options, then the group's id as an option."""
        pairs = opts.items() + ([("id", opts.id)] if opts.id is not None else [])
        return visit_opts(
            self.schema, type_name, pairs, reporter=self.reporter,
            hex_suffix=self.profile.hex_size_suffix,
        )

    def _object_json(self, text: str) -> dict[str, object]:
        return validate_arguments(self.schema, "object-add", self._json_object(text))

    @staticmethod
    def _json_object(text: str) -> dict[str, object]:
        try:
            value = json.loads(text)
        except ValueError as e:
            # qobject/json-parser.c parse_error; QEMU names the exact token,
            # which Python's parser does not give us.
            raise GenericError("JSON parse error, expecting value") from e
        if not isinstance(value, dict):
            # qapi/qobject-input-visitor.c (the top-level struct)
            raise invalid_parameter_type("null", "object")
        return value

    def _device(self, option: ParsedOption) -> None:
        """vl.c: JSON kept as a QDict, QemuOpts parsed into the device list."""
        assert option.arg is not None
        if option.arg.startswith("{"):
            self.json_devices.append(
                DeviceOpts(self._json_object(option.arg), True, option.location)
            )
        else:
            opts = self._parse_noisily(DEVICE_OPTS, option)
            self._device_help(opts)

    def _device_help(self, opts: QemuOpts) -> None:
        """softmmu/qdev-monitor.c qdev_device_help: ``help`` or ``T,help``."""
        driver = opts.get("driver")
        names = device_types(self.profile).classes
        if driver is not None and is_help_option(driver):
            raise CliError([], status=0, stdout=help_texts.device_help(self.profile, names))
        if driver is not None and opts.get("help") is not None:
            text = help_texts.device_type_help(self.profile, driver, names)
            if text is not None:
                raise CliError([], status=0, stdout=text)

    def _cli_devices(self) -> list[DeviceOpts]:
        """qemu_create_cli_devices' order: the QemuOpts ones, then the JSON ones."""
        devices = []
        for opts in self.store.all(DEVICE_OPTS):
            # qemu_opts_to_qdict: the id, then each option; a repeated
            # option keeps its first place and its last value.
            qdict: dict[str, object] = {} if opts.id is None else {"id": opts.id}
            for name, text in opts.items():
                qdict[name] = text
            devices.append(DeviceOpts(qdict, False, opts.location))
        return devices + self.json_devices

    def _cpu(self, option: ParsedOption) -> None:
        if option.arg is not None and is_help_option(option.arg):
            listing = help_texts.cpu_help(self.profile, x86_cpu_models(self.profile))
            raise CliError([], status=0, stdout=listing)
        self.cpu_model = option.arg

    def _accel(self, option: ParsedOption) -> None:
        opts = self._parse_noisily(ACCEL_OPTS, option)
        name = opts.get("accel")
        if name is None or is_help_option(name):
            # softmmu/vl.c: -accel help lists the accelerators and exits.
            raise CliError([], status=0, stdout=help_texts.accel_help(self.profile))

    def _help(self, option: ParsedOption) -> None:
        text = help_texts.usage_text(self.reporter.prog, self.profile, is_option)
        raise CliError([], status=0, stdout=text)

    def _version(self, option: ParsedOption) -> None:
        raise CliError([], status=0, stdout=help_texts.version_text(self.profile))

    def _machine_flag(self, key: str, value: str) -> Callable[[ParsedOption], None]:
        """-no-acpi, -no-hpet, -usb: vl.c sets a machine property."""

        def handler(option: ParsedOption) -> None:
            self.machine_opts[key] = value

        return handler

    def _vga(self, option: ParsedOption) -> None:
        """softmmu/vl.c select_vgahw, which runs once the machine exists."""
        assert option.arg is not None
        if is_help_option(option.arg):
            raise CliError([], status=0, stdout=help_texts.vga_help())
        self.vga = option.arg

    def _serial_port(self, kind: str) -> Callable[[ParsedOption], None]:
        """-serial / -parallel: a character device and the port on it."""

        def handler(option: ParsedOption) -> None:
            assert option.arg is not None
            self.ports.append((kind, option.arg, option.location))

        return handler

    def _audiodev(self, option: ParsedOption) -> None:
        """audio/audio.c audio_parse_option: an Audiodev, in JSON or keyval."""
        assert option.arg is not None
        if is_help_option(option.arg):
            raise CliError([], status=0, stdout=audiodev_help())
        value: dict[str, object] | KeyvalDict
        if option.arg.startswith("{"):
            value = self._json_object(option.arg)
        else:
            value = {}
            keyval_parse_into(value, option.arg, AUDIODEV_IMPLIED_KEY)
        audiodev_check(value)

    def _guest(self, option: ParsedOption) -> None:
        """-qmpnuma-guest silent|scripted (qmpnuma/machine/guest.py)."""
        try:
            self.guest = GuestMode(option.arg)
        except ValueError as e:
            modes = ", ".join(m.value for m in GuestMode)
            raise GenericError(f"unknown guest mode '{option.arg}' (one of: {modes})") from e

    def _enable_kvm(self, option: ParsedOption) -> None:
        # softmmu/vl.c: -enable-kvm is -machine accel=kvm.
        self.machine_opts[ACCEL_KEY] = "kvm"

    def _uuid(self, option: ParsedOption) -> None:
        assert option.arg is not None
        if not _UUID.fullmatch(option.arg):
            # softmmu/vl.c (qemu_uuid_parse failed)
            raise GenericError("failed to parse UUID string: wrong format")
        self.uuid = option.arg.lower()

    def _mem_path(self, option: ParsedOption) -> None:
        self.mem_path = option.arg

    def _pidfile(self, option: ParsedOption) -> None:
        self.pidfile = option.arg

    def _record(self, option: ParsedOption) -> None:
        self.record = option.arg

    def _monitor(self, mode: MonitorMode, pretty: bool) -> Callable[[ParsedOption], None]:
        def handler(option: ParsedOption) -> None:
            assert option.arg is not None
            if mode is MonitorMode.READLINE and option.arg.startswith("none"):
                return  # softmmu/vl.c: "-monitor none" adds no monitor
            try:
                monitors.monitor_parse(
                    self.store, option.arg, mode, pretty, option.location, self.monitor_index
                )
            except monitors.CompatParseError as e:
                raise CliError([self.reporter.format(line) for line in e.lines]) from e
            self.monitor_index += 1

        return handler

    def _global(self, option: ParsedOption) -> None:
        """softmmu/vl.c qemu_global_option: ``driver.prop=value`` or QemuOpts."""
        assert option.arg is not None
        if not _GLOBAL_SHORT.match(option.arg):
            self._parse_noisily(GLOBAL_OPTS, option, permit_abbrev=False)

    # -- after the options ---------------------------------------------------

    def _parse_memory_options(self) -> None:
        """vl.c parse_memory_options: -m becomes the machine's ``memory``."""
        opts = self.store.find(MEMORY_OPTS, None)
        prop: KeyvalDict = {}
        if opts is not None:
            size = opts.get("size")
            if opts.get_number("size", 0) != 0 and size is not None:
                # Fix up the legacy suffix-less format: a bare number is MiB.
                prop["size"] = f"{size}M" if size[-1:].isdigit() else size
            for key, member in (("maxmem", "max-size"), ("slots", "slots")):
                text = opts.get(key)
                if text is not None:
                    prop[member] = text
        keyval_merge(self.machine_opts, {"memory": prop})

    def _create_machine(self) -> Machine:
        """vl.c qemu_create_machine / select_machine."""
        name = self.machine_opts.pop(MACHINE_IMPLIED_KEY, DEFAULT_MACHINE)
        mc = find_machine_class(name, self.profile) if isinstance(name, str) else None
        if mc is None:
            # softmmu/vl.c select_machine
            text = "unsupported machine type"
            if self.profile.unsupported_machine_named and isinstance(name, str):
                text += f': "{name}"'
            raise GenericError(text, hint="Use -machine help to list supported machines")
        return Machine(mc, self.profile)

    def _create_early_backends(self, machine: Machine) -> dict[str, ChardevSpec]:
        """vl.c qemu_create_early_backends: chardevs, then non-memory objects."""
        chardevs: dict[str, ChardevSpec] = {}
        for opts in self.store.all(CHARDEV_OPTS):
            with self.reporter.at(opts.location):
                try:
                    chardev = monitors.chardev_check(opts)
                    if self.open_chardev is not None:
                        self.open_chardev(chardev)
                except QMPError as e:
                    raise self.reporter.fail(e) from e
            chardevs[chardev.id] = chardev
        self._object_foreach_add(machine, early=True)
        return chardevs

    def _object_foreach_add(self, machine: Machine, early: bool) -> None:
        """vl.c object_option_foreach_add: QEMU reports these without location."""
        for obj in self.objects:
            if obj.qom_type.startswith(LATE_OBJECT_PREFIX) != early:
                machine.object_add(obj.qom_type, dict(obj.props))

    def _apply_legacy_machine_options(self, machine: Machine) -> str | None:
        """vl.c qemu_apply_legacy_machine_options: returns the accel list."""
        self.machine_opts.pop(KERNEL_IRQCHIP_KEY, None)
        backend = self.machine_opts.pop(MEMORY_BACKEND_KEY, None)
        if isinstance(backend, str):
            if self.mem_path is not None:
                # sic: no space before '-machine
                raise GenericError(
                    "'-mem-path' can't be used together with'-machine memory-backend'"
                )
            machine.set_property(MEMORY_BACKEND_KEY, backend)
        accel = self.machine_opts.pop(ACCEL_KEY, None)
        return accel if isinstance(accel, str) else None

    def _apply_machine_options(self, machine: Machine) -> None:
        """vl.c qemu_apply_machine_options: properties in QDict order."""
        for key in qdict_order(list(self.machine_opts)):
            value = self.machine_opts[key]
            if key == "smp":
                machine.set_smp(self._visit_smp(value), self.reporter)
            elif key == "memory":
                machine.set_memory(*self._visit_memory(value))
            elif isinstance(value, dict):
                # qapi/qobject-input-visitor.c (keyval: a struct for a scalar)
                raise GenericError(f"Parameters '{key}.*' are unexpected")
            else:
                machine.set_property(key, value)

    def _visit_struct(self, name: str, value: str | KeyvalDict, members: list[str]) -> KeyvalDict:
        if not isinstance(value, dict):
            # qapi/qobject-input-visitor.c qobject_input_start_struct
            raise invalid_parameter_type(name, "object")
        for member in members:
            if isinstance(value.get(member), dict):
                # qapi/qobject-input-visitor.c qobject_input_get_keyval
                raise GenericError(f"Parameters '{name}.{member}.*' are unexpected")
        return value

    def _check_struct(self, name: str, value: KeyvalDict, members: list[str]) -> None:
        extra = first_unexpected(list(value), members)
        if extra is not None:
            # qapi/qobject-input-visitor.c qobject_input_check_struct
            raise GenericError(f"Parameter '{name}.{extra}' is unexpected")

    def _visit_smp(self, value: str | KeyvalDict) -> dict[str, int]:
        """SMPConfiguration through QEMU's keyval input visitor."""
        members = list(self.profile.smp_members)
        struct = self._visit_struct("smp", value, members)
        config: dict[str, int] = {}
        for member in members:
            text = struct.get(member)
            if isinstance(text, str):
                try:
                    config[member] = qemu_strtoi64(text, 0)
                except StrtoxError as e:
                    # qapi/qobject-input-visitor.c qobject_input_type_int64_keyval
                    raise invalid_parameter_value(f"smp.{member}", "integer") from e
        self._check_struct("smp", struct, members)
        return config

    def _visit_memory(self, value: str | KeyvalDict) -> tuple[int | None, int | None, int | None]:
        """MemorySizeConfiguration through QEMU's keyval input visitor."""
        members = [name for name, _ in MEMORY_MEMBERS]
        struct = self._visit_struct("memory", value, members)
        typed: dict[str, int] = {}
        for member, qapi_type in MEMORY_MEMBERS:
            text = struct.get(member)
            if not isinstance(text, str):
                continue
            try:
                if qapi_type == "size":
                    typed[member] = qemu_strtosz(
                        text, self.reporter, hex_suffix=self.profile.hex_size_suffix
                    )
                else:
                    typed[member] = qemu_strtoi64(text, 0) & ((1 << 64) - 1)
            except StrtoxError as e:
                expected = "size" if qapi_type == "size" else "integer"
                # qapi/qobject-input-visitor.c qobject_input_type_{size,uint64}_keyval
                raise invalid_parameter_value(f"memory.{member}", expected) from e
        self._check_struct("memory", struct, members)
        return typed.get("size"), typed.get("slots"), typed.get("max-size")

    def _configure_accelerators(self, accel: str | None) -> str | None:
        """vl.c configure_accelerators: -accel or -machine accel=, not both."""
        accel_opts = self.store.all(ACCEL_OPTS)
        if not accel_opts:
            for name in accel.split(":") if accel is not None else ():
                if name not in ACCELERATORS:
                    # softmmu/vl.c configure_accelerators
                    raise GenericError(f"invalid accelerator {name}")
            return accel
        if accel is not None:
            # softmmu/vl.c configure_accelerators
            raise GenericError('The -accel and "-machine accel=" options are incompatible')
        for opts in accel_opts:
            with self.reporter.at(opts.location):
                try:
                    self._do_configure_accelerator(opts)
                except QMPError as e:
                    raise self.reporter.fail(e) from e
        return ":".join(opts.get("accel") or "" for opts in accel_opts)

    @staticmethod
    def _do_configure_accelerator(opts: QemuOpts) -> None:
        """vl.c do_configure_accelerator: the name, then its properties."""
        name = opts.get("accel") or ""
        if name not in ACCELERATORS:
            # softmmu/vl.c do_configure_accelerator
            raise GenericError(f"invalid accelerator {name}")
        for prop, _ in opts.items():
            if prop != "accel" and prop not in ACCEL_PROPERTIES[name]:
                # qom/object.c object_property_find_err
                raise GenericError(f"Property '{name}-accel.{prop}' not found")

    def _create_late_backends(
        self, machine: Machine, chardevs: dict[str, ChardevSpec]
    ) -> list[MonitorSpec]:
        """vl.c qemu_create_late_backends: memory backends, then monitors."""
        self._object_foreach_add(machine, early=False)
        specs: list[MonitorSpec] = []
        for mon in self.store.all(MON_OPTS):
            with self.reporter.at(mon.location):
                try:
                    specs.append(monitors.mon_init(mon, chardevs))
                except QMPError as e:
                    raise self.reporter.fail(e) from e
        return specs

    def _select_vgahw(self) -> None:
        """softmmu/vl.c select_vgahw: only ``none`` is modelled."""
        if self.vga is None or self.vga == VGA_NONE:
            return
        if self.vga not in VGA_TYPES:
            # softmmu/vl.c select_vgahw
            raise GenericError(f"unknown vga type: {self.vga}")
        raise GenericError(
            f"-vga {self.vga}: graphics cards are not emulated by qmpnuma; use -vga none"
        )

    def _serial_ports(self, chardevs: dict[str, ChardevSpec]) -> list[tuple[str, str]]:
        """vl.c serial_parse / parallel_parse, and the defaults of a machine with them.

        Without -nodefaults (and -nographic), QEMU gives a PC a serial and
        a parallel port on virtual consoles.
        """
        ports = list(self.ports)
        defaults = not self.flags & {Opt.nodefaults, Opt.nographic}
        for kind in PORT_KINDS:
            if defaults and not any(k == kind for k, _, _ in ports):
                ports.append((kind, DEFAULT_PORT_BACKEND, ""))
        backends: list[tuple[str, str]] = []
        index = dict.fromkeys(PORT_KINDS, 0)
        for kind, backend, location in ports:
            with self.reporter.at(location or None):
                try:
                    label = self._port_backend(kind, backend, index[kind], chardevs)
                except QMPError as e:
                    raise self.reporter.fail(e) from e
            if label is not None:
                backends.append((label, backend.split(":", 1)[0]))
                index[kind] += 1
        return backends

    @staticmethod
    def _port_backend(
        kind: str, backend: str, index: int, chardevs: dict[str, ChardevSpec]
    ) -> str | None:
        """The new chardev's label, None when there is none to make."""
        if backend == PORT_NONE:
            return None
        if backend.startswith(CHARDEV_PREFIX):
            if backend[len(CHARDEV_PREFIX):] not in chardevs:
                # softmmu/vl.c serial_parse (qemu_chr_new failed)
                raise GenericError(
                    f"could not connect {kind} device to character backend '{backend}'"
                )
            return None
        if backend.split(":", 1)[0] not in PORT_BACKENDS:
            raise GenericError(
                f"qmpnuma emulates the {', '.join(PORT_BACKENDS)} and chardev:ID "
                f"back ends of -{kind} only"
            )
        return f"{kind}{index}"

    def _parse_numa_opts(self, machine: Machine) -> None:
        """hw/core/numa.c parse_numa_opts / parse_numa, each with its location."""
        for opts in self.store.all(NUMA_OPTS):
            with self.reporter.at(opts.location):
                try:
                    numa = self._visit(opts, "NumaOptions")
                    mem = opts.get("mem")
                    if numa.get("type") == "node" and "mem" in numa and mem is not None:
                        # Fix up the legacy suffix-less format (MiB); 7.2
                        # keeps the visitor's value if this parse fails, and
                        # this second parse repeats any hex-suffix warning.
                        with contextlib.suppress(StrtoxError):
                            numa["mem"] = qemu_strtosz_MiB(
                                mem, self.reporter, hex_suffix=self.profile.hex_size_suffix
                            )
                    machine.set_numa_options(numa, self.reporter)
                except QMPError as e:
                    raise self.reporter.fail(e) from e
