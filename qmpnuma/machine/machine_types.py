"""x86 machine types and the class-level facts the NUMA model depends on.

QEMU counterparts: hw/i386/pc_piix.c and hw/i386/pc_q35.c (the versioned
``pc-i440fx-X.Y`` / ``pc-q35-X.Y`` machines and their compat options),
hw/core/null-machine.c (``none``) and the MachineClass fields of
include/hw/boards.h.  Only the fields that change NUMA, memory or topology
behaviour are modelled; each compat boundary cites the QEMU release that
introduced the behaviour.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from qmpnuma.machine.cpu_models import X86_CPU_TYPE_SUFFIX
from qmpnuma.profile import Profile

__all__ = [
    "MachineClass",
    "find_machine_class",
    "machine_class_names",
    "machine_classes",
    "DEFAULT_CPU_TYPE",
    "DEFAULT_RAM_ID",
]

MiB = 1 << 20
GiB = 1 << 30

#: hw/i386/pc.c: the default -cpu of a 64-bit x86 PC.
DEFAULT_CPU_TYPE = "qemu64" + X86_CPU_TYPE_SUFFIX
#: hw/i386/pc_piix.c, pc_q35.c: id of the RAM backend created without -numa memdev.
DEFAULT_RAM_ID = "pc.ram"
#: hw/i386/pc.c pc_machine_class_init: default_ram_size.
PC_DEFAULT_RAM_SIZE = 128 * MiB
#: The host bridges' default pci-hole64-size (I440FX_ / Q35_PCI_HOST_HOLE64_SIZE_DEFAULT).
PCI_HOLE64_SIZE = {"i440fx": 2 * GiB, "q35": 32 * GiB}

#: Every versioned machine type of the emulated releases (qemu-system-x86_64
#: -machine help of 7.2 and 10.0); a profile keeps those of its release.
I440FX_VERSIONS: tuple[str, ...] = (
    "1.4", "1.5", "1.6", "1.7",
    "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9",
    "2.10", "2.11", "2.12",
    "3.0", "3.1", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2",
    "6.0", "6.1", "6.2", "7.0", "7.1", "7.2",
    "8.0", "8.1", "8.2", "9.0", "9.1", "9.2", "10.0",
)  # fmt: skip
Q35_VERSIONS: tuple[str, ...] = (
    "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12",
    "3.0", "3.1", "4.0", "4.0.1", "4.1", "4.2", "5.0", "5.1", "5.2",
    "6.0", "6.1", "6.2", "7.0", "7.1", "7.2",
    "8.0", "8.1", "8.2", "9.0", "9.1", "9.2", "10.0",
)  # fmt: skip


@dataclass(frozen=True)
class MachineClass:
    """The class-level (per machine type) facts of QEMU's MachineClass."""

    #: Canonical name, e.g. ``pc-i440fx-7.2``.
    name: str
    #: ``pc`` / ``q35`` for the newest version, else None.
    alias: str | None
    #: ``i440fx``, ``q35`` or ``none``.
    family: str
    #: (major, minor[, micro]) of the versioned type; () for ``none``.
    version: tuple[int, ...]
    #: MachineClass::max_cpus.
    max_cpus: int
    #: MachineClass::min_cpus (0: no minimum).
    min_cpus: int
    #: MachineClass::numa_mem_supported: ``-numa node,mem=`` accepted.
    numa_mem_supported: bool
    #: MachineClass::auto_enable_numa_with_memhp (3.0+).
    auto_enable_numa_with_memhp: bool
    #: MachineClass::auto_enable_numa_with_memdev (5.1+).
    auto_enable_numa_with_memdev: bool
    #: MachineClass::default_ram_id; None: the machine creates no default backend.
    default_ram_id: str | None
    #: MachineClass::default_ram_size.
    default_ram_size: int
    #: MachineClass::default_cpu_type; None: the board creates no CPUs.
    cpu_type: str | None
    #: smp_props.prefer_sockets: missing -smp values favour sockets (before 6.2).
    prefer_sockets: bool
    #: smp_props.dies_supported.
    dies_supported: bool
    #: smp_props.clusters_supported.
    clusters_supported: bool
    #: PCMachineClass::enforce_aligned_dimm (false up to pc-i440fx-2.1).
    enforce_aligned_dimm: bool
    #: PCMachineClass::gigabyte_align (false up to pc-i440fx-1.7).
    gigabyte_align: bool
    #: PCMachineClass::has_reserved_memory: -m slots/maxmem allowed (2.1+).
    has_reserved_memory: bool
    #: PCMachineClass::broken_reserved_end: the 64-bit PCI hole starts at the
    #: device-memory base instead of its end (2.4 and older).
    broken_reserved_end: bool = False
    #: PCMachineClass::enforce_amd_1tb_hole: RAM above 4 GiB moves to 1 TiB on
    #: AMD CPUs when the address space reaches the HyperTransport hole (7.1+).
    enforce_amd_1tb_hole: bool = False
    #: PCMachineClass::fixed_32bit_mem_addr_check (8.2+): pc_max_used_gpa
    #: ends a CPU without long mode at device memory or RAM (True) or at
    #: 2^phys-bits (False, older types); None: the release has no such rule
    #: (Profile.fixed_32bit_mem_addr_check_since).
    fixed_32bit_mem_addr_check: bool | None = None
    #: The PCI host bridge's pci-hole64-size (0: no PCI host).
    pci_hole64_size: int = 0
    #: MachineClass::has_hotpluggable_cpus: query-hotpluggable-cpus works.
    has_hotpluggable_cpus: bool = False
    #: MachineClass::numa_auto_assign_ram is numa_legacy_auto_assign_ram
    #: (2.9 and older), not numa_default_auto_assign_ram.
    legacy_numa_auto_assign_ram: bool = False
    #: MachineClass::deprecation_reason; vl.c warns when the type is used.
    deprecation_reason: str | None = None
    #: smp_props.modules_supported (x86 from 9.1).
    modules_supported: bool = False
    #: The default of virtio-mem's unplugged-inaccessible: hw/i386/pc.c
    #: pc_compat_6_2 sets "off", pc_compat_8_0 "auto"; later types keep the
    #: property's own "on" (QEMU 8.1).
    virtio_mem_unplugged_inaccessible: str = "auto"

    @property
    def has_numa(self) -> bool:
        """Whether machine_initfn creates a NumaState (cpu_index_to_instance_props)."""
        return self.cpu_type is not None

    @property
    def qom_type(self) -> str:
        """The QOM type name, as used in ``Property '<type>.<name>' not found``."""
        return f"{self.name}-machine"


def _parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _deprecation(version: tuple[int, ...], profile: Profile) -> str | None:
    """Why a versioned type is deprecated in ``profile``'s release, or None."""
    for upto, reason in profile.deprecated_machines:
        if version[:2] <= upto:
            return reason
    return None


def _fixed_32bit_mem_addr_check(version: tuple[int, ...], profile: Profile) -> bool | None:
    """pc_*_8_1_machine_options keep the old 32-bit limit for 8.1 and older."""
    since = profile.fixed_32bit_mem_addr_check_since
    return None if since is None else version >= since


def _pc_class(family: str, text: str, profile: Profile) -> MachineClass:
    version = _parse_version(text)
    prefix = "pc-i440fx" if family == "i440fx" else "pc-q35"
    newest = version == profile.latest_machine
    # hw/i386/pc_q35.c pc_q35_2_7_machine_options lowers max_cpus to 255;
    # pc_q35_machine_options raises it to 288 for later q35 types.
    max_cpus = 288 if family == "q35" and version >= (2, 8) else 255
    return MachineClass(
        name=f"{prefix}-{text}",
        alias=("pc" if family == "i440fx" else "q35") if newest else None,
        family=family,
        version=version,
        max_cpus=max_cpus,
        min_cpus=0,
        # pc_*_5_0_machine_options: -numa node,mem is kept for 5.0 and older.
        numa_mem_supported=version <= (5, 0),
        # pc_*_2_10_machine_options: auto NUMA with memory hotplug from 2.11.
        auto_enable_numa_with_memhp=version >= (2, 11),
        # pc_*_5_0_machine_options: auto NUMA with maxmem > size from 5.1.
        auto_enable_numa_with_memdev=version >= (5, 1),
        default_ram_id=DEFAULT_RAM_ID,
        default_ram_size=PC_DEFAULT_RAM_SIZE,
        cpu_type=DEFAULT_CPU_TYPE,
        # pc_*_2_9_machine_options: the old, uneven RAM split.
        legacy_numa_auto_assign_ram=version <= (2, 9),
        # pc_*_6_1_machine_options: prefer_sockets for 6.1 and older.
        prefer_sockets=version <= (6, 1),
        dies_supported=True,
        clusters_supported=False,
        modules_supported=profile.x86_modules,
        enforce_aligned_dimm=version >= (2, 2),
        gigabyte_align=version >= (2, 0),
        has_reserved_memory=version >= (2, 1),
        # pc_*_2_4_machine_options.
        broken_reserved_end=version <= (2, 4),
        # pc_*_7_0_machine_options.
        enforce_amd_1tb_hole=version >= (7, 1),
        fixed_32bit_mem_addr_check=_fixed_32bit_mem_addr_check(version, profile),
        pci_hole64_size=PCI_HOLE64_SIZE[family],
        has_hotpluggable_cpus=True,
        deprecation_reason=_deprecation(version, profile),
        virtio_mem_unplugged_inaccessible=(
            "off" if version <= (6, 2) else "auto" if version <= (8, 0) else "on"
        ),
    )


#: hw/core/null-machine.c: no CPUs by default, no RAM by default, no NUMA.
NONE_MACHINE = MachineClass(
    name="none",
    alias=None,
    family="none",
    version=(),
    max_cpus=1,
    min_cpus=0,
    numa_mem_supported=False,
    auto_enable_numa_with_memhp=False,
    auto_enable_numa_with_memdev=False,
    default_ram_id="ram",
    default_ram_size=0,
    cpu_type=None,
    prefer_sockets=False,
    dies_supported=False,
    clusters_supported=False,
    enforce_aligned_dimm=False,
    gigabyte_align=False,
    has_reserved_memory=False,
)


@functools.cache
def _all_classes(profile: Profile) -> tuple[MachineClass, ...]:
    # Built once per profile: a fleet looks the type up for every machine.
    oldest = {"i440fx": profile.oldest_i440fx, "q35": profile.oldest_q35}
    classes = [
        _pc_class(family, text, profile)
        for family, versions in (("i440fx", I440FX_VERSIONS), ("q35", Q35_VERSIONS))
        for text in versions
        if oldest[family] <= _parse_version(text)[:2] <= profile.latest_machine
    ]
    classes.append(NONE_MACHINE)
    return tuple(classes)


def machine_classes(profile: Profile) -> list[MachineClass]:
    """Every machine type the profile's QEMU has that qmpnuma models."""
    return list(_all_classes(profile))


def machine_class_names(profile: Profile) -> list[str]:
    """Every accepted ``-machine`` type name (canonical names and aliases)."""
    names: list[str] = []
    for mc in _all_classes(profile):
        names.append(mc.name)
        if mc.alias is not None:
            names.append(mc.alias)
    return names


def find_machine_class(name: str, profile: Profile) -> MachineClass | None:
    """Look a machine type up by name or alias (hw/core/machine.c find_machine)."""
    for mc in _all_classes(profile):
        if name in (mc.name, mc.alias):
            return mc
    return None
