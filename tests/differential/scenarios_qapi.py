"""QMP argument errors: the QObject input visitor's texts and order (QEMU 7.2).

Wrong JSON types, integer ranges, enum values, missing and unexpected
members (several at once, where QEMU's hash table order decides), list
elements and union variants, for the commands whose arguments exercise
each QAPI shape.  Every step fails before its handler runs, so the
machine is never changed.
"""

from __future__ import annotations

from tests.differential.harness import Scenario, qmp

__all__ = ["SCENARIOS"]

#: set-numa-node and object-add take arguments only before the machine is
#: built, and only -S keeps a started machine from running.
PRECONFIG = ("-S", "-m", "1G", "--preconfig")
STARTED = ("-S", "-m", "1G")


def _numa(**arguments: object) -> dict[str, object]:
    return {k.replace("_", "-"): v for k, v in arguments.items()}


SCENARIOS = [
    Scenario(
        "qapi-set-numa-node-types",
        PRECONFIG,
        (
            qmp("set-numa-node", {"type": "node", "nodeid": "1"}),
            qmp("set-numa-node", {"type": "node", "nodeid": 1.5}),
            qmp("set-numa-node", {"type": "node", "nodeid": True}),
            qmp("set-numa-node", {"type": "node", "nodeid": None}),
            qmp("set-numa-node", {"type": "node", "cpus": 5}),
            qmp("set-numa-node", {"type": "node", "mem": "1G"}),
            qmp("set-numa-node", {"type": "node", "memdev": 5}),
            qmp("set-numa-node", {"type": 5}),
            qmp("set-numa-node", _numa(type="cpu", node_id="a")),
            qmp("set-numa-node", _numa(type="cpu", node_id=1.0)),
            qmp("set-numa-node", _numa(type="cpu", node_id=0, socket_id=True)),
        ),
    ),
    Scenario(
        "qapi-set-numa-node-ranges",
        PRECONFIG,
        (
            qmp("set-numa-node", {"type": "node", "nodeid": -1}),
            qmp("set-numa-node", {"type": "node", "nodeid": 70000}),
            qmp("set-numa-node", {"type": "node", "nodeid": 18446744073709551615}),
            qmp("set-numa-node", {"type": "node", "nodeid": 18446744073709551616}),
            qmp("set-numa-node", {"type": "dist", "src": 0, "dst": 0, "val": 256}),
            qmp("set-numa-node", _numa(type="hmat-cache", node_id=-1)),
            qmp("set-numa-node", _numa(type="cpu", node_id=9223372036854775808)),
        ),
    ),
    Scenario(
        "qapi-set-numa-node-lists",
        PRECONFIG,
        (
            qmp("set-numa-node", {"type": "node", "cpus": [1, "a"]}),
            qmp("set-numa-node", {"type": "node", "cpus": [1, 70000]}),
            qmp("set-numa-node", {"type": "node", "cpus": [-1]}),
            qmp("set-numa-node", {"type": "node", "cpus": None}),
        ),
    ),
    Scenario(
        "qapi-set-numa-node-members",
        PRECONFIG,
        (
            qmp("set-numa-node", {}),
            qmp("set-numa-node", {"nodeid": 1}),
            qmp("set-numa-node", {"type": "bogus"}),
            qmp("set-numa-node", {"type": "dist", "src": 0}),
            qmp("set-numa-node", {"type": "dist", "foo": 1}),
            qmp("set-numa-node", {"type": "dist", "src": 0, "dst": 1, "val": 300, "foo": 1}),
            qmp(
                "set-numa-node",
                {
                    "type": "dist",
                    "src": 0,
                    "dst": 1,
                    "val": 10,
                    "zz": 1,
                    "aa": 2,
                    "mm": 3,
                    "nodeid": 4,
                },
            ),
            qmp(
                "set-numa-node",
                {
                    "type": "hmat-lb",
                    "initiator": 0,
                    "target": 0,
                    "hierarchy": "bogus",
                    "data-type": "x",
                },
            ),
            qmp(
                "set-numa-node",
                {
                    "type": "hmat-cache",
                    "node-id": 0,
                    "size": 1,
                    "level": 1,
                    "associativity": "none",
                    "policy": "none",
                },
            ),
        ),
    ),
    Scenario(
        "qapi-qmp-capabilities-arguments",
        STARTED,
        (
            qmp("qmp_capabilities", {"enable": ["bogus"]}),
            qmp("qmp_capabilities", {"enable": "oob"}),
            qmp("qmp_capabilities", {"enable": [1]}),
            qmp("qmp_capabilities", {"enable": ["oob"], "x": 1}),
            qmp("qmp_capabilities"),
        ),
        negotiate=False,
    ),
    Scenario(
        "qapi-query-status-unexpected",
        STARTED,
        (
            qmp("query-status", {"a": 1}),
            qmp("query-status", {"a": 1, "b": 2, "c": 3}),
            qmp("query-status", {"c": 1, "b": 2, "a": 3}),
            qmp("query-status", {f"k{i}": i for i in range(1, 21)}),
            qmp("query-qmp-schema", {"foo": 1}),
        ),
    ),
    Scenario(
        "qapi-human-monitor-command-arguments",
        STARTED,
        (
            qmp("human-monitor-command"),
            qmp("human-monitor-command", {"command-line": 1}),
            qmp("human-monitor-command", {"command-line": "info numa", "cpu-index": "0"}),
            qmp("human-monitor-command", {"command-line": "info numa", "cpu-index": 1.0}),
            qmp("human-monitor-command", {"command-line": "info numa", "x": 1}),
        ),
    ),
    Scenario(
        "qapi-qom-get-arguments",
        PRECONFIG,
        (
            qmp("qom-get", {"path": "/machine"}),
            qmp("qom-get", {"path": 1, "property": "type"}),
            qmp("qom-get", {"property": "type", "path": "/machine", "extra": []}),
            qmp("qom-list", {}),
            qmp("object-del", {"id": None}),
        ),
    ),
    Scenario(
        "qapi-object-add-arguments",
        PRECONFIG,
        (
            qmp("object-add", {"id": "m0", "size": 1048576}),
            qmp("object-add", {"qom-type": "memory-backend-bogus", "id": "m0"}),
            qmp("object-add", {"qom-type": "memory-backend-ram", "size": 1048576}),
            qmp("object-add", {"qom-type": "memory-backend-ram", "id": 5}),
            qmp("object-add", {"qom-type": "memory-backend-ram", "id": "m0"}),
            qmp("object-add", {"qom-type": "memory-backend-ram", "id": "m0", "size": "1G"}),
            qmp(
                "object-add",
                {
                    "qom-type": "memory-backend-ram",
                    "id": "m0",
                    "size": 1048576,
                    "host-nodes": [0, "x"],
                },
            ),
            qmp(
                "object-add",
                {
                    "qom-type": "memory-backend-ram",
                    "id": "m0",
                    "size": 1048576,
                    "host-nodes": [0, 70000],
                },
            ),
            qmp(
                "object-add",
                {"qom-type": "memory-backend-ram", "id": "m0", "size": 1048576, "policy": "x"},
            ),
            qmp(
                "object-add",
                {
                    "qom-type": "memory-backend-ram",
                    "id": "m0",
                    "size": 1048576,
                    "prealloc-threads": -1,
                },
            ),
            qmp(
                "object-add",
                {"qom-type": "memory-backend-ram", "id": "m0", "size": 1048576, "share": "on"},
            ),
            qmp("object-add", {"qom-type": "memory-backend-file", "id": "m0", "size": 1048576}),
            qmp(
                "object-add",
                {
                    "qom-type": "memory-backend-memfd",
                    "id": "m0",
                    "size": 1048576,
                    "hugetlbsize": "2M",
                },
            ),
            qmp(
                "object-add",
                {
                    "qom-type": "memory-backend-file",
                    "id": "m0",
                    "size": 1,
                    "mem-path": "/tmp",
                    "x1": 1,
                    "y2": 2,
                },
            ),
        ),
    ),
]
