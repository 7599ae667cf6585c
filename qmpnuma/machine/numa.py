"""NUMA nodes, distances and CPU-to-node mapping.

QEMU counterparts: hw/core/numa.c (7.2: set_numa_options, parse_numa_node,
parse_numa_distance, numa_complete_configuration, validate_numa_distance,
complete_init_numa_distance, the legacy RAM auto-assignment helpers) and the
NUMA parts of hw/core/machine.c (machine_set_cpu_numa_node,
machine_numa_finish_cpu_init, numa_validate_initiator).

Failure semantics follow QEMU, not a transaction: QEMU applies some side
effects before it detects an error and never rolls them back.  Each such
spot is marked ``QEMU quirk`` below; everything else is checked before it
is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from qmpnuma.errors import GenericError, Reporter
from qmpnuma.machine.backends import MemoryBackend
from qmpnuma.machine.hmat import (
    HmatState,
    NodeView,
    parse_numa_hmat_cache,
    parse_numa_hmat_lb,
)
from qmpnuma.machine.machine_types import MachineClass
from qmpnuma.machine.topology import (
    CpuSlot,
    cpu_slot_to_string,
    x86_get_default_cpu_node_id,
)

__all__ = [
    "MAX_NODES",
    "NUMA_NODE_UNASSIGNED",
    "NUMA_DISTANCE_MIN",
    "NUMA_DISTANCE_DEFAULT",
    "NUMA_DISTANCE_MAX",
    "NUMA_DISTANCE_UNREACHABLE",
    "NUMA_MEM_ALIGN_SHIFT",
    "NodeInfo",
    "NumaState",
    "MemdevResolver",
    "set_numa_options",
    "parse_numa_node",
    "parse_numa_distance",
    "machine_set_cpu_numa_node",
    "numa_complete_configuration",
    "validate_numa_distance",
    "complete_init_numa_distance",
    "machine_numa_finish_cpu_init",
    "numa_cpu_pre_plug",
    "CPU_UNSET_NUMA_NODE_ID",
    "numa_validate_initiator",
    "numa_legacy_auto_assign_ram",
    "numa_default_auto_assign_ram",
    "HMAT_DISABLED",
]

#: include/sysemu/numa.h (7.2)
MAX_NODES = 128
NUMA_NODE_UNASSIGNED = MAX_NODES
NUMA_DISTANCE_MIN = 10
NUMA_DISTANCE_DEFAULT = 20
NUMA_DISTANCE_MAX = 254
NUMA_DISTANCE_UNREACHABLE = 255
#: include/sysemu/numa.h: a CPU's node-id before it is mapped to a node.
CPU_UNSET_NUMA_NODE_ID = -1
#: hw/core/machine.c machine_class_init: numa_mem_align_shift (8 MiB), used
#: only by the legacy auto-assignment helpers.
NUMA_MEM_ALIGN_SHIFT = 23

#: hw/core/numa.c set_numa_options / parse_numa_node (7.2)
HMAT_DISABLED = (
    "ACPI Heterogeneous Memory Attribute Table (HMAT) is disabled, enable it with "
    "-machine hmat=on before using any of hmat specific options"
)

#: Finds a memory backend by QOM path (object_resolve_path_type); None when
#: it is missing, not a memory backend, or ambiguous.
MemdevResolver = Callable[[str], "MemoryBackend | None"]


@dataclass(frozen=True)
class NodeInfo:
    """One NUMA node slot (include/sysemu/numa.h NodeInfo)."""

    present: bool = False
    node_mem: int = 0
    #: Id of the node's memory backend, None without memdev.
    memdev: str | None = None
    #: Initiator node id; NUMA_NODE_UNASSIGNED when unset.  QEMU's zeroed
    #: array starts at 0; parse_numa_node sets it before any use.
    initiator: int = 0
    has_cpu: bool = False
    #: LB_INFO_LATENCY | LB_INFO_BANDWIDTH bits (hmat.py).
    lb_info_provided: int = 0


@dataclass
class NumaState:
    """The machine's NUMA configuration (QEMU's NumaState plus numa.c globals)."""

    hmat_enabled: bool = False
    #: MAX_NODES slots, indexed by node id; only ``present`` ones are nodes.
    nodes: list[NodeInfo] = field(default_factory=lambda: [NodeInfo()] * MAX_NODES)
    num_nodes: int = 0
    #: numa.c global: highest node id + 1.
    max_numa_nodeid: int = 0
    #: numa.c globals: some node used mem= / memdev= (QEMU quirk: sticky).
    have_mem: bool = False
    have_memdevs: bool = False
    have_numa_distance: bool = False
    #: distance[(src, dst)]; absent means 0 (not given).
    distance: dict[tuple[int, int], int] = field(default_factory=dict)
    hmat: HmatState = field(default_factory=HmatState)

    def node_view(self, node_id: int) -> NodeView:
        info = self.nodes[node_id] if 0 <= node_id < MAX_NODES else NodeInfo()
        return NodeView(info.present, info.has_cpu, info.lb_info_provided)

    def present_nodes(self) -> list[tuple[int, NodeInfo]]:
        return [(i, info) for i, info in enumerate(self.nodes) if info.present]

    def numa_uses_legacy_mem(self) -> bool:
        """hw/core/numa.c numa_uses_legacy_mem: no node used memdev=."""
        return not self.have_memdevs


def _set_node(state: NumaState, node_id: int, **changes: object) -> None:
    state.nodes[node_id] = replace(state.nodes[node_id], **changes)  # type: ignore[arg-type]


def _opt_int(opts: Mapping[str, object], key: str) -> int | None:
    value = opts.get(key)
    assert value is None or isinstance(value, int)
    return value


#: The ids machine_set_cpu_numa_node matches, in the order it refuses one
#: the slots lack.  10.0's drawer-id and book-id are taken and ignored.
_MATCHED_IDS = ("thread-id", "core-id", "module-id", "cluster-id", "socket-id", "die-id")


def machine_set_cpu_numa_node(
    state: NumaState, slots: list[CpuSlot], props: Mapping[str, int]
) -> None:
    """Map every slot matching ``props`` to ``props['node-id']`` (hw/core/machine.c).

    QEMU quirk: slots are assigned one by one, so slots matched before an
    error stay assigned.

    Raises:
        GenericError: unsupported id, already assigned, initiator, no match.
    """
    node_id = props["node-id"]
    # The keys asked for, looked up once: -numa cpus=0-254 makes 255 calls
    # over 255 slots.
    asked = [key for key in _MATCHED_IDS if key in props]
    wanted = [(key, props[key]) for key in asked]
    match = False
    for i, slot in enumerate(slots):
        for key in asked:
            if key not in slot.props:
                raise GenericError(f"{key} is not supported")
        if any(slot.props[key] != value for key, value in wanted):
            continue
        old = slot.node_id
        if old is not None and old != node_id:
            raise GenericError(f"CPU is already assigned to node-id: {old}")
        match = True
        slots[i] = slot.with_node(node_id)
        if state.hmat_enabled:
            initiator = state.nodes[node_id].initiator
            if initiator < MAX_NODES and initiator != node_id:
                raise GenericError(
                    f"The initiator of CPU NUMA node {node_id} should be itself (got {initiator})"
                )
            _set_node(state, node_id, has_cpu=True, initiator=node_id)
    if not match:
        raise GenericError("no match found")


def parse_numa_node(
    state: NumaState,
    mc: MachineClass,
    slots: list[CpuSlot],
    opts: Mapping[str, object],
    resolve_memdev: MemdevResolver,
    reporter: Reporter,
    seed_rules: bool = False,
) -> None:
    """Define one node from NumaNodeOptions (hw/core/numa.c parse_numa_node, 7.2).

    ``seed_rules``: the seed's parse_numa_node (Profile.numa_seed_node_rules),
    which checks CPUs, then memory (mem= on any machine type), then the
    initiator; 7.2 checks the initiator first.

    Raises:
        GenericError: QEMU's texts; ``hint`` set where QEMU appends one.
    """
    nodeid = _opt_int(opts, "nodeid")
    nodenr = state.num_nodes if nodeid is None else nodeid
    if nodenr >= MAX_NODES:
        raise GenericError(f"Max number of NUMA nodes reached: {nodenr}")
    if state.nodes[nodenr].present:
        raise GenericError(f"Duplicate NUMA nodeid: {nodenr}")
    if seed_rules:
        _parse_node_cpus(state, slots, opts, nodenr)
        _parse_node_memory(state, mc, opts, nodenr, resolve_memdev, reporter, mem_anywhere=True)
    if not _parse_node_initiator(state, opts, nodenr, reporter):
        return
    if not seed_rules:
        _parse_node_cpus(state, slots, opts, nodenr)
        _parse_node_memory(state, mc, opts, nodenr, resolve_memdev, reporter)
    _set_node(state, nodenr, present=True)
    state.max_numa_nodeid = max(state.max_numa_nodeid, nodenr + 1)
    state.num_nodes += 1


def _parse_node_initiator(
    state: NumaState, opts: Mapping[str, object], nodenr: int, reporter: Reporter
) -> bool:
    """Store the node's initiator; False when the node must not become present."""
    # QEMU quirk: the initiator is stored on the (not yet present) node
    # before the checks below, and stays if they fail.
    _set_node(state, nodenr, initiator=NUMA_NODE_UNASSIGNED)
    initiator = _opt_int(opts, "initiator")
    if initiator is None:
        return True
    if not state.hmat_enabled:
        raise GenericError(HMAT_DISABLED)
    if initiator >= MAX_NODES:
        # QEMU quirk: error_report() and return *without* an error, so
        # the option "succeeds" but the node never becomes present.
        reporter.error(
            f"The initiator id {initiator} expects an integer between 0 and {MAX_NODES - 1}"
        )
        return False
    _set_node(state, nodenr, initiator=initiator)
    return True


def _parse_node_cpus(
    state: NumaState, slots: list[CpuSlot], opts: Mapping[str, object], nodenr: int
) -> None:
    cpus = opts.get("cpus", [])
    assert isinstance(cpus, list)
    # QEMU quirk: each CPU is mapped as it is reached; CPUs mapped before a
    # failing one, or before a later memory error, stay mapped.
    for cpu in cpus:
        if cpu >= len(slots):
            raise GenericError(f"CPU index ({cpu}) should be smaller than maxcpus ({len(slots)})")
        props = {"node-id": nodenr}
        props.update((k, v) for k, v in slots[cpu].props.items() if k != "node-id")
        machine_set_cpu_numa_node(state, slots, props)


def _parse_node_memory(
    state: NumaState,
    mc: MachineClass,
    opts: Mapping[str, object],
    nodenr: int,
    resolve_memdev: MemdevResolver,
    reporter: Reporter,
    mem_anywhere: bool = False,
) -> None:
    has_mem, has_memdev = "mem" in opts, "memdev" in opts
    # QEMU quirk: the flags are set before the checks and never cleared, so
    # one rejected option changes what every later one may use.
    state.have_memdevs = state.have_memdevs or has_memdev
    state.have_mem = state.have_mem or has_mem
    if (has_mem and state.have_memdevs) or (has_memdev and state.have_mem):
        raise GenericError(
            "numa configuration should use either mem= or memdev=,mixing both is not allowed"
        )
    if has_mem:
        if not mc.numa_mem_supported and not mem_anywhere:
            raise GenericError(
                "Parameter -numa node,mem is not supported by this machine type",
                hint="Use -numa node,memdev instead",
            )
        _set_node(state, nodenr, node_mem=opts["mem"])
        reporter.warn("Parameter -numa node,mem is deprecated, use -numa node,memdev instead")
    if has_memdev:
        path = str(opts["memdev"])
        backend = resolve_memdev(path)
        if backend is None:
            # One text for missing, wrong type and ambiguous alike.
            raise GenericError(f"memdev={path} is ambiguous")
        _set_node(state, nodenr, node_mem=backend.size, memdev=backend.id)


def parse_numa_distance(state: NumaState, opts: Mapping[str, object]) -> None:
    """Record one distance from NumaDistOptions (hw/core/numa.c, 7.2).

    Raises:
        GenericError: QEMU's texts.
    """
    src, dst, val = _opt_int(opts, "src"), _opt_int(opts, "dst"), _opt_int(opts, "val")
    assert src is not None and dst is not None and val is not None
    if src >= MAX_NODES or dst >= MAX_NODES:
        which = "src" if src >= MAX_NODES else "dst"
        raise GenericError(f"Parameter '{which}' expects an integer between 0 and {MAX_NODES - 1}")
    if not state.nodes[src].present or not state.nodes[dst].present:
        raise GenericError(
            "Source/Destination NUMA node is missing. "
            "Please use '-numa node' option to declare it first."
        )
    if val < NUMA_DISTANCE_MIN:
        raise GenericError(
            f"NUMA distance ({val}) is invalid, it shouldn't be less than {NUMA_DISTANCE_MIN}."
        )
    if src == dst and val != NUMA_DISTANCE_MIN:
        raise GenericError(f"Local distance of node {src} should be {NUMA_DISTANCE_MIN}.")
    state.distance[(src, dst)] = val
    state.have_numa_distance = True


def _parse_numa_cpu(state: NumaState, slots: list[CpuSlot], opts: Mapping[str, object]) -> None:
    node_id = _opt_int(opts, "node-id")
    if node_id is None:
        raise GenericError("Missing mandatory node-id property")
    # QEMU indexes its node array without a range check here (undefined
    # behaviour); an out-of-range id is rejected like an absent node.
    if not 0 <= node_id < MAX_NODES or not state.nodes[node_id].present:
        raise GenericError(
            f"Invalid node-id={node_id}, NUMA node must be defined with -numa "
            "node,nodeid=ID before it's used with -numa cpu,node-id=ID"
        )
    props = {k: v for k, v in opts.items() if k != "type" and isinstance(v, int)}
    machine_set_cpu_numa_node(state, slots, props)


def _parse_hmat_lb(state: NumaState, opts: Mapping[str, object]) -> None:
    hmat, target, bit = parse_numa_hmat_lb(state.hmat, opts, state.num_nodes, state.node_view)
    state.hmat = hmat
    if bit:
        _set_node(state, target, lb_info_provided=state.nodes[target].lb_info_provided | bit)


def set_numa_options(
    state: NumaState | None,
    mc: MachineClass,
    slots: list[CpuSlot],
    opts: Mapping[str, object],
    resolve_memdev: MemdevResolver,
    reporter: Reporter,
    seed_rules: bool = False,
) -> None:
    """Apply one NumaOptions, as ``-numa`` and ``set-numa-node`` do (7.2).

    ``opts`` is the flat QAPI union: ``type`` plus that branch's members;
    ``seed_rules`` as for parse_numa_node.

    Raises:
        GenericError: QEMU's texts (see the parse_* functions).
    """
    if state is None:
        raise GenericError("NUMA is not supported by this machine-type")
    kind = opts["type"]
    if kind == "node":
        parse_numa_node(state, mc, slots, opts, resolve_memdev, reporter, seed_rules)
    elif kind == "dist":
        parse_numa_distance(state, opts)
    elif kind == "cpu":
        _parse_numa_cpu(state, slots, opts)
    elif not state.hmat_enabled:
        raise GenericError(HMAT_DISABLED)
    elif kind == "hmat-lb":
        _parse_hmat_lb(state, opts)
    elif kind == "hmat-cache":
        state.hmat = parse_numa_hmat_cache(state.hmat, opts, state.num_nodes, state.node_view)
    else:
        raise AssertionError(f"unknown NumaOptionsType {kind!r}")


def validate_numa_distance(state: NumaState) -> None:
    """hw/core/numa.c validate_numa_distance: a value per pair, complete if asymmetric.

    Raises:
        GenericError: QEMU's texts (fatal at machine creation).
    """
    n = state.num_nodes
    dist = state.distance
    is_asymmetrical = False
    for src in range(n):
        for dst in range(src, n):
            forward, backward = dist.get((src, dst), 0), dist.get((dst, src), 0)
            if forward == 0 and backward == 0 and src != dst:
                raise GenericError(
                    f"The distance between node {src} and {dst} is missing, at least one "
                    "distance value between each nodes should be provided."
                )
            if forward != 0 and backward != 0 and forward != backward:
                is_asymmetrical = True
    if not is_asymmetrical:
        return
    for src in range(n):
        for dst in range(n):
            if src != dst and dist.get((src, dst), 0) == 0:
                raise GenericError(
                    "At least one asymmetrical pair of distances is given, please provide "
                    "distances for both directions of all node pairs."
                )


def complete_init_numa_distance(state: NumaState) -> None:
    """hw/core/numa.c: fill missing directions symmetrically, 10 on the diagonal."""
    for src in range(state.num_nodes):
        for dst in range(state.num_nodes):
            if state.distance.get((src, dst), 0) == 0:
                value = NUMA_DISTANCE_MIN if src == dst else state.distance.get((dst, src), 0)
                state.distance[(src, dst)] = value


def numa_complete_configuration(
    state: NumaState,
    mc: MachineClass,
    ram_size: int,
    maxram_size: int,
    ram_slots: int,
    slots: list[CpuSlot],
    reporter: Reporter,
    auto_split_ram: bool = False,
) -> None:
    """The node checks of hw/core/numa.c numa_complete_configuration (7.2).

    ``auto_split_ram`` brings back the older releases' sharing of RAM between
    nodes that state none (see Profile.numa_auto_split_ram).

    The memory-backend exclusivity and backend mapping steps need the
    machine's objects and are done by the caller right after this.

    Raises:
        GenericError: missing node id, memory sum (fatal at creation).
    """
    if state.num_nodes == 0 and (
        (ram_slots and mc.auto_enable_numa_with_memhp)
        or (maxram_size > ram_size and mc.auto_enable_numa_with_memdev)
    ):
        # Guests need an SRAT for memory hotplug: add one node with all RAM.
        parse_numa_node(state, mc, slots, {}, lambda _path: None, reporter)
        _set_node(state, 0, node_mem=ram_size)
    # No sparse node ids; report the highest missing id first.
    for i in range(state.max_numa_nodeid - 1, -1, -1):
        if not state.nodes[i].present:
            raise GenericError(f"numa: Node ID missing: {i}")
    if state.num_nodes == 0:
        return
    if auto_split_ram and not any(info.node_mem for _, info in state.present_nodes()):
        _auto_assign_ram(state, mc, ram_size, reporter)
    total = sum(info.node_mem for _, info in state.present_nodes())
    if total != ram_size:
        raise GenericError(
            f"total memory for NUMA nodes (0x{total:x}) should equal RAM size (0x{ram_size:x})"
        )


def numa_validate_initiator(state: NumaState) -> None:
    """hw/core/machine.c numa_validate_initiator (7.2).

    Raises:
        GenericError: the initiator node is absent or has no CPU.
    """
    for i in range(state.num_nodes):
        initiator = state.nodes[i].initiator
        if initiator == NUMA_NODE_UNASSIGNED:
            continue
        if not state.nodes[initiator].present:
            raise GenericError(
                f"NUMA node {initiator} is missing, use '-numa node' option to declare it first"
            )
        if not state.nodes[initiator].has_cpu:
            raise GenericError(f"The initiator of NUMA node {i} is invalid")


def machine_numa_finish_cpu_init(
    state: NumaState, slots: list[CpuSlot], reporter: Reporter
) -> None:
    """Map the remaining CPU slots to nodes (hw/core/machine.c, 7.2).

    Without any explicit mapping, sockets go round-robin over the nodes;
    otherwise unmapped slots go to node 0 with two warnings.

    Raises:
        GenericError: from machine_set_cpu_numa_node or the initiator check.
    """
    default_mapping = all(slot.node_id is None for slot in slots)
    unmapped = []
    for i, slot in enumerate(slots):
        if slot.node_id is not None:
            continue
        node_id = x86_get_default_cpu_node_id(slot, state.num_nodes)
        if not default_mapping:
            unmapped.append(f"CPU {i} [{cpu_slot_to_string(slot)}]")
            node_id = 0
        props = {"node-id": node_id, **slot.props}
        machine_set_cpu_numa_node(state, slots, props)
    if state.hmat_enabled:
        numa_validate_initiator(state)
    if unmapped:
        reporter.warn(f"CPU(s) not present in any NUMA nodes: {', '.join(unmapped)}")
        reporter.warn(
            "All CPU(s) up to maxcpus should be described in NUMA config, ability to start "
            "up with partial NUMA mappings is obsoleted and will be removed in future"
        )


def numa_cpu_pre_plug(slot: CpuSlot, node_id: int) -> int:
    """The node-id a CPU plugged into ``slot`` ends up with (hw/core/numa.c, 7.2).

    An unset node-id is filled in from the slot (QEMU's comment blames
    libvirt for not passing it); a slot without a node counts as node 0,
    QEMU's zero-filled CpuInstanceProperties.

    Raises:
        GenericError: ``invalid node-id, must be N``.
    """
    if node_id == CPU_UNSET_NUMA_NODE_ID:
        return slot.props.get("node-id", CPU_UNSET_NUMA_NODE_ID)
    expected = slot.props.get("node-id", 0)
    if node_id != expected:
        raise GenericError(f"invalid node-id, must be {expected}")
    return node_id


def _auto_assign_ram(state: NumaState, mc: MachineClass, ram_size: int, reporter: Reporter) -> None:
    """The seed's default split: every node gets a share of RAM, and a warning."""
    split = (
        numa_legacy_auto_assign_ram
        if mc.legacy_numa_auto_assign_ram
        else numa_default_auto_assign_ram
    )
    for node, node_mem in enumerate(split(ram_size, state.num_nodes, NUMA_MEM_ALIGN_SHIFT)):
        _set_node(state, node, node_mem=node_mem)
    # Sic: "explictly".
    reporter.warn(
        "Default splitting of RAM between nodes is deprecated, Use '-numa node,memdev' "
        "to explictly define RAM allocation per node"
    )


def numa_legacy_auto_assign_ram(size: int, nb_nodes: int, align_shift: int) -> list[int]:
    """Split RAM evenly, aligned, remainder to the last node (pre-5.2 numa.c).

    Used only by profiles of QEMU releases that auto-split RAM; 7.2 does not.
    """
    mask = ~((1 << align_shift) - 1)
    nodes = [(size // nb_nodes) & mask for _ in range(nb_nodes - 1)]
    return [*nodes, size - sum(nodes)]


def numa_default_auto_assign_ram(size: int, nb_nodes: int, align_shift: int) -> list[int]:
    """Like the legacy split, carrying the rounding remainder forward (pre-5.2)."""
    mask = ~((1 << align_shift) - 1)
    granularity, propagate = size // nb_nodes, 0
    nodes = []
    for _ in range(nb_nodes - 1):
        node_mem = (granularity + propagate) & mask
        propagate = granularity + propagate - node_mem
        nodes.append(node_mem)
    return [*nodes, size - sum(nodes)]
