"""Argument checks compiled from the schema: validation's fast path.

Each QAPI type becomes, once, a plain function that takes a JSON value and
returns what :func:`qmpnuma.qapi.validate.convert_value` would make of it,
or raises :class:`Invalid`.  It accepts exactly what the type's JSON Schema
(qmpnuma.qapi.validate) accepts; a differential property test holds the two
together.  It says nothing about why a value is refused: QEMU's error text
comes from the jsonschema path, which runs only for refused arguments.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from qmpnuma.qapi.schema import (
    AlternateType,
    ArrayType,
    BuiltinType,
    EnumType,
    Member,
    ObjectType,
    Schema,
)

__all__ = ["Invalid", "Check", "compiled_check", "INT64_MIN", "INT64_MAX", "UINT64_MAX"]

# QEMU's range of JSON integers: the parser makes an int64 or a uint64 of
# an integer literal, and a double of anything beyond (qobject/json-parser.c).
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1

#: Ranges of the integer builtins (qapi/qapi-visit-core.c visit_type_*);
#: uint64 and size take negative int64 too, and wrap them.
_INT_RANGES: Mapping[str, tuple[int, int]] = {
    "int": (INT64_MIN, INT64_MAX),
    "int64": (INT64_MIN, INT64_MAX),
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint8": (0, 2**8 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (INT64_MIN, UINT64_MAX),
    "size": (INT64_MIN, UINT64_MAX),
}
_WRAPPING = frozenset({"uint64", "size"})


class Invalid(Exception):
    """The value does not fit its type."""


#: A compiled check: the typed value, or Invalid.
Check = Callable[[object], object]


def _any(value: object) -> object:
    return value


def _str(value: object) -> object:
    if not isinstance(value, str):
        raise Invalid
    return value


def _bool(value: object) -> object:
    if not isinstance(value, bool):
        raise Invalid
    return value


def _number(value: object) -> object:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise Invalid
    return value


def _null(value: object) -> object:
    if value is not None:
        raise Invalid
    return value


def _integer(low: int, high: int, wrap: bool) -> Check:
    def check(value: object) -> object:
        # QNum keeps integers and doubles apart: 1.0 is no integer.
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise Invalid
        return value & UINT64_MAX if wrap else value

    return check


_SCALARS: Mapping[str, Check] = {
    "any": _any,
    "str": _str,
    "bool": _bool,
    "number": _number,
    "null": _null,
}

#: One member: its name, its check, whether it may be absent.
_MemberCheck = tuple[str, Check, bool]


class _Compiler:
    """Builds one check per type, on first use, and keeps it."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.checks: dict[str, Check] = {}

    def check(self, name: str) -> Check:
        if name not in self.checks:
            # A recursive type meets this forwarder while it is built.
            self.checks[name] = lambda value: self.checks[name](value)
            self.checks[name] = self._build(name)
        return self.checks[name]

    def _build(self, name: str) -> Check:
        typ = self.schema.lookup_type(name)
        if isinstance(typ, BuiltinType):
            if name in _SCALARS:
                return _SCALARS[name]
            low, high = _INT_RANGES[name]
            return _integer(low, high, name in _WRAPPING)
        if isinstance(typ, EnumType):
            return self._enum(frozenset(typ.values))
        if isinstance(typ, ArrayType):
            return self._array(self.check(typ.element))
        if isinstance(typ, ObjectType):
            return self._object(typ)
        return self._alternate(typ)

    @staticmethod
    def _enum(values: frozenset[str]) -> Check:
        def check(value: object) -> object:
            if not isinstance(value, str) or value not in values:
                raise Invalid
            return value

        return check

    @staticmethod
    def _array(element: Check) -> Check:
        def check(value: object) -> object:
            if not isinstance(value, list):
                raise Invalid
            return [element(item) for item in value]

        return check

    def _members(self, members: tuple[Member, ...]) -> tuple[_MemberCheck, ...]:
        return tuple((m.name, self.check(m.type), m.optional) for m in members)

    def _object(self, typ: ObjectType) -> Check:
        base = self._members(typ.members)
        base_names = frozenset(m.name for m in typ.members)
        tag = typ.tag
        variants: dict[str, tuple[tuple[_MemberCheck, ...], frozenset[str]]] = {}
        for case, variant in typ.variants:
            members = self.schema.object_type(variant).members
            variants[case] = (self._members(members), base_names | {m.name for m in members})

        def check(value: object) -> object:
            if not isinstance(value, dict):
                raise Invalid
            typed: dict[str, object] = {}
            _visit(base, value, typed)
            allowed = base_names
            case = value.get(tag) if tag is not None else None
            if isinstance(case, str) and case in variants:
                members, allowed = variants[case]
                _visit(members, value, typed)
            if not allowed.issuperset(value):
                raise Invalid
            return typed

        return check

    def _alternate(self, typ: AlternateType) -> Check:
        choices = [self.check(name) for _, name in typ.alternatives]

        def check(value: object) -> object:
            for choice in choices:
                try:
                    choice(value)
                except Invalid:
                    continue
                return value  # convert_value() leaves an alternate as it is
            raise Invalid

        return check


def _visit(
    members: tuple[_MemberCheck, ...], value: dict[str, object], typed: dict[str, object]
) -> None:
    for name, check, optional in members:
        if name in value:
            typed[name] = check(value[name])
        elif not optional:
            raise Invalid


@functools.lru_cache(maxsize=8)
def _compiler(schema: Schema) -> _Compiler:
    return _Compiler(schema)


def compiled_check(schema: Schema, type_name: str) -> Check:
    """The check of ``schema``'s type ``type_name``, compiled on first use."""
    return _compiler(schema).check(type_name)
