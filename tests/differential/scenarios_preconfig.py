"""--preconfig: set-numa-node, x-exit-preconfig and HMAT at run time.

Ports of the x86 preconfig cases of QEMU's tests/qtest/numa-test.c
(pc_dynamic_cpu_cfg, pc_hmat_build_cfg, pc_hmat_off_cfg, pc_hmat_erange_cfg),
one step per accept/reject check, plus the phase rules around them.
"""

from __future__ import annotations

from tests.differential.harness import Scenario, Step, hmp, qmp

# numa-test.c make_cli(): every case starts from this backend.
RAM = ("-object", "memory-backend-ram,id=ram,size=128M")

HMAT_BUILD_ARGS = (
    "--preconfig", "-machine", "hmat=on", "-machine", "smp.cpus=2,smp.sockets=2",
    "-m", "128M,slots=2,maxmem=1G",
    "-object", "memory-backend-ram,size=64M,id=m0",
    "-object", "memory-backend-ram,size=64M,id=m1",
    "-numa", "node,nodeid=0,memdev=m0",
    "-numa", "node,nodeid=1,memdev=m1,initiator=0",
    "-numa", "cpu,node-id=0,socket-id=0",
    "-numa", "cpu,node-id=0,socket-id=1",
)


def numa(**options: object) -> Step:
    """set-numa-node with QAPI member names (underscores become dashes)."""
    return qmp("set-numa-node", {k.replace("_", "-"): v for k, v in options.items()})


def lb(initiator: int, target: int, data_type: str, **value: int) -> Step:
    return numa(type="hmat-lb", initiator=initiator, target=target,
                hierarchy="memory", data_type=data_type, **value)


def cache(node_id: int, level: int, size: int = 10240, associativity: str = "direct",
          policy: str = "write-back", line: int = 8) -> Step:
    return numa(type="hmat-cache", node_id=node_id, size=size, level=level,
                associativity=associativity, policy=policy, line=line)


EXIT = qmp("x-exit-preconfig")

SCENARIOS = [
    Scenario(
        "preconfig-dynamic-cpu",  # numa-test.c pc_dynamic_cpu_cfg
        (*RAM, "--preconfig", "-machine", "smp.cpus=2,smp.sockets=2"),
        (
            numa(type="node", nodeid=0, memdev="ram"),
            numa(type="node", nodeid=1),
            numa(type="cpu", node_id=0, socket_id=1),
            numa(type="cpu", node_id=1, socket_id=0),
            qmp("query-hotpluggable-cpus"),
            EXIT,
            qmp("query-hotpluggable-cpus"),
            qmp("query-cpus-fast"),
            hmp("info numa"),
        ),
    ),
    Scenario(
        "preconfig-hmat-build-lb",  # numa-test.c pc_hmat_build_cfg, hmat-lb part
        HMAT_BUILD_ARGS,
        (
            lb(2, 0, "access-latency", latency=1),
            lb(0, 2, "access-latency", latency=1),
            lb(1, 0, "access-latency", latency=1),
            lb(0, 0, "write-latency", bandwidth=1048575),
            lb(0, 0, "read-bandwidth", latency=1),
            lb(0, 0, "access-bandwidth", bandwidth=1048575),
            lb(0, 0, "access-latency", latency=1),
            lb(0, 0, "access-latency", latency=5),
            lb(0, 0, "access-bandwidth", bandwidth=68717379584),
            lb(0, 1, "access-latency", latency=65534),
            lb(0, 1, "access-bandwidth", bandwidth=34358689792),
            EXIT,
        ),
    ),
    Scenario(
        "preconfig-hmat-build-cache",  # numa-test.c pc_hmat_build_cfg, hmat-cache part
        HMAT_BUILD_ARGS,
        (
            lb(0, 0, "access-latency", latency=1),
            lb(0, 0, "access-bandwidth", bandwidth=68717379584),
            lb(0, 1, "access-latency", latency=65534),
            lb(0, 1, "access-bandwidth", bandwidth=34358689792),
            cache(2, 1),
            cache(0, 4),
            cache(0, 0, associativity="direct", policy="none", line=0),
            cache(0, 0, associativity="none", policy="write-back", line=0),
            cache(0, 0, associativity="none", policy="none", line=8),
            cache(0, 1),
            cache(0, 1),
            cache(0, 2),
            cache(0, 0, associativity="none", policy="none", line=0),
            cache(1, 1),
            EXIT,
            qmp("query-status"),
        ),
    ),
    Scenario(
        "preconfig-hmat-off",  # numa-test.c pc_hmat_off_cfg
        (
            "--preconfig", "-machine", "smp.cpus=2,smp.sockets=2",
            "-m", "128M,slots=2,maxmem=1G",
            "-object", "memory-backend-ram,size=64M,id=m0,prealloc=y",
            "-object", "memory-backend-ram,size=64M,id=m1",
            "-numa", "node,nodeid=0,memdev=m0",
        ),
        (
            numa(type="node", nodeid=1, memdev="m1", initiator=0),
            lb(0, 0, "access-latency", latency=1),
            cache(0, 1),
            numa(type="node", nodeid=1, memdev="m1"),
            EXIT,
        ),
    ),
    Scenario(
        "preconfig-hmat-erange",  # numa-test.c pc_hmat_erange_cfg
        HMAT_BUILD_ARGS,
        (
            lb(0, 0, "access-latency", latency=1),
            lb(0, 1, "access-latency", latency=65535),
            lb(0, 0, "access-bandwidth", bandwidth=0),
            cache(0, 1),
            lb(0, 1, "access-bandwidth", bandwidth=68718428160),
            lb(0, 1, "access-bandwidth", bandwidth=1048576),
        ),
    ),
    Scenario(
        "preconfig-phase-gates",
        (*RAM, "--preconfig", "-numa", "node,memdev=ram"),
        (
            qmp("query-status"),
            qmp("query-cpus-fast"),
            qmp("x-query-numa"),
            qmp("query-memory-size-summary"),
            qmp("query-memory-devices"),
            hmp("info numa"),
            qmp("stop"),
            qmp("cont"),
            qmp("query-memdev"),
            qmp("query-hotpluggable-cpus"),
            EXIT,
            qmp("x-exit-preconfig"),
            numa(type="node", nodeid=1),
            qmp("query-status"),
            qmp("x-query-numa"),
        ),
    ),
    Scenario(
        "preconfig-with-S-stays-prelaunch",
        (*RAM, "-S", "--preconfig", "-numa", "node,memdev=ram"),
        (EXIT, qmp("query-status"), qmp("cont"), qmp("query-status")),
    ),
    Scenario(
        "preconfig-without-preconfig",
        (*RAM, "-S", "-numa", "node,memdev=ram"),
        (EXIT, numa(type="node", nodeid=1), numa(type="dist", src=0, dst=0, val=10)),
    ),
    Scenario(
        "preconfig-exit-fails-memory-sum",
        ("--preconfig", "-m", "1G", "-object", "memory-backend-ram,id=m0,size=512M"),
        (numa(type="node", memdev="m0"), EXIT),
    ),
    Scenario(
        "preconfig-exit-fails-missing-node",
        (*RAM, "--preconfig"),
        (numa(type="node", nodeid=1, memdev="ram"), EXIT),
    ),
    Scenario(
        "preconfig-exit-warns-partial-cpus",
        (*RAM, "--preconfig", "-smp", "4,sockets=2,cores=2"),
        (
            numa(type="node", nodeid=0, memdev="ram", cpus=[0, 1]),
            numa(type="node", nodeid=1, cpus=[2]),
            EXIT,
            hmp("info numa"),
        ),
    ),
    Scenario(
        "preconfig-node-errors",
        (*RAM, "--preconfig", "-smp", "4"),
        (
            numa(type="node", nodeid=128),
            # QEMU keeps the CPU mapping of a node that then fails.
            numa(type="node", nodeid=0, memdev="nomem", cpus=[2, 3]),
            qmp("query-hotpluggable-cpus"),
            numa(type="node", nodeid=0, memdev="ram"),
            numa(type="node", nodeid=0, memdev="ram"),
            numa(type="node", cpus=[4]),
            numa(type="node", nodeid=1, cpus=[2]),
            numa(type="node", nodeid=2, cpus=[0, 0, 1]),
            numa(type="dist", src=0, dst=5, val=20),
            numa(type="dist", src=0, dst=0, val=20),
            numa(type="dist", src=0, dst=2, val=9),
            numa(type="dist", src=128, dst=0, val=20),
            numa(type="dist", src=0, dst=128, val=20),
            numa(type="dist", src=0, dst=0, val=10),
            numa(type="dist", src=0, dst=2, val=30),
            numa(type="cpu", socket_id=0),
            numa(type="cpu", node_id=3, socket_id=0),
            numa(type="cpu", node_id=0, die_id=0),
            numa(type="cpu", node_id=0, cluster_id=0),
            numa(type="cpu", node_id=0, core_id=9),
            numa(type="cpu", node_id=2, core_id=3),
            numa(type="cpu", node_id=0, core_id=1),
            numa(type="cpu", node_id=2, core_id=0),
            numa(type="node", nodeid=4, initiator=0),
            lb(0, 0, "access-latency", latency=1),
            cache(0, 1),
            qmp("query-hotpluggable-cpus"),
        ),
    ),
    Scenario(
        "preconfig-mem-unsupported-then-sticky",
        (*RAM, "--preconfig"),
        (
            numa(type="node", nodeid=0, mem=134217728),
            numa(type="node", nodeid=0, memdev="ram"),
        ),
    ),
    Scenario(
        "preconfig-sticky-mem-flag",
        (*RAM, "--preconfig", "-M", "pc-i440fx-5.0"),
        (
            numa(type="node", nodeid=0, mem=134217728, memdev="ram"),
            numa(type="node", nodeid=0, memdev="ram"),
            numa(type="node", nodeid=0, mem=134217728),
        ),
    ),
    Scenario(
        "preconfig-argument-errors",
        (*RAM, "--preconfig"),
        (
            qmp("set-numa-node", {}),
            qmp("set-numa-node", {"type": "bogus"}),
            qmp("set-numa-node", {"type": "node", "nodeid": "1"}),
            qmp("set-numa-node", {"type": "node", "nodeid": 70000}),
            qmp("set-numa-node", {"type": "node", "nodeid": -1}),
            qmp("set-numa-node", {"type": "node", "bogus": 1}),
            qmp("set-numa-node", {"type": "node", "cpus": 1}),
            qmp("set-numa-node", {"type": "node", "cpus": ["a"]}),
            qmp("set-numa-node", {"type": "dist", "src": 0, "dst": 1}),
            qmp("set-numa-node", {"type": "dist", "src": 0, "dst": 1, "val": 300}),
            qmp("set-numa-node", {"type": "hmat-lb", "initiator": 0, "target": 0,
                                  "hierarchy": "bogus", "data-type": "access-latency"}),
            qmp("set-numa-node", {"type": "hmat-cache", "node-id": 0, "size": 1, "level": 1}),
            qmp("set-numa-node", {"type": "cpu", "node-id": "x"}),
            qmp("set-numa-node", [1]),
        ),
    ),
]
