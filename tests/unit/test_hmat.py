"""HMAT lb/cache options: numa-test.c pc_hmat_build_cfg and pc_hmat_erange_cfg."""

from __future__ import annotations

import pytest

from qmpnuma.errors import GenericError
from qmpnuma.machine.hmat import (
    LB_INFO_BANDWIDTH,
    LB_INFO_LATENCY,
    HmatState,
    NodeView,
    parse_numa_hmat_cache,
    parse_numa_hmat_lb,
)

MiB = 1 << 20


class Nodes:
    """Two nodes, node 0 with CPUs (the numa-test.c HMAT configuration)."""

    def __init__(self) -> None:
        self.lb_info = [0, 0]
        self.state = HmatState()

    def view(self, node_id: int) -> NodeView:
        if node_id >= 2:
            return NodeView(False, False, 0)
        return NodeView(True, node_id == 0, self.lb_info[node_id])

    def lb(self, **opts: object) -> None:
        args = {"initiator": 0, "target": 0, "hierarchy": "memory"}
        args.update({k.replace("_", "-"): v for k, v in opts.items()})
        self.state, target, bit = parse_numa_hmat_lb(self.state, args, 2, self.view)
        self.lb_info[target] |= bit

    def cache(self, **opts: object) -> None:
        args = {"node-id": 0, "size": 10240, "level": 1, "associativity": "direct",
                "policy": "write-back", "line": 8}  # fmt: skip
        args.update({k.replace("_", "-"): v for k, v in opts.items()})
        self.state = parse_numa_hmat_cache(self.state, args, 2, self.view)


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        ({"initiator": 3, "data_type": "access-latency", "latency": 1},
         "Invalid initiator=3, it should be less than 2"),
        # Sic: initiator == num_nodes passes the range check.
        ({"initiator": 2, "data_type": "access-latency", "latency": 1},
         "Invalid initiator=2, it isn't an initiator proximity domain"),
        ({"target": 3, "data_type": "access-latency", "latency": 1},
         "Invalid target=3, it should be less than 2"),
        ({"target": 2, "data_type": "access-latency", "latency": 1},
         "The target=2 should point to an existing node"),
        ({"initiator": 1, "data_type": "access-latency", "latency": 1},
         "Invalid initiator=1, it isn't an initiator proximity domain"),
        ({"data_type": "write-latency", "bandwidth": MiB},
         "Missing 'latency' option"),
        ({"data_type": "write-latency", "latency": 1, "bandwidth": MiB},
         "Invalid option 'bandwidth' since the data type is latency"),
        ({"data_type": "read-bandwidth", "latency": 1},
         "Missing 'bandwidth' option"),
        ({"data_type": "read-bandwidth", "latency": 1, "bandwidth": MiB},
         "Invalid option 'latency' since the data type is bandwidth"),
        ({"data_type": "access-bandwidth", "bandwidth": 1048575},
         "Bandwidth 1048575 between initiator=0 and target=0 should be 1MB aligned"),
    ],
)  # fmt: skip
def test_lb_rejects(opts: dict[str, object], message: str) -> None:
    nodes = Nodes()
    with pytest.raises(GenericError) as info:
        nodes.lb(**opts)
    assert info.value.desc == message
    assert nodes.state == HmatState()


def test_build_cfg_accepts_and_detects_duplicates() -> None:
    nodes = Nodes()
    nodes.lb(data_type="access-latency", latency=1)
    with pytest.raises(GenericError) as info:
        nodes.lb(data_type="access-latency", latency=5)
    assert info.value.desc == "Duplicate configuration of the latency for initiator=0 and target=0"
    nodes.lb(data_type="access-bandwidth", bandwidth=68717379584)
    nodes.lb(target=1, data_type="access-latency", latency=65534)
    nodes.lb(target=1, data_type="access-bandwidth", bandwidth=34358689792)
    with pytest.raises(GenericError, match="Duplicate configuration of the bandwidth"):
        nodes.lb(target=1, data_type="access-bandwidth", bandwidth=MiB)
    table = nodes.state.lb[("memory", "access-latency")]
    assert (table.base, [e.data for e in table.entries]) == (1, [1, 65534])
    assert nodes.lb_info == [LB_INFO_LATENCY | LB_INFO_BANDWIDTH] * 2


def test_build_cfg_caches() -> None:
    nodes = Nodes()
    nodes.lb(data_type="access-latency", latency=1)
    nodes.lb(data_type="access-bandwidth", bandwidth=MiB)
    nodes.lb(target=1, data_type="access-latency", latency=2)
    nodes.lb(target=1, data_type="access-bandwidth", bandwidth=MiB)
    rejects = [
        ({"node_id": 2}, "Invalid node-id=2, it should be less than 2"),
        ({"level": 4}, "Invalid level=4, it should be larger than 0 and less than or equal to 3"),
        ({"level": 0}, "Invalid level=0, it should be larger than 0 and less than or equal to 3"),
        ({"level": 2}, "Cache level=1 shall be defined first"),
    ]
    for opts, message in rejects:
        with pytest.raises(GenericError) as info:
            nodes.cache(**opts)
        assert info.value.desc == message
    nodes.cache()
    with pytest.raises(GenericError) as info:
        nodes.cache()
    assert info.value.desc == "Duplicate configuration of the side cache for node-id=0 and level=1"
    with pytest.raises(GenericError) as info:
        nodes.cache(level=2, size=8192)
    assert info.value.desc == (
        "Invalid size=8192, the size of level=2 should be larger than the size(10240) of level=1"
    )
    nodes.cache(node_id=1)
    nodes.cache(level=2, size=20480)
    assert sorted(nodes.state.caches) == [(0, 1), (0, 2), (1, 1)]


def test_erange_cfg() -> None:
    nodes = Nodes()
    nodes.lb(data_type="access-latency", latency=1)
    with pytest.raises(GenericError) as info:
        nodes.lb(target=1, data_type="access-latency", latency=65535)
    assert info.value.desc == (
        "Latency 65535 between initiator=0 and target=1 should not differ from previously "
        "entered min or max values on more than 65534"
    )
    nodes.lb(data_type="access-bandwidth", bandwidth=0)
    with pytest.raises(GenericError, match="should be provided before memory side cache"):
        nodes.cache()
    with pytest.raises(GenericError) as info:
        nodes.lb(target=1, data_type="access-bandwidth", bandwidth=68718428160)
    assert info.value.desc == (
        "Bandwidth 68718428160 between initiator=0 and target=1 should not differ from "
        "previously entered values on more than 65534"
    )


def test_latency_base_unit_compression() -> None:
    accepted, rejected = Nodes(), Nodes()
    for nodes in (accepted, rejected):
        nodes.lb(data_type="access-latency", latency=100)
    # Compressed by the base of 100: 65534 fits, 65535 does not.
    accepted.lb(target=1, data_type="access-latency", latency=6553400)
    with pytest.raises(GenericError, match="Latency 6553500 between initiator=0 and target=1"):
        rejected.lb(target=1, data_type="access-latency", latency=6553500)


def test_bandwidth_spread_over_16_bits() -> None:
    nodes = Nodes()
    nodes.lb(data_type="access-bandwidth", bandwidth=MiB)
    with pytest.raises(GenericError, match="Bandwidth 1099511627776 between initiator=0"):
        nodes.lb(target=1, data_type="access-bandwidth", bandwidth=1 << 40)
