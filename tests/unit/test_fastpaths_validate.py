"""The compiled argument check accepts exactly what jsonschema accepts.

Differential property test (issue 10): for random arguments of every
command, near-valid ones drawn from the schema (a wrong type, an integer
just out of range, a missing or unexpected member, a bad union tag here
and there), :mod:`qmpnuma.qapi.check` must accept the arguments exactly
when the command's JSON Schema has no error, and type them exactly as
:func:`qmpnuma.qapi.validate.convert_value` does.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qmpnuma.qapi.check import Invalid, compiled_check
from qmpnuma.qapi.schema import (
    BUILTIN_JSON_TYPES,
    EMPTY_OBJECT,
    AlternateType,
    ArrayType,
    BuiltinType,
    EnumType,
    ObjectType,
    load_schema,
)
from qmpnuma.qapi.validate import command_validator, convert_value

SCHEMA = load_schema()
COMMANDS = sorted(SCHEMA.commands)
FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Values of the wrong type, and integers at and beyond every bound.
JUNK = [None, True, False, 0, -1, 1.0, 0.5, "", "x", [], {}, [1], {"a": 1}]
EDGES = [-(2**63) - 1, -(2**63), -(2**31) - 1, -(2**15), -129, -128, 127, 128, 255, 256,
         65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1, 2**64]  # fmt: skip


def typed(value: object) -> Any:
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, value)


def draw_value(data: st.DataObject, type_name: str, depth: int = 0) -> object:
    """A value of ``type_name``, now and then a wrong one."""
    if data.draw(st.integers(0, 15)) == 0:
        return data.draw(st.sampled_from(JUNK + EDGES))
    typ = SCHEMA.lookup_type(type_name)
    if isinstance(typ, BuiltinType):
        return draw_builtin(data, typ)
    if isinstance(typ, EnumType):
        return data.draw(st.sampled_from([*typ.values, "bogus"]))
    if isinstance(typ, ArrayType):
        size = data.draw(st.integers(0, 0 if depth > 3 else 3))
        return [draw_value(data, typ.element, depth + 1) for _ in range(size)]
    if isinstance(typ, AlternateType):
        choice = data.draw(st.sampled_from([name for _, name in typ.alternatives]))
        return draw_value(data, choice, depth + 1)
    return draw_object(data, typ, depth)


def draw_builtin(data: st.DataObject, typ: BuiltinType) -> object:
    if typ.json_type == "int":
        return data.draw(st.sampled_from(EDGES) | st.integers(-300, 70000))
    fitting = {
        "string": st.text(max_size=3),
        "number": st.integers(-5, 5) | st.floats(allow_nan=False),
        "boolean": st.booleans(),
        "null": st.none(),
    }.get(typ.json_type)
    if fitting is None:
        return data.draw(st.sampled_from(JUNK))
    return data.draw(fitting | st.sampled_from(JUNK))


def draw_object(data: st.DataObject, typ: ObjectType, depth: int) -> dict[str, object]:
    members = list(typ.members)
    value: dict[str, object] = {}
    if typ.tag is not None:
        cases = [case for case, _ in typ.variants]
        value[typ.tag] = data.draw(st.sampled_from([*cases, "bogus"]))
        members += SCHEMA.variant_members(typ, value[typ.tag])
    for member in members:
        if member.name in value:
            continue
        present = not member.optional or data.draw(st.booleans())
        if data.draw(st.integers(0, 20)) == 0:
            present = not present  # a required member missing now and then
        if present and depth < 5:
            value[member.name] = draw_value(data, member.type, depth + 1)
    if data.draw(st.integers(0, 10)) == 0:
        value[data.draw(st.sampled_from(["bogus", "id", "type", "size"]))] = 1
    return value


@FUZZ
@given(st.data())
def test_compiled_check_agrees_with_jsonschema(data: st.DataObject) -> None:
    command = SCHEMA.commands[data.draw(st.sampled_from(COMMANDS))]
    root = command.arg_type or EMPTY_OBJECT
    arguments = draw_object(data, SCHEMA.object_type(root), 0)
    valid = not any(command_validator(SCHEMA, command.name).iter_errors(arguments))
    try:
        result = compiled_check(SCHEMA, root)(arguments)
    except Invalid:
        assert not valid, (command.name, arguments)
    else:
        assert valid, (command.name, arguments)
        assert typed(result) == typed(convert_value(SCHEMA, root, arguments))


@FUZZ
@given(st.data())
def test_compiled_check_agrees_with_jsonschema_on_any_type(data: st.DataObject) -> None:
    """Every named type, arrays and alternates included, not only arguments."""
    name = data.draw(st.sampled_from(sorted(SCHEMA.types)))
    agrees(name, draw_value(data, name))


def agrees(name: str, value: object) -> None:
    from qmpnuma.qapi.validate import _validator_class, argument_schema

    validator = _validator_class()(argument_schema(SCHEMA, name))
    valid = not any(validator.iter_errors(value))
    try:
        result = compiled_check(SCHEMA, name)(value)
    except Invalid:
        assert not valid, (name, value)
    else:
        assert valid, (name, value)
        assert typed(result) == typed(convert_value(SCHEMA, name, value))


@pytest.mark.parametrize("name", sorted(BUILTIN_JSON_TYPES))
def test_every_builtin_on_every_junk_value_and_integer_bound(name: str) -> None:
    for value in [*JUNK, *EDGES, 0.0, -0.0, 1e300, float("inf"), "é"]:
        agrees(name, value)


def test_jsonschema_is_imported_only_for_refused_arguments() -> None:
    script = (
        "import sys\n"
        "from qmpnuma.qapi.schema import load_schema\n"
        "from qmpnuma.qapi.validate import validate_arguments\n"
        "from qmpnuma.errors import GenericError\n"
        "schema = load_schema()\n"
        "validate_arguments(schema, 'query-status', {})\n"
        "validate_arguments(schema, 'set-numa-node', {'type': 'node', 'nodeid': 1})\n"
        "print('jsonschema' in sys.modules)\n"
        "try:\n"
        "    validate_arguments(schema, 'set-numa-node', {'type': 'node', 'nodeid': 'x'})\n"
        "except GenericError as e:\n"
        "    print(e.desc)\n"
        "print('jsonschema' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stdout.splitlines() == [
        "False", "Parameter 'nodeid' expects uint64", "True"
    ], result.stderr  # fmt: skip
