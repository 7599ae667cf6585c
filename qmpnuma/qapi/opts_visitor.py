"""The command line's OptsVisitor: QemuOpts strings -> a typed QAPI value.

QEMU's counterpart: qapi/opts-visitor.c, which reads numbers, sizes and
booleans with util/cutils.c and qapi/qapi-util.c (here qmpnuma.cutils,
shared with QemuOpts).  QEMU 7.2 feeds both ``-numa`` (hw/core/numa.c
parse_numa) and ``-object`` (softmmu/vl.c object_option_parse) through
this visitor, which is why their errors read ``Invalid parameter 'foo'``
rather than the QMP ``Parameter 'foo' is unexpected``.

How the visitor reads options:

* a scalar member takes the value of the *last* option with its name;
* a list member takes every option with its name, in order; an integer
  list element may be a range ``A-B`` (A <= B, fewer than 65536 values);
* members are visited in schema order (a union's base, then the variant
  chosen by the discriminator), and the first failure is reported;
* options that no member took are reported at the end, the first in the
  order of the visitor's GLib hash table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from qmpnuma.cutils import (
    StrtoxError,
    parse_uint,
    parse_uint_full,
    qapi_bool_parse,
    qemu_strtoi64,
    qemu_strtoi64_prefix,
    qemu_strtosz,
)
from qmpnuma.errors import (
    QERR_INVALID_PARAMETER_VALUE,
    QERR_MISSING_PARAMETER,
    GenericError,
    Reporter,
)
from qmpnuma.hashorder import ghash_first
from qmpnuma.qapi.check import INT64_MAX
from qmpnuma.qapi.schema import (
    ArrayType,
    BuiltinType,
    EnumType,
    Member,
    ObjectType,
    Schema,
)

__all__ = ["visit_opts", "OPTS_VISITOR_RANGE_MAX"]

#: The most values one range may stand for (qapi/opts-visitor.c).
OPTS_VISITOR_RANGE_MAX = 65536

# qapi/qmp/qerror.h, as used by qapi/opts-visitor.c and qapi-visit-core.c
INVALID_PARAMETER_VALUE = QERR_INVALID_PARAMETER_VALUE
MISSING_PARAMETER = QERR_MISSING_PARAMETER
# qapi/opts-visitor.c opts_check_struct
INVALID_PARAMETER = "Invalid parameter '{name}'"
# qapi/qapi-visit-core.c input_type_enum
ENUM_VALUE_ERROR = "Parameter '{name}' does not accept value '{value}'"

#: Integer widths of the sized types (qapi/qapi-visit-core.c visit_type_*).
_INT_BITS: Mapping[str, int] = {"int8": 8, "int16": 16, "int32": 32}
_UINT_BITS: Mapping[str, int] = {"uint8": 8, "uint16": 16, "uint32": 32}
#: The integer types, read by opts_type_int64 (signed) or _uint64.
_SIGNED = frozenset({"int", "int64", *_INT_BITS})
_UNSIGNED = frozenset({"uint64", *_UINT_BITS})

# ---------------------------------------------------------------------------
# The visitor


@dataclass
class _OptsInput:
    """The options being visited: values per name, and those not yet taken."""

    values: dict[str, list[str]] = field(default_factory=dict)
    #: Option names in the order they were first inserted in the table.
    order: list[str] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)

    @classmethod
    def from_pairs(cls, opts: Iterable[tuple[str, str]]) -> _OptsInput:
        result = cls()
        for name, value in opts:
            if name not in result.values:
                result.values[name] = []
                result.order.append(name)
            result.values[name].append(value)
        return result

    def present(self, name: str) -> bool:
        return name in self.values and name not in self.taken

    def scalar(self, name: str) -> str:
        """lookup_scalar(): the last value given; the option is then processed."""
        if not self.present(name):
            raise GenericError(MISSING_PARAMETER.format(name=name))
        self.taken.append(name)
        return self.values[name][-1]


class _OptsVisitor:
    def __init__(
        self, schema: Schema, opts: _OptsInput, reporter: Reporter | None, hex_suffix: bool
    ) -> None:
        self.schema = schema
        self.opts = opts
        self.reporter = reporter
        self.hex_suffix = hex_suffix

    def visit_object(self, obj: ObjectType) -> dict[str, object]:
        result: dict[str, object] = {}
        self.visit_members(obj.members, result)
        if obj.tag is not None:
            self.visit_members(self.schema.variant_members(obj, result[obj.tag]), result)
        return result

    def visit_members(self, members: Sequence[Member], result: dict[str, object]) -> None:
        for member in members:
            if member.optional and not self.opts.present(member.name):
                continue
            result[member.name] = self.visit_member(member)

    def visit_member(self, member: Member) -> object:
        typ = self.schema.lookup_type(member.type)
        if isinstance(typ, ObjectType):
            # The visitor is flat: a nested struct reads the same options.
            return self.visit_object(typ)
        if isinstance(typ, ArrayType):
            return self.visit_list(member.name, typ)
        return self.scalar(member.name, typ.name, self.opts.scalar(member.name), in_list=False)

    def visit_list(self, name: str, typ: ArrayType) -> list[object]:
        element = self.schema.lookup_type(typ.element)
        if not self.opts.present(name):
            raise GenericError(MISSING_PARAMETER.format(name=name))
        self.opts.taken.append(name)
        result: list[object] = []
        for text in self.opts.values[name]:
            if isinstance(element, BuiltinType) and element.name in _SIGNED | _UNSIGNED:
                for value in self.integer_range(name, element.name, text):
                    result.append(self.check_width(None, element.name, value))
            else:
                result.append(self.scalar(name, element.name, text, in_list=True))
        return result

    def integer_range(self, name: str, type_name: str, text: str) -> range:
        """One list element: an integer or a range ``A-B``."""
        signed = type_name in _SIGNED
        expected = "an int64 value or range" if signed else "a uint64 value or range"
        error = GenericError(INVALID_PARAMETER_VALUE.format(name=name, expected=expected))
        # opts_type_int64 reads with strtoll(), opts_type_uint64 with parse_uint().
        if signed:
            prefix, full = qemu_strtoi64_prefix, qemu_strtoi64
        else:
            prefix, full = parse_uint, parse_uint_full
        try:
            low, end = prefix(text)
            high = full(text[end + 1 :]) if text[end : end + 1] == "-" else None
        except StrtoxError:
            raise error from None
        if end == len(text):
            return range(low, low + 1)
        if high is None:
            raise error
        if signed:
            small = low > INT64_MAX - OPTS_VISITOR_RANGE_MAX or high < low + OPTS_VISITOR_RANGE_MAX
        else:
            small = high - low < OPTS_VISITOR_RANGE_MAX
        if low > high or not small:
            raise error
        return range(low, high + 1)

    def scalar(self, name: str, type_name: str, text: str, *, in_list: bool) -> object:
        typ = self.schema.lookup_type(type_name)
        if isinstance(typ, EnumType):
            if text not in typ.values:
                label = "null" if in_list else name
                raise GenericError(ENUM_VALUE_ERROR.format(name=label, value=text))
            return text
        if type_name == "str":
            return text
        if type_name == "bool":
            return qapi_bool_parse(name, text)
        if type_name == "size":
            try:
                return qemu_strtosz(text, self.reporter, hex_suffix=self.hex_suffix)
            except StrtoxError:
                raise GenericError(
                    INVALID_PARAMETER_VALUE.format(name=name, expected="a size value")
                ) from None
        if type_name in _SIGNED | _UNSIGNED:
            # (List elements go through integer_range() instead.)
            return self.check_width(name, type_name, self.integer(name, type_name, text))
        raise TypeError(f"the OptsVisitor cannot read QAPI type {type_name!r}")

    def integer(self, name: str, type_name: str, text: str) -> int:
        """opts_type_int64/uint64 outside a list: the whole string is the number."""
        signed = type_name in _SIGNED
        try:
            return qemu_strtoi64(text) if signed else parse_uint_full(text)
        except StrtoxError:
            expected = "an int64 value" if signed else "a uint64 value"
            raise GenericError(
                INVALID_PARAMETER_VALUE.format(name=name, expected=expected)
            ) from None

    @staticmethod
    def check_width(name: str | None, type_name: str, value: int) -> int:
        """qapi-visit-core.c visit_type_intN/uintN: the range of a sized type.

        The value is named by its member, or 'null' inside a list.
        """
        if type_name in _UINT_BITS:
            low, high = 0, 2 ** _UINT_BITS[type_name] - 1
        elif type_name in _INT_BITS:
            high = 2 ** (_INT_BITS[type_name] - 1) - 1
            low = -high - 1
        else:
            return value
        if not low <= value <= high:
            label = name if name is not None else "null"
            raise GenericError(
                INVALID_PARAMETER_VALUE.format(name=label, expected=f"{type_name}_t")
            )
        return value


def visit_opts(
    schema: Schema,
    type_name: str,
    opts: Sequence[tuple[str, str]],
    *,
    reporter: Reporter | None = None,
    hex_suffix: bool = True,
) -> dict[str, object]:
    """Read QemuOpts ``(name, value)`` pairs, in command-line order, as QAPI
    object type ``type_name`` (``NumaOptions`` for -numa, ``ObjectOptions``
    for -object).

    The caller resolves QemuOpts' own syntax first: the implied option
    name (``type`` for -numa, ``qom-type`` for -object), ``,,`` escapes and
    flags without a value.  QemuOpts keeps an ``id=`` apart and the
    visitor adds it after the other options: pass it last.

    Returns the value with members in schema order; absent optional
    members are absent.  ``reporter`` receives the visitor's warnings;
    ``hex_suffix`` as for qemu_strtosz.

    Raises:
        GenericError: with QEMU's text, for the first error QEMU meets.
    """
    opts_input = _OptsInput.from_pairs(opts)
    visitor = _OptsVisitor(schema, opts_input, reporter, hex_suffix)
    result = visitor.visit_object(schema.object_type(type_name))
    unexpected = ghash_first(opts_input.order, opts_input.taken)
    if unexpected is not None:
        raise GenericError(INVALID_PARAMETER.format(name=unexpected))
    return result
