"""HMAT locality and cache options (``-numa hmat-lb`` / ``-numa hmat-cache``).

QEMU counterparts: hw/core/numa.c parse_numa_hmat_lb and
parse_numa_hmat_cache (7.2), include/sysemu/numa.h (HMAT_LB_Info,
HMAT_LB_LEVELS, HMAT_LB_TYPES).

The ACPI HMAT stores each latency/bandwidth table as 16-bit entries times a
common base unit, so QEMU rejects values that would not fit once the table
is compressed.  The checks below keep QEMU's arithmetic, including its use
of the previous base for latencies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from qmpnuma.errors import GenericError

__all__ = [
    "HMAT_LB_LEVELS",
    "HMAT_LB_TYPES",
    "HMAT_LB_HIERARCHIES",
    "HMAT_LB_DATA_TYPES",
    "LB_INFO_LATENCY",
    "LB_INFO_BANDWIDTH",
    "LbData",
    "LbTable",
    "HmatCache",
    "HmatState",
    "NodeView",
    "is_latency_type",
    "parse_numa_hmat_lb",
    "parse_numa_hmat_cache",
]

#: include/sysemu/numa.h: the memory level plus three cache levels.
HMAT_LB_LEVELS = 4
#: include/sysemu/numa.h: access/read/write latency and bandwidth.
HMAT_LB_TYPES = 6
#: HmatLBMemoryHierarchy (qapi/machine.json), in enum order.
HMAT_LB_HIERARCHIES = ("memory", "first-level", "second-level", "third-level")
#: HmatLBDataType (qapi/machine.json), in enum order; the first three are latencies.
HMAT_LB_DATA_TYPES = (
    "access-latency", "read-latency", "write-latency",
    "access-bandwidth", "read-bandwidth", "write-bandwidth",
)  # fmt: skip
_LAST_LATENCY_TYPE = 2
#: NodeInfo::lb_info_provided bits: BIT(0) latency, BIT(1) bandwidth.
LB_INFO_LATENCY = 1
LB_INFO_BANDWIDTH = 2
#: The compressed entries are 16 bits; 0xFFFF means "unreachable".
UINT16_MAX = 0xFFFF
UINT16_BITS = 16
UINT64_MAX = (1 << 64) - 1
MiB = 1 << 20


@dataclass(frozen=True)
class LbData:
    """One locality entry (HMAT_LB_Data)."""

    initiator: int
    target: int
    data: int


@dataclass(frozen=True)
class LbTable:
    """One (hierarchy, data type) table (HMAT_LB_Info)."""

    hierarchy: str
    data_type: str
    #: The base unit; 0 until the first entry.
    base: int = 0
    #: Latency: the largest compressed entry; bandwidth: OR of every value.
    range_bitmap: int = 0
    entries: tuple[LbData, ...] = ()


@dataclass(frozen=True)
class HmatCache:
    """One memory-side cache (NumaHmatCacheOptions as stored)."""

    node_id: int
    size: int
    level: int
    associativity: str
    policy: str
    line: int


@dataclass(frozen=True)
class NodeView:
    """What the HMAT checks read of a NUMA node."""

    present: bool
    has_cpu: bool
    lb_info_provided: int


@dataclass(frozen=True)
class HmatState:
    """Every HMAT table and cache of a machine."""

    #: Keyed by (hierarchy, data type) names, once the first option touched it.
    lb: Mapping[tuple[str, str], LbTable] = field(default_factory=dict)
    #: Keyed by (node id, level).
    caches: Mapping[tuple[int, int], HmatCache] = field(default_factory=dict)


def is_latency_type(data_type: str) -> bool:
    """Whether an HmatLBDataType is a latency (HMAT_LB_DATA_WRITE_LATENCY and below)."""
    return HMAT_LB_DATA_TYPES.index(data_type) <= _LAST_LATENCY_TYPE


def _int(opts: Mapping[str, object], key: str) -> int:
    value = opts[key]
    assert isinstance(value, int)
    return value


def _compress_latency(table: LbTable, opts: Mapping[str, object], latency: int) -> LbTable:
    """The latency base-unit arithmetic of parse_numa_hmat_lb."""
    base = table.base or UINT64_MAX
    if not latency:
        return replace(table, base=base)
    max_entry, temp_base = latency, 1
    while max_entry % 10 == 0:
        max_entry //= 10
        temp_base *= 10
    temp_base = min(base, temp_base)
    # QEMU divides by the previous base, not the new one.
    max_entry = max(table.range_bitmap, latency // base)
    if max_entry >= UINT16_MAX:
        raise GenericError(
            f"Latency {latency} between initiator={opts['initiator']} and "
            f"target={opts['target']} should not differ from previously entered "
            f"min or max values on more than {UINT16_MAX - 1}"
        )
    return replace(table, base=temp_base, range_bitmap=max_entry)


def _compress_bandwidth(table: LbTable, opts: Mapping[str, object], bandwidth: int) -> LbTable:
    """The bandwidth base-unit arithmetic of parse_numa_hmat_lb."""
    base = table.base or 1
    if not bandwidth:
        return replace(table, base=base)
    bitmap = table.range_bitmap | bandwidth
    first_bit = (bitmap & -bitmap).bit_length() - 1
    temp_base = 1 << first_bit
    max_entry = bandwidth // temp_base
    last_bit = bitmap.bit_length()
    if last_bit - first_bit > UINT16_BITS or max_entry >= UINT16_MAX:
        raise GenericError(
            f"Bandwidth {bandwidth} between initiator={opts['initiator']} and "
            f"target={opts['target']} should not differ from previously entered "
            f"values on more than {UINT16_MAX - 1}"
        )
    return replace(table, base=temp_base, range_bitmap=bitmap)


def parse_numa_hmat_lb(
    state: HmatState,
    opts: Mapping[str, object],
    num_nodes: int,
    node: Callable[[int], NodeView],
) -> tuple[HmatState, int, int]:
    """Check and store one NumaHmatLBOptions (hw/core/numa.c, 7.2).

    Returns the new state, the target node and the lb_info_provided bit to
    set on it (0 when a zero value was given).

    Raises:
        GenericError: QEMU's texts, in QEMU's order.
    """
    initiator, target = _int(opts, "initiator"), _int(opts, "target")
    # Sic: '>' rather than '>=', so initiator == num_nodes passes this check.
    if initiator > num_nodes:
        raise GenericError(f"Invalid initiator={initiator}, it should be less than {num_nodes}")
    if target > num_nodes:
        raise GenericError(f"Invalid target={target}, it should be less than {num_nodes}")
    if not node(initiator).has_cpu:
        raise GenericError(f"Invalid initiator={initiator}, it isn't an initiator proximity domain")
    if not node(target).present:
        raise GenericError(f"The target={target} should point to an existing node")
    key = (str(opts["hierarchy"]), str(opts["data-type"]))
    table = state.lb.get(key, LbTable(*key))
    if is_latency_type(key[1]):
        if "latency" not in opts:
            raise GenericError("Missing 'latency' option")
        if "bandwidth" in opts:
            raise GenericError("Invalid option 'bandwidth' since the data type is latency")
        _check_duplicate(table, initiator, target, "latency")
        value = _int(opts, "latency")
        table = _compress_latency(table, opts, value)
        bit = LB_INFO_LATENCY if value else 0
    else:
        if "bandwidth" not in opts:
            raise GenericError("Missing 'bandwidth' option")
        if "latency" in opts:
            raise GenericError("Invalid option 'latency' since the data type is bandwidth")
        value = _int(opts, "bandwidth")
        if value % MiB:
            raise GenericError(
                f"Bandwidth {value} between initiator={initiator} and "
                f"target={target} should be 1MB aligned"
            )
        _check_duplicate(table, initiator, target, "bandwidth")
        table = _compress_bandwidth(table, opts, value)
        bit = LB_INFO_BANDWIDTH if value else 0
    table = replace(table, entries=(*table.entries, LbData(initiator, target, value)))
    return replace(state, lb={**state.lb, key: table}), target, bit


def _check_duplicate(table: LbTable, initiator: int, target: int, what: str) -> None:
    if any(e.initiator == initiator and e.target == target for e in table.entries):
        raise GenericError(
            f"Duplicate configuration of the {what} for initiator={initiator} and target={target}"
        )


def parse_numa_hmat_cache(
    state: HmatState,
    opts: Mapping[str, object],
    num_nodes: int,
    node: Callable[[int], NodeView],
) -> HmatState:
    """Check and store one NumaHmatCacheOptions (hw/core/numa.c, 7.2).

    Raises:
        GenericError: QEMU's texts, in QEMU's order.
    """
    node_id, level, size = _int(opts, "node-id"), _int(opts, "level"), _int(opts, "size")
    if node_id >= num_nodes:
        raise GenericError(f"Invalid node-id={node_id}, it should be less than {num_nodes}")
    if node(node_id).lb_info_provided != LB_INFO_LATENCY | LB_INFO_BANDWIDTH:
        raise GenericError(
            f"The latency and bandwidth information of node-id={node_id} should be "
            "provided before memory side cache attributes"
        )
    if level < 1 or level >= HMAT_LB_LEVELS:
        raise GenericError(
            f"Invalid level={level}, it should be larger than 0 and less than or "
            f"equal to {HMAT_LB_LEVELS - 1}"
        )
    caches = state.caches
    if (node_id, level) in caches:
        raise GenericError(
            f"Duplicate configuration of the side cache for node-id={node_id} and level={level}"
        )
    lower = caches.get((node_id, level - 1))
    if level > 1 and lower is None:
        raise GenericError(f"Cache level={level - 1} shall be defined first")
    if level > 1 and lower is not None and size <= lower.size:
        raise GenericError(
            f"Invalid size={size}, the size of level={level} should be larger than "
            f"the size({lower.size}) of level={level - 1}"
        )
    upper = caches.get((node_id, level + 1))
    if level < HMAT_LB_LEVELS - 1 and upper is not None and size >= upper.size:
        raise GenericError(
            f"Invalid size={size}, the size of level={level} should be less than "
            f"the size({upper.size}) of level={level + 1}"
        )
    cache = HmatCache(
        node_id=node_id, size=size, level=level, associativity=str(opts["associativity"]),
        policy=str(opts["policy"]), line=_int(opts, "line"),
    )  # fmt: skip
    return replace(state, caches={**caches, (node_id, level): cache})
