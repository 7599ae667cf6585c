"""The texts of ``-h``, ``-version`` and the ``help`` listings.

QEMU counterparts: softmmu/vl.c help() and version(), and the listings of
``-machine help`` (machine_help_func), ``-cpu help`` (x86_cpu_list),
``-object help`` (user_creatable_print_help), ``-device help``
(qdev_device_help's device list), ``-accel help`` and ``-vga help``.

The texts are the profile's QEMU's, recorded by scripts/record-qemu-facts, restricted
to what qmpnuma models: the usage lists the options qmpnuma accepts, the
listings the machine types, CPU models, object and device types it can
create.  Where QEMU names itself, qmpnuma says what it is.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from qmpnuma.facts import qemu_facts
from qmpnuma.profile import Profile

__all__ = [
    "version_text",
    "usage_text",
    "machine_help",
    "cpu_help",
    "object_help",
    "object_type_help",
    "device_help",
    "device_type_help",
    "accel_help",
    "vga_help",
]

#: An option's entry in QEMU's help() starts at column 0 with a dash; a
#: section title there ends with a colon; continuations are indented.
_ENTRY = "-"
#: QEMU's help() ends with the keys of the graphical console, which qmpnuma
#: has not; the usage stops before them.
_FOOTER = "During emulation, the following keys are useful:"
#: -accel help: the only accelerator qmpnuma runs as (TCG).
ACCELERATORS = ("tcg",)
#: -vga help: qmpnuma models no graphics card.
_VGA_NONE = f"{'none':<20} no graphic card"


def version_text(profile: Profile) -> str:
    """vl.c version(): QEMU's first line with our package, then what we are."""
    major, minor, micro = profile.version
    return (
        f"QEMU emulator version {major}.{minor}.{micro}{profile.package}\n"
        "qmpnuma emulates QEMU's machine NUMA subsystem over QMP; no guest runs.\n"
    )


def _newcomer(prog: str, profile: Profile) -> str:
    major, minor, _ = profile.version
    return (
        f"usage: {prog} [options]\n"
        "\n"
        f"{prog} answers QMP as qemu-system-x86_64 {major}.{minor} does, for the machine its\n"
        "options describe (NUMA nodes, CPUs, memory, memory devices), without\n"
        "running a guest.  Name it where you would name qemu-system-x86_64.\n"
        f"With no option at all, {prog} serves a two-node default machine on\n"
        "./qmpnuma.sock:\n"
        "\n"
        f"    {prog}\n"
        "    qmp-shell ./qmpnuma.sock\n"
        "\n"
        "Only the options below are emulated; any other QEMU option is refused\n"
        "as an invalid option.\n"
        "\n"
    )


#: The options qmpnuma adds to QEMU's, in QEMU's help layout.
_OWN_OPTIONS = (
    "qmpnuma options:\n"
    "-qmpnuma-guest silent|scripted\n"
    "                how the emulated guest behaves (default: silent, a guest\n"
    "                without drivers); 'scripted' grants unplug requests of DIMMs\n"
    "                and CPUs, resizes virtio-mem devices and answers the power\n"
    "                button, deterministically\n"
    "\n"
)


def _option_name(line: str) -> str:
    """``-machine [type=]name...`` -> ``machine``; ``-h or -help`` -> ``h``."""
    word = line[1:].split(" ", 1)[0]
    return word.split("/", 1)[0].split("[", 1)[0]


def usage_text(prog: str, profile: Profile, accepted: Callable[[str], bool]) -> str:
    """vl.c help(): QEMU's entries for the options ``accepted`` says we take."""
    sections: list[tuple[str, list[str]]] = []
    keep = False
    for line in qemu_facts(profile).help["usage"].split("\n"):
        if line.startswith(_FOOTER):
            break
        if line.endswith(":") and not line.startswith((_ENTRY, " ")):
            sections.append((line, []))
            keep = False
        elif line.startswith(_ENTRY) and sections:
            keep = accepted(_option_name(line))
            if keep:
                sections[-1][1].append(line)
        elif line.startswith(" ") and keep:
            sections[-1][1].append(line)
    body = "".join(
        f"{title}\n" + "".join(f"{line}\n" for line in lines) + "\n"
        for title, lines in sections
        if lines
    )
    return version_text(profile) + _newcomer(prog, profile) + body + _OWN_OPTIONS


def _listing(
    profile: Profile, topic: str, keep: Callable[[str], bool], header_lines: int
) -> str:
    """A recorded listing: its header, then the lines ``keep`` accepts."""
    return _listing_text(qemu_facts(profile).help[topic], keep, header_lines) + "\n"


def machine_help(profile: Profile, names: Collection[str]) -> str:
    """hw/core/machine.c machine_help_func: ``name  description`` lines."""
    return _listing(profile, "machine", lambda line: line.split(" ", 1)[0] in names, 1)


def cpu_help(profile: Profile, models: Collection[str]) -> str:
    """target/i386/cpu.c x86_cpu_list: the models, then the CPUID flags as recorded."""
    text: str = qemu_facts(profile).help["cpu"]
    head, sep, flags = text.partition("\n\n")

    prefix = profile.cpu_help_model_prefix

    def keep(line: str) -> bool:
        name = line.removeprefix(prefix).split(" ", 1)[0]
        return line.startswith(prefix) and name in models

    return _listing_text(head, keep, 1) + sep + flags


def _listing_text(text: str, keep: Callable[[str], bool], header_lines: int) -> str:
    """The first ``header_lines`` of ``text``, then the others ``keep`` accepts."""
    lines = text.rstrip("\n").split("\n")
    kept = [line for line in lines[header_lines:] if keep(line)]
    return "\n".join([*lines[:header_lines], *kept])


def object_help(profile: Profile, types: Collection[str]) -> str:
    """qom/object_interfaces.c user_creatable_print_help: the creatable types."""
    return _listing(profile, "object", lambda line: line.strip() in types, 1)


def object_type_help(profile: Profile, qom_type: str, types: Collection[str]) -> str | None:
    """``-object TYPE,help``: the type's properties as QEMU lists them.

    None for a type qmpnuma does not create: the caller refuses it as QEMU
    refuses an unknown type.
    """
    if qom_type not in types:
        return None
    text: str = qemu_facts(profile).help["object-types"][qom_type]
    return text


def device_type_help(profile: Profile, driver: str, types: Collection[str]) -> str | None:
    """``-device TYPE,help``: the type's properties as QEMU lists them.

    None for a type qmpnuma does not model: the device layer refuses it.
    """
    recorded = qemu_facts(profile).help["device-types"]
    if driver not in types or driver not in recorded:
        return None
    text: str = recorded[driver]
    return text


def device_help(profile: Profile, types: Collection[str]) -> str:
    """softmmu/qdev-monitor.c qdev_device_help: categories and ``name "T"`` lines.

    A category keeps its title line only when one of its devices is listed.
    """
    out: list[str] = []
    title = ""
    for line in qemu_facts(profile).help["device"].split("\n"):
        if line.endswith(":"):
            title = line
        elif line.startswith('name "') and line.split('"', 2)[1] in types:
            if title:
                out += ["", title] if out else [title]
                title = ""
            out.append(line)
    return "".join(f"{line}\n" for line in out)


def accel_help(profile: Profile) -> str:
    """accel/accel-softmmu.c accel_help_func-like list: what we run as."""
    title: str = qemu_facts(profile).help["accel"].split("\n", 1)[0]
    return "".join(f"{line}\n" for line in (title, *ACCELERATORS))


def vga_help() -> str:
    """softmmu/vl.c select_vgahw's listing: only ``none`` is modelled."""
    return f"{_VGA_NONE}\n"
