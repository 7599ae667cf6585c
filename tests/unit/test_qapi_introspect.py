"""Tests for qmpnuma.qapi.introspect: query-qmp-schema and query-commands.

QEMU_SUBTREES was recorded from qemu-system-x86_64 7.2's query-qmp-schema:
each command or event with its masked type names replaced by the types
they stand for.  Our masked numbers differ (our schema is smaller); the
structure reachable from a command must not (tests/introspection.py;
tests/differential/test_schema.py compares every entry with the oracle's).
"""

from __future__ import annotations

from typing import Any

import pytest

from qmpnuma.qapi.introspect import command_names, qmp_query_commands, schema_info
from qmpnuma.qapi.schema import load_schema
from tests.introspection import index, subtree

QEMU_SUBTREES: dict[str, Any] = {
    "device_add": {
        "meta-type": "command",
        "arg-type": {
            "members": [
                {"name": "driver", "type": "str"},
                {"name": "bus", "default": None, "type": "str"},
                {"name": "id", "default": None, "type": "str"},
            ],
            "meta-type": "object",
        },
        "ret-type": {"members": [], "meta-type": "object"},
        "features": ["json-cli", "json-cli-hotplug"],
    },
    "device_del": {
        "meta-type": "command",
        "arg-type": {"members": [{"name": "id", "type": "str"}], "meta-type": "object"},
        "ret-type": {"members": [], "meta-type": "object"},
    },
    "qom-set": {
        "meta-type": "command",
        "arg-type": {
            "members": [
                {"name": "path", "type": "str"},
                {"name": "property", "type": "str"},
                {"name": "value", "type": "any"},
            ],
            "meta-type": "object",
        },
        "ret-type": {"members": [], "meta-type": "object"},
    },
    "DEVICE_DELETED": {
        "meta-type": "event",
        "arg-type": {
            "members": [
                {"name": "device", "default": None, "type": "str"},
                {"name": "path", "type": "str"},
            ],
            "meta-type": "object",
        },
    },
    "SHUTDOWN": {
        "arg-type": {
            "members": [
                {"name": "guest", "type": "bool"},
                {
                    "name": "reason",
                    "type": {
                        "members": [
                            {"name": "none"},
                            {"name": "host-error"},
                            {"name": "host-qmp-quit"},
                            {"name": "host-qmp-system-reset"},
                            {"name": "host-signal"},
                            {"name": "host-ui"},
                            {"name": "guest-shutdown"},
                            {"name": "guest-reset"},
                            {"name": "guest-panic"},
                            {"name": "subsystem-reset"},
                            {"name": "snapshot-load"},
                        ],
                        "meta-type": "enum",
                        "values": [
                            "none",
                            "host-error",
                            "host-qmp-quit",
                            "host-qmp-system-reset",
                            "host-signal",
                            "host-ui",
                            "guest-shutdown",
                            "guest-reset",
                            "guest-panic",
                            "subsystem-reset",
                            "snapshot-load",
                        ],
                    },
                },
            ],
            "meta-type": "object",
        },
        "meta-type": "event",
    },
    "human-monitor-command": {
        "arg-type": {
            "members": [
                {"name": "command-line", "type": "str"},
                {"default": None, "name": "cpu-index", "type": "int"},
            ],
            "meta-type": "object",
        },
        "features": ["savevm-monitor-nodes"],
        "meta-type": "command",
        "ret-type": "str",
    },
    "qmp_capabilities": {
        "arg-type": {
            "members": [
                {
                    "default": None,
                    "name": "enable",
                    "type": {
                        "element-type": {
                            "members": [{"name": "oob"}],
                            "meta-type": "enum",
                            "values": ["oob"],
                        },
                        "meta-type": "array",
                    },
                }
            ],
            "meta-type": "object",
        },
        "meta-type": "command",
        "ret-type": {"members": [], "meta-type": "object"},
    },
    "query-hotpluggable-cpus": {
        "arg-type": {"members": [], "meta-type": "object"},
        "meta-type": "command",
        "ret-type": {
            "element-type": {
                "members": [
                    {"name": "type", "type": "str"},
                    {"name": "vcpus-count", "type": "int"},
                    {
                        "name": "props",
                        "type": {
                            "members": [
                                {"default": None, "name": "node-id", "type": "int"},
                                {"default": None, "name": "socket-id", "type": "int"},
                                {"default": None, "name": "die-id", "type": "int"},
                                {"default": None, "name": "cluster-id", "type": "int"},
                                {"default": None, "name": "core-id", "type": "int"},
                                {"default": None, "name": "thread-id", "type": "int"},
                            ],
                            "meta-type": "object",
                        },
                    },
                    {"default": None, "name": "qom-path", "type": "str"},
                ],
                "meta-type": "object",
            },
            "meta-type": "array",
        },
    },
    "set-numa-node": {
        "arg-type": {
            "members": [
                {
                    "name": "type",
                    "type": {
                        "members": [
                            {"name": "node"},
                            {"name": "dist"},
                            {"name": "cpu"},
                            {"name": "hmat-lb"},
                            {"name": "hmat-cache"},
                        ],
                        "meta-type": "enum",
                        "values": ["node", "dist", "cpu", "hmat-lb", "hmat-cache"],
                    },
                }
            ],
            "meta-type": "object",
            "tag": "type",
            "variants": [
                {
                    "case": "node",
                    "type": {
                        "members": [
                            {"default": None, "name": "nodeid", "type": "int"},
                            {
                                "default": None,
                                "name": "cpus",
                                "type": {"element-type": "int", "meta-type": "array"},
                            },
                            {"default": None, "name": "mem", "type": "int"},
                            {"default": None, "name": "memdev", "type": "str"},
                            {"default": None, "name": "initiator", "type": "int"},
                        ],
                        "meta-type": "object",
                    },
                },
                {
                    "case": "dist",
                    "type": {
                        "members": [
                            {"name": "src", "type": "int"},
                            {"name": "dst", "type": "int"},
                            {"name": "val", "type": "int"},
                        ],
                        "meta-type": "object",
                    },
                },
                {
                    "case": "cpu",
                    "type": {
                        "members": [
                            {"default": None, "name": "node-id", "type": "int"},
                            {"default": None, "name": "socket-id", "type": "int"},
                            {"default": None, "name": "die-id", "type": "int"},
                            {"default": None, "name": "cluster-id", "type": "int"},
                            {"default": None, "name": "core-id", "type": "int"},
                            {"default": None, "name": "thread-id", "type": "int"},
                        ],
                        "meta-type": "object",
                    },
                },
                {
                    "case": "hmat-lb",
                    "type": {
                        "members": [
                            {"name": "initiator", "type": "int"},
                            {"name": "target", "type": "int"},
                            {
                                "name": "hierarchy",
                                "type": {
                                    "members": [
                                        {"name": "memory"},
                                        {"name": "first-level"},
                                        {"name": "second-level"},
                                        {"name": "third-level"},
                                    ],
                                    "meta-type": "enum",
                                    "values": [
                                        "memory",
                                        "first-level",
                                        "second-level",
                                        "third-level",
                                    ],
                                },
                            },
                            {
                                "name": "data-type",
                                "type": {
                                    "members": [
                                        {"name": "access-latency"},
                                        {"name": "read-latency"},
                                        {"name": "write-latency"},
                                        {"name": "access-bandwidth"},
                                        {"name": "read-bandwidth"},
                                        {"name": "write-bandwidth"},
                                    ],
                                    "meta-type": "enum",
                                    "values": [
                                        "access-latency",
                                        "read-latency",
                                        "write-latency",
                                        "access-bandwidth",
                                        "read-bandwidth",
                                        "write-bandwidth",
                                    ],
                                },
                            },
                            {"default": None, "name": "latency", "type": "int"},
                            {"default": None, "name": "bandwidth", "type": "int"},
                        ],
                        "meta-type": "object",
                    },
                },
                {
                    "case": "hmat-cache",
                    "type": {
                        "members": [
                            {"name": "node-id", "type": "int"},
                            {"name": "size", "type": "int"},
                            {"name": "level", "type": "int"},
                            {
                                "name": "associativity",
                                "type": {
                                    "members": [
                                        {"name": "none"},
                                        {"name": "direct"},
                                        {"name": "complex"},
                                    ],
                                    "meta-type": "enum",
                                    "values": ["none", "direct", "complex"],
                                },
                            },
                            {
                                "name": "policy",
                                "type": {
                                    "members": [
                                        {"name": "none"},
                                        {"name": "write-back"},
                                        {"name": "write-through"},
                                    ],
                                    "meta-type": "enum",
                                    "values": ["none", "write-back", "write-through"],
                                },
                            },
                            {"name": "line", "type": "int"},
                        ],
                        "meta-type": "object",
                    },
                },
            ],
        },
        "meta-type": "command",
        "ret-type": {"members": [], "meta-type": "object"},
    },
    "x-exit-preconfig": {
        "arg-type": {"members": [], "meta-type": "object"},
        "features": ["unstable"],
        "meta-type": "command",
        "ret-type": {"members": [], "meta-type": "object"},
    },
}


def _index() -> dict[str, dict[str, Any]]:
    return index(schema_info(load_schema()))


@pytest.mark.parametrize("name", sorted(QEMU_SUBTREES))
def test_subtree_is_qemus(name: str) -> None:
    assert subtree(_index(), name) == QEMU_SUBTREES[name]


def test_libvirt_walk_to_hmat_lb() -> None:
    """libvirt probes 'set-numa-node/arg-type/+hmat-lb': a variant named hmat-lb."""
    by_name = _index()
    arg = by_name[by_name["set-numa-node"]["arg-type"]]
    assert arg["tag"] == "type"
    variant = next(v for v in arg["variants"] if v["case"] == "hmat-lb")
    members = [m["name"] for m in by_name[variant["type"]]["members"]]
    assert members == ["initiator", "target", "hierarchy", "data-type", "latency", "bandwidth"]


def test_layout_commands_first_then_types_once() -> None:
    info = schema_info(load_schema())
    kinds = [e["meta-type"] for e in info]
    first_type = next(i for i, k in enumerate(kinds) if k not in ("command", "event"))
    assert all(k not in ("command", "event") for k in kinds[first_type:])
    names = [str(e["name"]) for e in info]
    assert len(names) == len(set(names))
    assert info[0] == {
        "arg-type": "0",
        "ret-type": "1",
        "name": "query-status",
        "meta-type": "command",
    }
    masked = [str(e["name"]) for e in info[first_type:] if e["meta-type"] in ("object", "enum")]
    assert all(n.isdigit() for n in masked)
    # Integer types of every width collapse to 'int'.
    assert not any(n.startswith(("uint", "int8", "size")) for n in names)


def test_every_reference_resolves() -> None:
    by_name = _index()
    for entry in by_name.values():
        refs = [entry.get("arg-type"), entry.get("ret-type"), entry.get("element-type")]
        refs += [m.get("type") for m in entry.get("members", []) if isinstance(m, dict)]
        refs += [v["type"] for v in entry.get("variants", [])]
        for ref in refs:
            assert ref is None or ref in by_name, (entry["name"], ref)


def test_query_commands_is_reverse_schema_order() -> None:
    schema = load_schema()
    names = command_names(schema)
    assert names[-1] == "query-status"
    assert names[0] == "x-qmpnuma-query-hmat"
    assert set(names) == set(schema.commands)
    reply = qmp_query_commands(None, {}, schema=schema)  # type: ignore[arg-type]
    assert reply[0] == {"name": names[0]}


def test_replies_are_fresh_copies() -> None:
    first = schema_info(load_schema())
    first[0]["name"] = "changed"
    assert schema_info(load_schema())[0]["name"] == "query-status"
