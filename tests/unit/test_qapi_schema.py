"""Tests for qmpnuma.qapi.schema: the QAPI dialect and the checked model."""

from __future__ import annotations

from pathlib import Path

import pytest

from qmpnuma.qapi.schema import (
    EMPTY_OBJECT,
    ArrayType,
    EnumType,
    ObjectType,
    SchemaError,
    load_schema,
    parse_schema,
)

#: Commands that QEMU 7.2 runs before machine initialization (--preconfig),
#: as the oracle answered; the others say "permitted only after ...".
QEMU_PRECONFIG_COMMANDS = {
    "qmp_capabilities",
    "query-version",
    "query-commands",
    "query-qmp-schema",
    "query-status",
    "quit",
    "query-name",
    "set-numa-node",
    "x-exit-preconfig",
    "query-hotpluggable-cpus",
    "query-memdev",
    "qom-list",
    "qom-get",
    "object-add",
    "object-del",
    "query-chardev",
    "qom-list-types",
    "qom-list-properties",
    "query-iothreads",
    "query-command-line-options",
    "query-block",
    "query-named-block-nodes",
}
QEMU_NOT_PRECONFIG_COMMANDS = {
    "stop",
    "cont",
    "human-monitor-command",
    "query-cpus-fast",
    "x-query-numa",
    "query-memory-size-summary",
    "query-memory-devices",
    "query-acpi-ospm-status",
    "device-list-properties",
    "query-machines",
    "query-target",
    "query-kvm",
    "query-cpu-definitions",
    "query-cpu-model-expansion",
    "query-migrate-capabilities",
    "migrate-set-capabilities",
    "query-tpm-models",
    "query-sev-capabilities",
}
#: The out-of-band-capable commands of QEMU 7.2 (qapi/migration.json, yank.json).
QEMU_OOB_COMMANDS = {"migrate-recover", "migrate-pause", "yank", "query-yank"}


def test_schema_loads_once() -> None:
    assert load_schema() is load_schema()


def test_command_and_event_order_follows_qemu_modules() -> None:
    schema = load_schema()
    names = [e.name for e in schema.entities]
    assert names[:5] == ["query-status", "SHUTDOWN", "POWERDOWN", "STOP", "RESUME"]
    assert (
        names.index("qmp_capabilities")
        < names.index("query-qmp-schema")
        < names.index("qom-list")
        < names.index("DEVICE_DELETED")
        < names.index("set-numa-node")
        < names.index("stop")
    )


def test_allow_preconfig_is_qemus() -> None:
    schema = load_schema()
    for name in QEMU_PRECONFIG_COMMANDS:
        assert schema.commands[name].allow_preconfig, name
    for name in QEMU_NOT_PRECONFIG_COMMANDS:
        assert not schema.commands[name].allow_preconfig, name
    assert {n for n, c in schema.commands.items() if c.allow_oob} == QEMU_OOB_COMMANDS


def test_boxed_union_and_its_variants() -> None:
    schema = load_schema()
    cmd = schema.commands["set-numa-node"]
    assert cmd.boxed and cmd.arg_type == "NumaOptions"
    numa = schema.object_type("NumaOptions")
    assert numa.tag == "type"
    assert [m.name for m in numa.members] == ["type"]
    assert dict(numa.variants)["hmat-lb"] == "NumaHmatLBOptions"
    cpu = schema.object_type("NumaCpuOptions")
    assert cpu.base == "CpuInstanceProperties"
    assert [m.name for m in cpu.members][:2] == ["node-id", "socket-id"]


def test_unlisted_union_cases_get_the_empty_object() -> None:
    fast = load_schema().object_type("CpuInfoFast")
    assert fast.variants[0] == ("s390x", "CpuInfoS390")
    assert ("x86_64", EMPTY_OBJECT) in fast.variants
    assert len(fast.variants) == 31


def test_implicit_argument_types_and_arrays() -> None:
    schema = load_schema()
    arg = schema.commands["qmp_capabilities"].arg_type
    assert arg == "q_obj_qmp_capabilities-arg"
    obj = schema.object_type(arg)
    assert obj.implicit and obj.members[0].optional
    assert schema.lookup_type(obj.members[0].type) == ArrayType(
        "QMPCapabilityList", "QMPCapability"
    )


def test_member_and_command_features() -> None:
    schema = load_schema()
    values = schema.object_type("SchemaInfoEnum").member("values")
    assert values is not None and values.features == ("deprecated",)
    assert schema.commands["x-exit-preconfig"].features == ("unstable",)
    policy = schema.lookup_type("HostMemPolicy")
    assert isinstance(policy, EnumType) and policy.values[0] == "default"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "##\n# @x:\n##\n{ 'command': 'x', 'data': { 'a': 'Nope' } }\n",
            "s.json:4: undefined type 'Nope'",
        ),
        (
            "{ 'enum': 'E', 'data': ['a'] }\n{ 'enum': 'E', 'data': ['b'] }\n",
            "s.json:2: 'E' is already defined",
        ),
        (
            "{ 'struct': 'S', 'data': {}, 'bogus': true }\n",
            "s.json:1: 'struct' has unknown key(s) bogus",
        ),
        (
            "{ 'enum': 'E', 'data': ['a'] }\n"
            "{ 'union': 'U', 'base': { 'type': 'E' }, 'discriminator': 'kind', 'data': {} }\n",
            "s.json:2: union 'U': discriminator 'kind' is not a base member",
        ),
        (
            "{ 'enum': 'E', 'data': ['a'] }\n"
            "{ 'union': 'U', 'base': { 'type': 'E' }, 'discriminator': 'type',\n"
            "  'data': { 'b': 'E' } }\n",
            "s.json:2: union 'U': 'b' is not a value of 'E'",
        ),
        ("{ 'command': 'c', 'boxed': true }\n", "s.json:1: 'c': 'boxed': true requires 'data'"),
        ("{ 'command': 'c', 'data': { 'a': 'int' } \n", "s.json:2: expected ',' or '}'"),
        ("{ 'include': 'missing.json' }\n", "s.json:1: can't read include file 'missing.json'"),
        (
            "{ 'pragma': { 'doc-required': true } }\n{ 'enum': 'E', 'data': [] }\n",
            "s.json:2: documentation for 'E' is missing",
        ),
    ],
)
def test_schema_errors_carry_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SchemaError) as info:
        parse_schema(_write(tmp_path, text))
    assert str(info.value) == message


def test_include_is_read_once_and_doc_blocks_attach(tmp_path: Path) -> None:
    (tmp_path / "inc.json").write_text(
        "##\n# @Kind:\n#\n# A kind.\n##\n{ 'enum': 'Kind', 'data': [ 'a', { 'name': 'b' } ] }\n"
    )
    main = _write(
        tmp_path,
        "{ 'pragma': { 'doc-required': true } }\n"
        "{ 'include': 'inc.json' }\n{ 'include': 'inc.json' }\n"
        "##\n# @Obj:\n##\n{ 'struct': 'Obj', 'data': { '*k': 'Kind', 'l': ['int'] } }\n",
    )
    schema = parse_schema(main)
    obj = schema.lookup_type("Obj")
    assert isinstance(obj, ObjectType)
    assert [(m.name, m.type, m.optional) for m in obj.members] == [
        ("k", "Kind", True),
        ("l", "intList", False),
    ]
    assert schema.pragma == {"doc-required": True}
