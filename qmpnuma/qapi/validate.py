"""Command argument validation: jsonschema with QEMU's visitor texts.

QEMU's counterparts: the generated qmp_marshal_<command>() functions,
which run the QObject input visitor (qapi/qobject-input-visitor.c) and the
range and enum checks of qapi/qapi-visit-core.c over the arguments.

Arguments are first checked by a function compiled from the schema
(:mod:`qmpnuma.qapi.check`); what it refuses is checked again here, to
find QEMU's error.  Each command's argument type becomes one JSON Schema
(Draft 2020-12), built when the command is first refused: a session
refuses few commands, and start-up need not pay for any.  Every schema
node that can fail carries, next to the keyword, the QEMU message it
stands for (the ``x-qapi`` annotation, a template per keyword).  QEMU
stops at the first error of its walk, so of all the errors jsonschema
finds we report the one QEMU meets first:

* members are visited in schema order, base members first, then the
  members of the union variant that the discriminator selects;
* a missing member fails where it would have been visited;
* unexpected members are reported when the object has been walked, and
  of several the one first in the visitor's GLib hash table
  (:func:`qmpnuma.hashorder.first_unexpected`);
* for one value, its JSON type is checked before its range or enum value.

QEMU names a value by its path (``cpus[1]``) in type and missing-member
errors, but only by its member name, or ``null`` in a list, in range and
enum errors (visit_type_uintN, input_type_enum); the templates say which.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qmpnuma.errors import QERR_INVALID_PARAMETER as _QERR_INVALID_PARAMETER
from qmpnuma.errors import QERR_INVALID_PARAMETER_TYPE as _QERR_INVALID_PARAMETER_TYPE
from qmpnuma.errors import QERR_INVALID_PARAMETER_VALUE as _QERR_INVALID_PARAMETER_VALUE
from qmpnuma.errors import QERR_MISSING_PARAMETER as _QERR_MISSING_PARAMETER
from qmpnuma.errors import GenericError
from qmpnuma.hashorder import first_unexpected
from qmpnuma.qapi.check import INT64_MAX, INT64_MIN, UINT64_MAX, Invalid, compiled_check
from qmpnuma.qapi.schema import (
    EMPTY_OBJECT,
    AlternateType,
    ArrayType,
    BuiltinType,
    EnumType,
    Member,
    ObjectType,
    Schema,
)

__all__ = [
    "validate_arguments",
    "convert_value",
    "argument_schema",
    "command_validator",
]


#: Widths of the sized integer types (qapi/qapi-visit-core.c visit_type_*).
_INT_BITS: Mapping[str, int] = {"int8": 8, "int16": 16, "int32": 32}
_UINT_BITS: Mapping[str, int] = {"uint8": 8, "uint16": 16, "uint32": 32}
_JSON_SCHEMA_TYPES: Mapping[str, str] = {
    "str": "string",
    "bool": "boolean",
    "number": "number",
    "null": "null",
}

# qapi/qmp/qerror.h (qmpnuma/errors.py) as message templates: {full} is the
# path (full_name()), {name} the member name or 'null' inside a list,
# {value} the rejected value.
QERR_INVALID_PARAMETER_TYPE = _QERR_INVALID_PARAMETER_TYPE.replace("{name}", "{full}")
QERR_INVALID_PARAMETER_VALUE = _QERR_INVALID_PARAMETER_VALUE
QERR_MISSING_PARAMETER = _QERR_MISSING_PARAMETER.replace("{name}", "{full}")
QERR_INVALID_PARAMETER = _QERR_INVALID_PARAMETER.replace("{name}", "{full}")
# qapi/qapi-visit-core.c input_type_enum
ENUM_VALUE_ERROR = "Parameter '{name}' does not accept value '{value}'"
# qapi/qobject-input-visitor.c qobject_input_type_uint64 (and _size)
UINT64_ERROR = "Parameter '{full}' expects uint64"

#: Annotation keys in the generated schemas.
_MESSAGES = "x-qapi"
_RANK = "x-qapi-rank"
#: Sorts an object's unexpected members after all its members.
_AFTER_MEMBERS = sys.maxsize


def _is_strict_integer(checker: object, instance: object) -> bool:
    # QEMU's QNum keeps integers and doubles apart: 1.0 is not an integer.
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.cache
def _validator_class() -> Any:
    """Draft 2020-12 with QEMU's integers.  jsonschema is imported here, on
    the first refused argument: the success path and start-up need none."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(
        Draft202012Validator,
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_strict_integer),
    )


# ---------------------------------------------------------------------------
# QAPI type -> JSON Schema


def _type_error(expected: str) -> dict[str, str]:
    return {"type": QERR_INVALID_PARAMETER_TYPE.replace("{expected}", expected)}


def _ranged(low: int, high: int, message: str) -> dict[str, object]:
    """A range check, reported after the JSON type check of the same value."""
    return {
        "minimum": low,
        "maximum": high,
        _RANK: 1,
        _MESSAGES: {"minimum": message, "maximum": message},
    }


def _builtin_schema(name: str) -> dict[str, object]:
    if name == "any":
        return {}
    if name in _JSON_SCHEMA_TYPES:
        # The JSON Schema type name is also the word QEMU's message uses.
        json_type = _JSON_SCHEMA_TYPES[name]
        return {"type": json_type, _MESSAGES: _type_error(json_type)}
    if name in ("int", "int64") or name in _INT_BITS:
        # qobject_input_type_int64: anything but an int64 is a type error.
        message = QERR_INVALID_PARAMETER_TYPE.replace("{expected}", "integer")
        schema: dict[str, object] = {
            "type": "integer",
            "minimum": INT64_MIN,
            "maximum": INT64_MAX,
            _MESSAGES: {"type": message, "minimum": message, "maximum": message},
        }
        if name in _INT_BITS:
            bits = _INT_BITS[name]
            range_error = QERR_INVALID_PARAMETER_VALUE.replace("{expected}", f"{name}_t")
            schema["allOf"] = [_ranged(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1, range_error)]
        return schema
    # uint64 and size (qobject_input_type_uint64/_size): negative integers
    # are accepted and wrap, "for backward compatibility".
    schema = {
        "type": "integer",
        "minimum": INT64_MIN,
        "maximum": UINT64_MAX,
        _MESSAGES: {"type": UINT64_ERROR, "minimum": UINT64_ERROR, "maximum": UINT64_ERROR},
    }
    if name in _UINT_BITS:
        range_error = QERR_INVALID_PARAMETER_VALUE.replace("{expected}", f"{name}_t")
        schema["allOf"] = [_ranged(0, 2 ** _UINT_BITS[name] - 1, range_error)]
    return schema


class _SchemaBuilder:
    """Translates QAPI types to JSON Schema, one ``$defs`` entry per type."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.defs: dict[str, dict[str, object]] = {}

    def ref(self, name: str) -> dict[str, object]:
        if name not in self.defs:
            self.defs[name] = {}  # placeholder: recursion ends here
            self.defs[name] = self.build(name)
        return {"$ref": f"#/$defs/{name}"}

    def build(self, name: str) -> dict[str, object]:
        typ = self.schema.lookup_type(name)
        if isinstance(typ, BuiltinType):
            return _builtin_schema(name)
        if isinstance(typ, EnumType):
            return {
                "type": "string",
                _MESSAGES: _type_error("string"),
                "allOf": [
                    {"enum": list(typ.values), _RANK: 1, _MESSAGES: {"enum": ENUM_VALUE_ERROR}}
                ],
            }
        if isinstance(typ, ArrayType):
            return {
                "type": "array",
                _MESSAGES: _type_error("array"),
                "items": self.ref(typ.element),
            }
        if isinstance(typ, ObjectType):
            return self.object_schema(typ)
        return self.alternate(typ)

    def members(self, members: Iterable[Member]) -> dict[str, object]:
        members = list(members)
        result: dict[str, object] = {"properties": {m.name: self.ref(m.type) for m in members}}
        required = [
            {"required": [m.name], _MESSAGES: {"required": QERR_MISSING_PARAMETER}}
            for m in members
            if not m.optional
        ]
        if required:
            result["allOf"] = required
        return result

    def object_schema(self, typ: ObjectType) -> dict[str, object]:
        result: dict[str, object] = {
            "type": "object",
            **self.members(typ.members),
            "unevaluatedProperties": False,
            _MESSAGES: {**_type_error("object"), "unevaluatedProperties": QERR_INVALID_PARAMETER},
        }
        if typ.tag is not None:
            variants: list[object] = [
                {
                    "if": {"properties": {typ.tag: {"const": case}}, "required": [typ.tag]},
                    "then": self.members(self.schema.object_type(variant).members),
                }
                for case, variant in typ.variants
            ]
            all_of = result.get("allOf", [])
            assert isinstance(all_of, list)
            result["allOf"] = all_of + variants
        return result

    def alternate(self, typ: AlternateType) -> dict[str, object]:
        # The generated visit_type_<Alternate>() names the value without
        # its path and the expected type by the alternate's name.
        message = QERR_INVALID_PARAMETER_TYPE.replace("{full}", "{name}").replace(
            "{expected}", typ.name
        )
        return {"anyOf": [self.ref(t) for _, t in typ.alternatives], _MESSAGES: {"anyOf": message}}


def argument_schema(schema: Schema, type_name: str) -> dict[str, object]:
    """The JSON Schema of QAPI object type ``type_name``, self-contained."""
    builder = _SchemaBuilder(schema)
    root = builder.ref(type_name)
    return {"$schema": _validator_class().META_SCHEMA["$id"], **root, "$defs": builder.defs}


#: Validators kept: every command of a few schemas (the default schema has
#: a few dozen commands; tests load others).
_VALIDATOR_CACHE_SIZE = 1024


@functools.lru_cache(maxsize=_VALIDATOR_CACHE_SIZE)
def command_validator(schema: Schema, command_name: str) -> Any:
    """The validator of one command's arguments, built on first use."""
    command = schema.commands[command_name]
    return _validator_class()(argument_schema(schema, command.arg_type or EMPTY_OBJECT))


# ---------------------------------------------------------------------------
# Which error QEMU reports


def _walk_members(schema: Schema, obj: ObjectType, value: object) -> tuple[Member, ...]:
    """The members QEMU visits in object ``value`` of type ``obj``, in order."""
    case = value.get(obj.tag) if obj.tag and isinstance(value, dict) else None
    return obj.members + schema.variant_members(obj, case)


def _full_name(path: Sequence[str | int]) -> str:
    """QEMU's full_name(): ``a.b``, ``cpus[1]``."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


def _walk_path(
    schema: Schema, root: str, instance: object, path: Sequence[str | int]
) -> tuple[list[int], object, object]:
    """Follow an instance path through the QAPI types.

    Returns the position of each step in QEMU's walk (member index, list
    index), and the QAPI type and the value found at the end.
    """
    position: list[int] = []
    typ: object = schema.lookup_type(root)
    value = instance
    for part in path:
        if isinstance(typ, ObjectType):
            members = _walk_members(schema, typ, value)
            index = next((i for i, m in enumerate(members) if m.name == part), _AFTER_MEMBERS)
            position.append(index)
            typ = schema.lookup_type(members[index].type) if index < len(members) else None
        elif isinstance(typ, ArrayType) and isinstance(part, int):
            position.append(part)
            typ = schema.lookup_type(typ.element)
        else:
            position.append(0)  # inside an alternate: one error at most
        value = _step(value, part)
    return position, typ, value


def _step(value: object, part: str | int) -> object:
    """``value[part]``: jsonschema reported this path, so it exists."""
    if isinstance(value, list):
        assert isinstance(part, int)
        return value[part]
    assert isinstance(value, dict)
    return value[part]


def _locate(
    schema: Schema, root: str, instance: object, error: Any
) -> tuple[tuple[int, ...], str] | None:
    """Where QEMU's walk meets jsonschema ``error``, and QEMU's text for it.

    None for an error QEMU would not report (see below).
    """
    path: list[str | int] = list(error.absolute_path)
    position, typ, value = _walk_path(schema, root, instance, path)
    keyword: str = error.validator
    template: str = error.schema.get(_MESSAGES, {}).get(keyword, "")
    if not template:
        return None
    if keyword == "required":
        # Missing: reported where the member would have been visited.
        member = error.validator_value[0]
        assert isinstance(typ, ObjectType)
        members = _walk_members(schema, typ, value)
        position.append(next(i for i, m in enumerate(members) if m.name == member))
        path.append(member)
    elif keyword == "unevaluatedProperties":
        # Unexpected: reported once every member has been visited.
        assert isinstance(typ, ObjectType) and isinstance(value, dict)
        taken = [m.name for m in _walk_members(schema, typ, value)]
        unexpected = first_unexpected(list(value), taken)
        if unexpected is None:
            # jsonschema does not count the members of a failed variant as
            # evaluated; that member's own error is the one QEMU reports.
            return None
        position.append(_AFTER_MEMBERS)
        path.append(unexpected)
    last = path[-1] if path else None
    message = template.format(
        full=_full_name(path),
        name=last if isinstance(last, str) else "null",
        value=value,
    )
    return (*position, error.schema.get(_RANK, 0)), message


def _first_error(schema: Schema, root: str, instance: object, errors: Iterable[Any]) -> str:
    located = [_locate(schema, root, instance, e) for e in errors]
    reported = [loc for loc in located if loc is not None]
    assert reported, "a schema error without a QEMU message"
    return min(reported)[1]


# ---------------------------------------------------------------------------
# The typed value


def convert_value(schema: Schema, type_name: str, value: object) -> object:
    """The value a valid input stands for, as QEMU's visitor produces it.

    Objects come out with their members in schema order (absent optional
    members stay absent); a negative integer in a uint64 or size member
    wraps, as qobject_input_type_uint64() makes it.
    """
    typ = schema.lookup_type(type_name)
    if isinstance(typ, ObjectType) and isinstance(value, dict):
        return {
            m.name: convert_value(schema, m.type, value[m.name])
            for m in _walk_members(schema, typ, value)
            if m.name in value
        }
    if isinstance(typ, ArrayType) and isinstance(value, list):
        return [convert_value(schema, typ.element, v) for v in value]
    if isinstance(typ, BuiltinType) and typ.name in ("uint64", "size") and isinstance(value, int):
        return value & UINT64_MAX
    return value


def validate_arguments(
    schema: Schema, command_name: str, arguments: dict[str, object]
) -> dict[str, object]:
    """Check a command's arguments as the command's QMP marshaller does.

    A command declared with ``'gen': false`` checks its own arguments.

    Returns the typed arguments (see :func:`convert_value`).  The check
    compiled from the schema (:mod:`qmpnuma.qapi.check`) decides; only
    arguments it refuses meet jsonschema, which finds QEMU's error.

    Raises:
        GenericError: with the text of QEMU's first visitor error.
    """
    command = schema.commands[command_name]
    if not command.gen:
        # 'gen': false: QEMU's hand-written marshaller takes the arguments
        # as they came (device_add hands them to the QemuOpts of -device).
        return dict(arguments)
    if command.arg_type is None and not arguments:
        return {}
    root = command.arg_type or EMPTY_OBJECT
    try:
        typed = compiled_check(schema, root)(arguments)
    except Invalid:
        return _validate_exactly(schema, command_name, root, arguments)
    assert isinstance(typed, dict)
    return typed


def _validate_exactly(
    schema: Schema, command_name: str, root: str, arguments: dict[str, object]
) -> dict[str, object]:
    """The jsonschema path: QEMU's first error, or the typed arguments."""
    errors = list(command_validator(schema, command_name).iter_errors(arguments))
    if errors:
        raise GenericError(_first_error(schema, root, arguments, errors))
    converted = convert_value(schema, root, arguments)
    assert isinstance(converted, dict)
    return converted
