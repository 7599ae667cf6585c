"""CPU topology: -smp parsing, possible CPU slots and their instance properties.

QEMU counterparts: hw/core/machine-smp.c (machine_parse_smp_config,
cpu_hierarchy_to_string), hw/i386/x86.c (x86_possible_cpu_arch_ids,
x86_cpu_index_to_props, x86_get_default_cpu_node_id) and
include/hw/i386/topology.h (APIC id packing).

A ``CpuSlot`` is QEMU's CPUArchId: one possible CPU, present or not.  Slots
are values; assigning a node replaces the slot in the machine's list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from qmpnuma.errors import GenericError, Reporter
from qmpnuma.machine.machine_types import MachineClass
from qmpnuma.profile import Profile

__all__ = [
    "SmpConfig",
    "CpuSlot",
    "machine_parse_smp_config",
    "DEFAULT_SMP",
    "x86_possible_cpu_arch_ids",
    "cpu_slot_to_string",
    "x86_get_default_cpu_node_id",
    "x86_apicid_from_topo_ids",
    "x86_topo_ids_from_apicid",
    "X86TopoIds",
    "INSTANCE_ID_KEYS",
]

#: CpuInstanceProperties topology members, in schema order (10.0; 7.2 has
#: no drawer-id, book-id or module-id, which its slots never carry).
INSTANCE_ID_KEYS = ("drawer-id", "book-id", "socket-id", "die-id", "cluster-id", "module-id",
                    "core-id", "thread-id")  # fmt: skip

#: machine_parse_smp_config keeps the values in C ``unsigned`` variables.
_UINT_MASK = 0xFFFFFFFF


@dataclass(frozen=True)
class SmpConfig:
    """The resolved topology (QEMU's CpuTopology, ``ms->smp``)."""

    cpus: int = 1
    sockets: int = 1
    dies: int = 1
    clusters: int = 1
    cores: int = 1
    threads: int = 1
    max_cpus: int = 1
    #: The levels QEMU 10.0 added (always 1 on 7.2).
    modules: int = 1
    books: int = 1
    drawers: int = 1


#: ms->smp before any -smp (machine_initfn: default_cpus 1, every level 1).
DEFAULT_SMP = SmpConfig()


@dataclass(frozen=True)
class CpuSlot:
    """One possible CPU (QEMU's CPUArchId)."""

    #: Position in possible_cpus, which is also the cpu-index.
    index: int
    #: QOM type of the CPU, e.g. ``qemu64-x86_64-cpu``.
    type: str
    vcpus_count: int
    #: The APIC id (CPUArchId::arch_id).
    arch_id: int
    #: Instance properties in CpuInstanceProperties order; ``node-id`` is
    #: present once the slot has been mapped to a node.
    props: Mapping[str, int]
    #: Canonical QOM path of the plugged CPU, None while the slot is empty.
    qom_path: str | None = None

    @property
    def node_id(self) -> int | None:
        return self.props.get("node-id")

    def with_node(self, node_id: int) -> CpuSlot:
        """The slot mapped to ``node_id`` (node-id comes first, as in QAPI)."""
        props = {"node-id": node_id}
        props.update((k, v) for k, v in self.props.items() if k != "node-id")
        return replace(self, props=props)


def _level_supported(mc: MachineClass, level: str) -> bool:
    """smp_props.<level>_supported.

    Books and drawers are s390x's: no modelled machine has them.
    """
    return {
        "dies": mc.dies_supported,
        "clusters": mc.clusters_supported,
        "modules": mc.modules_supported,
    }.get(level, False)


def _cpu_hierarchy_to_string(mc: MachineClass, smp: SmpConfig) -> str:
    # hw/core/machine-smp.c cpu_hierarchy_to_string
    parts = [f"sockets ({smp.sockets})"]
    if mc.dies_supported:
        parts.append(f"dies ({smp.dies})")
    if mc.clusters_supported:
        parts.append(f"clusters ({smp.clusters})")
    if mc.modules_supported:
        parts.append(f"modules ({smp.modules})")
    parts.append(f"cores ({smp.cores})")
    parts.append(f"threads ({smp.threads})")
    return " * ".join(parts)


def _div(a: int, b: int) -> int:
    # An unsigned division whose divisor may be 0 only when a product
    # overflowed to 0; QEMU would trap, we give 0 and let the product check fail.
    return a // b if b else 0


def _fill_missing(
    mc: MachineClass,
    cpus: int,
    maxcpus: int,
    sockets: int,
    levels: int,
    cores: int,
    threads: int,
) -> tuple[int, int, int, int]:
    """Compute omitted sockets/cores/threads; returns them and maxcpus.

    ``levels`` is the product of the levels that are never computed
    (drawers, books, dies, clusters, modules).
    """
    if cpus == 0 and maxcpus == 0:
        return sockets or 1, cores or 1, threads or 1, maxcpus
    maxcpus = maxcpus or cpus
    if mc.prefer_sockets:
        # Before 6.2, sockets were computed before cores.
        if sockets == 0:
            cores, threads = cores or 1, threads or 1
            sockets = _div(maxcpus, levels * cores * threads & _UINT_MASK)
        elif cores == 0:
            threads = threads or 1
            cores = _div(maxcpus, sockets * levels * threads & _UINT_MASK)
    elif cores == 0:
        sockets, threads = sockets or 1, threads or 1
        cores = _div(maxcpus, sockets * levels * threads & _UINT_MASK)
    elif sockets == 0:
        threads = threads or 1
        sockets = _div(maxcpus, levels * cores * threads & _UINT_MASK)
    if threads == 0:
        threads = _div(maxcpus, sockets * levels * cores & _UINT_MASK)
    return sockets, cores, threads, maxcpus


def machine_parse_smp_config(
    mc: MachineClass, config: Mapping[str, int], reporter: Reporter, profile: Profile
) -> SmpConfig:
    """Resolve an SMPConfiguration (hw/core/machine-smp.c).

    ``config`` holds the members that were given, of the profile's
    SMPConfiguration.  Returns the topology.  ``profile`` gives the
    release's rules (Profile.smp_*).

    Raises:
        GenericError: QEMU's topology texts.
    """
    given = {key: config[key] & _UINT_MASK for key in profile.smp_members if key in config}
    if any(value == 0 for value in given.values()):
        if profile.smp_zero_is_error:
            raise GenericError(
                "Invalid CPU topology: CPU topology parameters must be greater than zero"
            )
        reporter.warn(
            "Deprecated CPU topology (considered invalid): "
            "CPU topology parameters must be greater than zero"
        )
    for level in profile.smp_optional_levels:
        if not _level_supported(mc, level) and given.get(level, 0) > 1:
            raise GenericError(profile.smp_level_unsupported.format(level=level))
    dies, clusters, modules, books, drawers = (
        given.get(level, 0) or 1 for level in ("dies", "clusters", "modules", "books", "drawers")
    )
    levels = drawers * books * dies * clusters * modules
    cpus = given.get("cpus", 0)
    sockets, cores, threads, maxcpus = _fill_missing(
        mc,
        cpus,
        given.get("maxcpus", 0),
        given.get("sockets", 0),
        levels,
        given.get("cores", 0),
        given.get("threads", 0),
    )
    product = sockets * levels * cores * threads & _UINT_MASK
    maxcpus = maxcpus or product
    cpus = cpus or maxcpus
    smp = SmpConfig(
        cpus, sockets, dies, clusters, cores, threads, maxcpus, modules, books, drawers
    )
    if product != maxcpus:
        raise GenericError(
            "Invalid CPU topology: product of the hierarchy must match maxcpus: "
            f"{_cpu_hierarchy_to_string(mc, smp)} != maxcpus ({maxcpus})"
        )
    if maxcpus < cpus:
        raise GenericError(
            "Invalid CPU topology: maxcpus must be equal to or greater than smp: "
            f"{_cpu_hierarchy_to_string(mc, smp)} == maxcpus ({maxcpus}) < smp_cpus ({cpus})"
        )
    if cpus < mc.min_cpus:
        raise GenericError(
            f"Invalid SMP CPUs {_c_int(cpus)}. The min CPUs supported by machine "
            f"'{mc.name}' is {mc.min_cpus}"
        )
    if maxcpus > mc.max_cpus:
        raise GenericError(
            f"Invalid SMP CPUs {_c_int(maxcpus)}. The max CPUs supported by machine "
            f"'{mc.name}' is {mc.max_cpus}"
        )
    return smp


def _bitwidth_for_count(count: int) -> int:
    # include/hw/i386/topology.h apicid_bitwidth_for_count
    return (count - 1).bit_length() if count > 1 else 0


#: An x86 CPU's place: (socket, die, module, core, thread).
X86TopoIds = tuple[int, int, int, int, int]


def _widths(smp: SmpConfig) -> tuple[int, ...]:
    """Bits of the thread, core, module and die fields of an APIC id."""
    return tuple(
        _bitwidth_for_count(count) for count in (smp.threads, smp.cores, smp.modules, smp.dies)
    )


def x86_apicid_from_topo_ids(smp: SmpConfig, ids: X86TopoIds) -> int:
    """include/hw/i386/topology.h x86_apicid_from_topo_ids.

    The fields from the thread up; the socket takes the bits left above.
    """
    apic_id, shift = 0, 0
    for value, width in zip(reversed(ids), (*_widths(smp), 0), strict=True):
        apic_id |= value << shift
        shift += width
    return apic_id


def x86_topo_ids_from_apicid(smp: SmpConfig, apic_id: int) -> X86TopoIds:
    """include/hw/i386/topology.h x86_topo_ids_from_apicid."""
    fields = []
    for width in _widths(smp):
        fields.append(apic_id & ((1 << width) - 1))
        apic_id >>= width
    thread, core, module, die = fields
    return apic_id, die, module, core, thread


def x86_possible_cpu_arch_ids(smp: SmpConfig, cpu_type: str) -> list[CpuSlot]:
    """Every possible CPU slot in cpu-index order (hw/i386/x86.c).

    die-id exists only when dies > 1 and module-id when modules > 1; x86
    has no cluster-id.
    """
    slots = []
    for index in range(smp.max_cpus):
        # x86_topo_ids_from_idx: the index counts threads, then cores,
        # modules, dies and sockets.
        thread = index % smp.threads
        core = index // smp.threads % smp.cores
        module = index // (smp.threads * smp.cores) % smp.modules
        die = index // (smp.threads * smp.cores * smp.modules) % smp.dies
        socket = index // (smp.threads * smp.cores * smp.modules * smp.dies)
        props = {"socket-id": socket}
        if smp.dies > 1:
            props["die-id"] = die
        if smp.modules > 1:
            props["module-id"] = module
        props["core-id"] = core
        props["thread-id"] = thread
        slots.append(
            CpuSlot(
                index=index,
                type=cpu_type,
                vcpus_count=1,
                arch_id=x86_apicid_from_topo_ids(smp, (socket, die, module, core, thread)),
                props=props,
            )
        )
    return slots


def x86_get_default_cpu_node_id(slot: CpuSlot, num_nodes: int) -> int:
    """hw/i386/x86.c x86_get_default_cpu_node_id: sockets round-robin over nodes."""
    return slot.props["socket-id"] % num_nodes


def cpu_slot_to_string(slot: CpuSlot) -> str:
    """hw/core/machine.c cpu_slot_to_string: ``socket-id: 1, core-id: 0, ...``."""
    return ", ".join(f"{key}: {slot.props[key]}" for key in INSTANCE_ID_KEYS if key in slot.props)


def _c_int(value: int) -> int:
    """An unsigned int as printf("%d") shows it (hw/core/machine-smp.c)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value
