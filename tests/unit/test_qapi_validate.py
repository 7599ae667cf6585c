"""Tests for qmpnuma.qapi.validate: QMP argument errors, worded and chosen as QEMU 7.2 does.

Every row of QEMU_ARGUMENT_ERRORS was recorded from qemu-system-x86_64 7.2
(``--preconfig``, so that set-numa-node and object-add take arguments).
"""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from qmpnuma.errors import GenericError
from qmpnuma.qapi.schema import Schema, load_schema
from qmpnuma.qapi.validate import (
    command_validator,
    convert_value,
    validate_arguments,
)

QEMU_ARGUMENT_ERRORS = [
    ("set-numa-node", {"type": "node", "nodeid": "1"}, "Parameter 'nodeid' expects uint64"),
    ("set-numa-node", {"type": "node", "nodeid": 1.5}, "Parameter 'nodeid' expects uint64"),
    ("set-numa-node", {"type": "node", "nodeid": -1}, "Parameter 'nodeid' expects uint16_t"),
    ("set-numa-node", {"type": "node", "nodeid": 70000}, "Parameter 'nodeid' expects uint16_t"),
    ("set-numa-node", {"type": "node", "cpus": [1, "a"]}, "Parameter 'cpus[1]' expects uint64"),
    ("set-numa-node", {"type": "node", "cpus": [1, 70000]}, "Parameter 'null' expects uint16_t"),
    (
        "set-numa-node",
        {"type": "node", "cpus": 5},
        "Invalid parameter type for 'cpus', expected: array",
    ),
    ("set-numa-node", {"type": "node", "mem": "1G"}, "Parameter 'mem' expects uint64"),
    ("set-numa-node", {"type": "node", "mem": 1.5}, "Parameter 'mem' expects uint64"),
    (
        "set-numa-node",
        {"type": "node", "memdev": 5},
        "Invalid parameter type for 'memdev', expected: string",
    ),
    ("set-numa-node", {"type": "bogus"}, "Parameter 'type' does not accept value 'bogus'"),
    ("set-numa-node", {"type": 5}, "Invalid parameter type for 'type', expected: string"),
    ("set-numa-node", {}, "Parameter 'type' is missing"),
    ("set-numa-node", {}, "Parameter 'type' is missing"),
    ("set-numa-node", {"nodeid": 1}, "Parameter 'type' is missing"),
    ("set-numa-node", {"type": "dist", "src": 0}, "Parameter 'dst' is missing"),
    (
        "set-numa-node",
        {"type": "dist", "src": 0, "dst": 1, "val": 300, "foo": 1},
        "Parameter 'val' expects uint8_t",
    ),
    ("set-numa-node", {"type": "dist", "foo": 1}, "Parameter 'src' is missing"),
    (
        "set-numa-node",
        {"type": "dist", "src": 0, "dst": 1, "val": 10, "zz": 1, "aa": 2, "mm": 3, "nodeid": 4},
        "Parameter 'aa' is unexpected",
    ),
    (
        "set-numa-node",
        {"type": "dist", "src": 0, "dst": 0, "val": -1},
        "Parameter 'val' expects uint8_t",
    ),
    (
        "set-numa-node",
        {"type": "dist", "src": 0, "dst": 1, "val": "a", "bogus": 1},
        "Parameter 'val' expects uint64",
    ),
    ("set-numa-node", {"type": "dist", "val": "a", "src": -1}, "Parameter 'src' expects uint16_t"),
    (
        "set-numa-node",
        {"type": "hmat-lb", "initiator": 0, "target": 0, "hierarchy": "bogus", "data-type": "x"},
        "Parameter 'hierarchy' does not accept value 'bogus'",
    ),
    (
        "set-numa-node",
        {
            "type": "hmat-lb",
            "initiator": 0,
            "target": 0,
            "hierarchy": "memory",
            "data-type": "access-latency",
            "latency": "5",
        },
        "Parameter 'latency' expects uint64",
    ),
    (
        "set-numa-node",
        {"type": "hmat-lb", "initiator": 0, "target": 0, "hierarchy": "memory", "data-type": 5},
        "Invalid parameter type for 'data-type', expected: string",
    ),
    (
        "set-numa-node",
        {"type": "hmat-cache", "node-id": -1},
        "Parameter 'node-id' expects uint32_t",
    ),
    (
        "set-numa-node",
        {
            "type": "hmat-cache",
            "node-id": 0,
            "size": 1,
            "level": 256,
            "associativity": "none",
            "policy": "none",
            "line": 8,
        },
        "Parameter 'level' expects uint8_t",
    ),
    (
        "set-numa-node",
        {
            "type": "hmat-cache",
            "node-id": 0,
            "size": 1,
            "level": 1,
            "associativity": "bad",
            "policy": "none",
            "line": 8,
        },
        "Parameter 'associativity' does not accept value 'bad'",
    ),
    (
        "set-numa-node",
        {
            "type": "hmat-cache",
            "node-id": 0,
            "size": 1,
            "level": 1,
            "associativity": "none",
            "policy": "none",
        },
        "Parameter 'line' is missing",
    ),
    (
        "set-numa-node",
        {"type": "cpu", "node-id": "a"},
        "Invalid parameter type for 'node-id', expected: integer",
    ),
    (
        "set-numa-node",
        {"type": "cpu", "node-id": 9223372036854775808},
        "Invalid parameter type for 'node-id', expected: integer",
    ),
    (
        "set-numa-node",
        {"type": "cpu", "node-id": 1.0},
        "Invalid parameter type for 'node-id', expected: integer",
    ),
    (
        "set-numa-node",
        {"type": "cpu", "node-id": -9223372036854775808, "socket-id": True},
        "Invalid parameter type for 'socket-id', expected: integer",
    ),
    (
        "set-numa-node",
        {"type": "cpu", "node-id": 0, "core-id": 0, "nodeid": 1},
        "Parameter 'nodeid' is unexpected",
    ),
    (
        "set-numa-node",
        {"type": "node", "cpus": None},
        "Invalid parameter type for 'cpus', expected: array",
    ),
    ("set-numa-node", {"type": "node", "nodeid": None}, "Parameter 'nodeid' expects uint64"),
    ("set-numa-node", {"type": "node", "cpus": [-1]}, "Parameter 'null' expects uint16_t"),
    (
        "set-numa-node",
        {"type": "node", "cpus": [18446744073709551616]},
        "Parameter 'cpus[0]' expects uint64",
    ),
    (
        "set-numa-node",
        {"type": "node", "nodeid": 18446744073709551615},
        "Parameter 'nodeid' expects uint16_t",
    ),
    (
        "set-numa-node",
        {"type": "node", "nodeid": -9223372036854775809},
        "Parameter 'nodeid' expects uint64",
    ),
    ("set-numa-node", {"type": "node", "nodeid": 100.0}, "Parameter 'nodeid' expects uint64"),
    ("set-numa-node", {"type": "node", "nodeid": True}, "Parameter 'nodeid' expects uint64"),
    ("set-numa-node", {"type": "node", "nodeid": {}}, "Parameter 'nodeid' expects uint64"),
    ("set-numa-node", {"type": "node", "nodeid": []}, "Parameter 'nodeid' expects uint64"),
    (
        "set-numa-node",
        {"type": "node", "initiator": 70000, "nodeid": "x"},
        "Parameter 'nodeid' expects uint64",
    ),
    (
        "set-numa-node",
        {"type": "node", "memdev": "m", "nodeid": 70000, "bad": 1},
        "Parameter 'nodeid' expects uint16_t",
    ),
    ("query-status", {"a": 1, "b": 2, "c": 3}, "Parameter 'b' is unexpected"),
    ("query-status", {"c": 1, "b": 2, "a": 3}, "Parameter 'b' is unexpected"),
    (
        "query-status",
        {
            "zeta": 1,
            "alpha": 2,
            "mid": 3,
            "x": 4,
            "foo": 5,
            "bar": 6,
            "baz": 7,
            "q1": 8,
            "q2": 9,
            "q3": 10,
        },
        "Parameter 'bar' is unexpected",
    ),
    (
        "query-status",
        {
            "k1": 1,
            "k2": 2,
            "k3": 3,
            "k4": 4,
            "k5": 5,
            "k6": 6,
            "k7": 7,
            "k8": 8,
            "k9": 9,
            "k10": 10,
            "k11": 11,
            "k12": 12,
            "k13": 13,
            "k14": 14,
            "k15": 15,
            "k16": 16,
            "k17": 17,
            "k18": 18,
            "k19": 19,
            "k20": 20,
        },
        "Parameter 'k7' is unexpected",
    ),
    ("query-status", {"x": None}, "Parameter 'x' is unexpected"),
    ("qmp_capabilities", {"enable": ["bogus"]}, "Parameter 'null' does not accept value 'bogus'"),
    ("qmp_capabilities", {"enable": "oob"}, "Invalid parameter type for 'enable', expected: array"),
    (
        "qmp_capabilities",
        {"enable": [1]},
        "Invalid parameter type for 'enable[0]', expected: string",
    ),
    ("qmp_capabilities", {"enable": ["oob"], "x": 1}, "Parameter 'x' is unexpected"),
    (
        "object-add",
        {"qom-type": "memory-backend-ram", "id": "m0", "size": "1G"},
        "Parameter 'size' expects uint64",
    ),
    ("object-add", {"qom-type": "memory-backend-ram", "id": "m0"}, "Parameter 'size' is missing"),
    (
        "object-add",
        {"qom-type": "memory-backend-bogus", "id": "m0"},
        "Parameter 'qom-type' does not accept value 'memory-backend-bogus'",
    ),
    (
        "object-add",
        {"qom-type": "memory-backend-ram", "id": "m0", "size": 1048576, "host-nodes": [0, "x"]},
        "Parameter 'host-nodes[1]' expects uint64",
    ),
    (
        "object-add",
        {"qom-type": "memory-backend-ram", "id": "m0", "size": 1048576, "host-nodes": [0, 70000]},
        "Parameter 'null' expects uint16_t",
    ),
    (
        "object-add",
        {"qom-type": "memory-backend-ram", "id": "m0", "size": 1048576, "policy": "x"},
        "Parameter 'policy' does not accept value 'x'",
    ),
    (
        "object-add",
        {"qom-type": "memory-backend-ram", "id": "m0", "size": 1048576, "prealloc-threads": -1},
        "Parameter 'prealloc-threads' expects uint32_t",
    ),
    (
        "object-add",
        {"qom-type": "memory-backend-ram", "id": "m0", "size": 1048576, "share": "on"},
        "Invalid parameter type for 'share', expected: boolean",
    ),
    (
        "object-add",
        {"qom-type": "memory-backend-file", "id": "m0", "size": 1048576},
        "Parameter 'mem-path' is missing",
    ),
    ("object-add", {"id": "m0", "size": 1048576}, "Parameter 'qom-type' is missing"),
    (
        "object-add",
        {"qom-type": "memory-backend-ram", "size": 1048576},
        "Parameter 'id' is missing",
    ),
    (
        "object-add",
        {"qom-type": "memory-backend-ram", "id": 5, "size": 1048576},
        "Invalid parameter type for 'id', expected: string",
    ),
    (
        "object-add",
        {
            "qom-type": "memory-backend-memfd",
            "id": "m0",
            "size": 1048576,
            "hugetlbsize": "2M",
            "seal": 1,
        },
        "Parameter 'hugetlbsize' expects uint64",
    ),
    (
        "object-add",
        {
            "qom-type": "memory-backend-file",
            "id": "m0",
            "size": 1,
            "dump": True,
            "merge": True,
            "share": False,
            "prealloc": False,
            "policy": "default",
            "reserve": True,
            "mem-path": "/tmp",
            "align": 0,
            "pmem": False,
            "readonly": False,
            "discard-data": False,
            "x1": 1,
            "y2": 2,
        },
        "Parameter 'x1' is unexpected",
    ),
    ("qom-get", {"path": "/machine"}, "Parameter 'property' is missing"),
    (
        "qom-get",
        {"path": 1, "property": "type"},
        "Invalid parameter type for 'path', expected: string",
    ),
    (
        "qom-get",
        {"property": "type", "path": "/machine", "extra": []},
        "Parameter 'extra' is unexpected",
    ),
    ("qom-list", {}, "Parameter 'path' is missing"),
    ("object-del", {"id": None}, "Invalid parameter type for 'id', expected: string"),
    ("query-qmp-schema", {"foo": 1}, "Parameter 'foo' is unexpected"),
]


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load_schema()


def test_every_validator_is_a_valid_json_schema(schema: Schema) -> None:
    # Validators are built on first use, so no start-up check covers them.
    for name in schema.commands:
        Draft202012Validator.check_schema(command_validator(schema, name).schema)


def test_a_validator_is_built_once(schema: Schema) -> None:
    first = command_validator(schema, "set-numa-node")
    assert command_validator(schema, "set-numa-node") is first


@pytest.mark.parametrize(("command", "arguments", "desc"), QEMU_ARGUMENT_ERRORS)
def test_error_text_is_qemus(
    schema: Schema, command: str, arguments: dict[str, object], desc: str
) -> None:
    with pytest.raises(GenericError) as info:
        validate_arguments(schema, command, arguments)
    assert info.value.desc == desc


@pytest.mark.parametrize(
    ("command", "arguments"),
    [
        ("query-status", {}),
        ("qmp_capabilities", {"enable": ["oob"]}),
        ("set-numa-node", {"type": "node", "nodeid": 0, "cpus": [0, 1], "memdev": "m0"}),
        ("set-numa-node", {"type": "dist", "src": 0, "dst": 1, "val": 20}),
        ("set-numa-node", {"type": "cpu", "node-id": 0, "socket-id": -5}),
        (
            "set-numa-node",
            {
                "type": "hmat-lb",
                "initiator": 0,
                "target": 0,
                "hierarchy": "memory",
                "data-type": "access-latency",
                "latency": 5,
            },
        ),
        ("object-add", {"qom-type": "memory-backend-file", "id": "f", "size": 1, "mem-path": "/"}),
        ("human-monitor-command", {"command-line": "info numa", "cpu-index": 0}),
        ("qom-get", {"path": "/machine", "property": "type"}),
    ],
)
def test_valid_arguments_pass(schema: Schema, command: str, arguments: dict[str, object]) -> None:
    assert validate_arguments(schema, command, arguments) == arguments


def test_result_is_in_schema_order_and_uint64_wraps(schema: Schema) -> None:
    args = {"mem": -1, "nodeid": 1, "type": "node"}
    result = validate_arguments(schema, "set-numa-node", args)
    assert list(result) == ["type", "nodeid", "mem"]
    assert result["mem"] == 2**64 - 1


def test_any_member_passes_through(schema: Schema) -> None:
    value = {"name": "x", "type": "int", "default-value": {"a": [1, None]}}
    assert convert_value(schema, "ObjectPropertyInfo", value) == value


def test_integral_double_is_not_an_integer(schema: Schema) -> None:
    with pytest.raises(GenericError, match="expected: integer"):
        validate_arguments(schema, "human-monitor-command", {"command-line": "x", "cpu-index": 1.0})


def test_integer_beyond_uint64_is_a_double_for_qemu(schema: Schema) -> None:
    with pytest.raises(GenericError, match="Parameter 'nodeid' expects uint64"):
        validate_arguments(schema, "set-numa-node", {"type": "node", "nodeid": 2**64})
