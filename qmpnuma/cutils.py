"""QEMU's string-to-number helpers, for QemuOpts and the OptsVisitor alike.

Counterparts: util/cutils.c (qemu_strtou64, qemu_strtoi64, parse_uint,
parse_uint_full, qemu_strtosz, qemu_strtosz_MiB), qapi/qapi-util.c
(qapi_bool_parse) and util/id.c (id_wellformed).  They follow C library
semantics (strtoull skips leading blanks and accepts a sign; a negative
number wraps around; only ASCII digits count) because QEMU's texts and
accepted inputs depend on those details.

The module sits on the bottom floor, beside errors.py, because both the
command line (cli/, util/qemu-option.c) and the OptsVisitor (qapi/,
qapi/opts-visitor.c) call these functions in QEMU: one implementation
serves both.

Each parser returns the value (the ``*_prefix`` ones and ``parse_uint``
also the number of characters consumed, QEMU's end pointer) or raises
:class:`StrtoxError` carrying the errno QEMU would return (``EINVAL`` or
``ERANGE``); callers choose the message, as QEMU's callers do.
"""

from __future__ import annotations

import errno
import math
import re

from qmpnuma.errors import Reporter, invalid_parameter_value

__all__ = [
    "StrtoxError",
    "qemu_strtou64",
    "qemu_strtoi64",
    "qemu_strtoi64_prefix",
    "parse_uint",
    "parse_uint_full",
    "qemu_strtosz",
    "qemu_strtosz_MiB",
    "qapi_bool_parse",
    "id_wellformed",
    "UINT64_MAX",
]

UINT64_MAX = (1 << 64) - 1
INT64_MAX = (1 << 63) - 1
INT64_MIN = -(1 << 63)

#: What strtoull()/strtoll() skip before the number (isspace() in the C locale).
_C_SPACE = " \t\n\v\f\r"
#: Digits by base, for strtoull's longest-prefix scan.
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

#: Size suffixes (util/cutils.c suffix_mul): powers of the unit, case-insensitive.
_SUFFIX_POWER = {"B": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5, "E": 6}
#: The fraction that strtod() reads after the '.' of a size: ASCII digits
#: (not ``\d``, which would take any Unicode digit), then an exponent.
_FRACTION = re.compile(r"\.[0-9]+([eE][+-]?[0-9]+)?")

#: A negative number as 8.1+'s do_strtosz reads it: parse_uint's digits
#: after a '-' (ERANGE), or, without a digit before the '.', the fraction
#: strtod reads (signbit: ERANGE).
_NEGATIVE = re.compile(r"[ \t\n\v\f\r]*-(?:[0-9]+|\.[0-9]+)")

# util/cutils.c do_strtosz (7.2; 10.0 refuses: Profile.hex_size_suffix)
HEX_SUFFIX_DEPRECATED = "Using a multiplier suffix on hex numbers is deprecated: {value}"


class StrtoxError(ValueError):
    """A failed conversion; ``errno`` is ``errno.EINVAL`` or ``errno.ERANGE``."""

    def __init__(self, err: int) -> None:
        super().__init__(errno.errorcode[err])
        self.errno = err


def _strtox(text: str, base: int) -> tuple[int, int, bool]:
    """strtoull()/strtoll()'s scan: (magnitude with sign, chars consumed, any digit).

    Base 0 and 16 accept a ``0x`` prefix, base 0 takes a leading ``0`` as octal.
    """
    i = 0
    while i < len(text) and text[i] in _C_SPACE:
        i += 1
    sign = 1
    if i < len(text) and text[i] in "+-":
        sign = -1 if text[i] == "-" else 1
        i += 1
    if base in (0, 16) and text[i : i + 2].lower() == "0x" and _digit(text, i + 2, 16):
        i += 2
        base = 16
    elif base == 0:
        base = 8 if text[i : i + 1] == "0" else 10
    start = i
    while _digit(text, i, base):
        i += 1
    if i == start:
        return 0, 0, False
    return sign * int(text[start:i], base), i, True


def _digit(text: str, i: int, base: int) -> bool:
    """Is ``text[i]`` a digit of ``base``?  ASCII only, as in the C locale."""
    return i < len(text) and text[i].isascii() and text[i].lower() in _DIGITS[:base]


def _strtou64_prefix(text: str, base: int) -> tuple[int, int]:
    """qemu_strtou64 with an end pointer: (value, chars consumed)."""
    value, end, ok = _strtox(text, base)
    if not ok:
        raise StrtoxError(errno.EINVAL)
    if abs(value) > UINT64_MAX:
        raise StrtoxError(errno.ERANGE)
    return value & UINT64_MAX, end


def qemu_strtou64(text: str, base: int = 0) -> int:
    """qemu_strtou64(text, NULL, base): the whole string, as strtoull()."""
    value, end = _strtou64_prefix(text, base)
    if end != len(text):
        raise StrtoxError(errno.EINVAL)
    return value


def _check_int64(value: int) -> int:
    """strtoll()'s range: ERANGE outside int64."""
    if not INT64_MIN <= value <= INT64_MAX:
        raise StrtoxError(errno.ERANGE)
    return value


def qemu_strtoi64_prefix(text: str, base: int = 0) -> tuple[int, int]:
    """qemu_strtoi64(text, &end, base): strtoll()'s longest prefix.

    Returns:
        The value and the number of characters consumed (QEMU's end pointer).
    """
    value, end, ok = _strtox(text, base)
    if not ok:
        raise StrtoxError(errno.EINVAL)
    return _check_int64(value), end


def qemu_strtoi64(text: str, base: int = 0) -> int:
    """qemu_strtoi64(text, NULL, base): the whole string, as strtoll().

    Left-over characters are EINVAL even when the number overflows, as in
    util/cutils.c check_strtox_error.
    """
    value, end, ok = _strtox(text, base)
    if not ok or end != len(text):
        raise StrtoxError(errno.EINVAL)
    return _check_int64(value)


def parse_uint(text: str, base: int = 0) -> tuple[int, int]:
    """util/cutils.c parse_uint (7.2): strtoull()'s longest prefix, refusing a sign '-'.

    Returns:
        The value and the number of characters consumed (QEMU's end pointer).

    Raises:
        StrtoxError: EINVAL without digits; ERANGE above 64 bits or when negative.
    """
    value, end = _strtou64_prefix(text, base)
    if text.lstrip(_C_SPACE).startswith("-"):
        raise StrtoxError(errno.ERANGE)
    return value, end


def parse_uint_full(text: str, base: int = 0) -> int:
    """util/cutils.c parse_uint_full (7.2): parse_uint() of the whole string."""
    value, end = parse_uint(text, base)
    if end != len(text):
        raise StrtoxError(errno.EINVAL)
    return value


def _suffix_power(c: str) -> int | None:
    return _SUFFIX_POWER.get(c.upper()) if c else None


def _do_strtosz(
    text: str,
    default_suffix: str,
    reporter: Reporter | None,
    hex_suffix: bool,
    negative_range: bool = False,
) -> int:
    """util/cutils.c do_strtosz (7.2): decimal, fraction or hex, optional suffix.

    ``reporter`` gets 7.2's deprecation warning for a suffix on a hex number;
    without ``hex_suffix`` (later releases) such a number is refused.  With
    ``negative_range`` (Profile.negative_size_out_of_range) a negative
    number is out of range, unless more text follows it.
    """
    if negative_range and (negative := _NEGATIVE.match(text)) is not None:
        raise StrtoxError(errno.ERANGE if negative.end() == len(text) else errno.EINVAL)
    val, end = _strtou64_prefix(text, 10)
    if "-" in text[:end]:
        raise StrtoxError(errno.EINVAL)
    # The fraction in 64.64 fixed point, as QEMU keeps it.
    valf = 0
    is_hex = False
    if val == 0 and text[end : end + 1] in ("x", "X"):
        # Looks like hex: reparse, and refuse a fraction.
        val, end = _strtou64_prefix(text, 16)
        if text[end : end + 1] == ".":
            raise StrtoxError(errno.EINVAL)
        is_hex = True
    elif text[end : end + 1] == ".":
        m = _FRACTION.match(text, end)
        if m is None:
            # strtod() found no fraction digits: skip the lone '.', as QEMU does.
            end += 1
        elif m.group(1):
            raise StrtoxError(errno.EINVAL)
        else:
            valf = math.floor(float(m.group()) * 2.0**64)
            end = m.end()
    power = _suffix_power(text[end : end + 1])
    if power is not None:
        if is_hex and not hex_suffix:
            raise StrtoxError(errno.EINVAL)
        if is_hex and reporter is not None:
            reporter.warn(HEX_SUFFIX_DEPRECATED.format(value=text))
        end += 1
    else:
        power = _SUFFIX_POWER[default_suffix]
    if end != len(text):
        raise StrtoxError(errno.EINVAL)
    mul: int = 1024**power
    if mul == 1:
        # A fraction needs a scale.  QEMU tests the fixed-point valf, so a
        # fraction below 2**-64 ("1.0000000000000000000001B") passes.
        if valf:
            raise StrtoxError(errno.EINVAL)
        return val
    # 64.64 fixed point times the multiplier, rounding 0.5 up.
    product = valf * mul
    result = val * mul + (product >> 64) + ((product & UINT64_MAX) >> 63)
    if result > UINT64_MAX:
        raise StrtoxError(errno.ERANGE)
    return result


def qemu_strtosz(
    text: str,
    reporter: Reporter | None = None,
    *,
    hex_suffix: bool = True,
    negative_range: bool = False,
) -> int:
    """qemu_strtosz: a size in bytes; suffixes B K M G T P E (powers of 1024).

    ``hex_suffix``: a hex number may take a suffix (Profile.hex_size_suffix).
    ``negative_range``: a negative number is ERANGE, not EINVAL
    (Profile.negative_size_out_of_range).
    """
    return _do_strtosz(text, "B", reporter, hex_suffix, negative_range)


def qemu_strtosz_MiB(  # noqa: N802
    text: str, reporter: Reporter | None = None, *, hex_suffix: bool = True
) -> int:
    """qemu_strtosz_MiB: like qemu_strtosz, but a bare number means MiB."""
    return _do_strtosz(text, "M", reporter, hex_suffix)


#: qapi/qapi-util.c qapi_bool_parse: the spellings of true and false.
_BOOL_TRUE = ("on", "yes", "true", "y")
_BOOL_FALSE = ("off", "no", "false", "n")


def qapi_bool_parse(name: str, value: str) -> bool:
    """qapi_bool_parse: on/yes/true/y or off/no/false/n.

    Raises:
        GenericError: ``Parameter 'NAME' expects 'on' or 'off'``.
    """
    if value in _BOOL_TRUE:
        return True
    if value in _BOOL_FALSE:
        return False
    # qapi/qapi-util.c qapi_bool_parse (QERR_INVALID_PARAMETER_VALUE)
    raise invalid_parameter_value(name, "'on' or 'off'")


def id_wellformed(id: str) -> bool:
    """util/id.c id_wellformed: an ASCII letter, then letters, digits, '-', '.', '_'."""
    if not id or not (id[0].isascii() and id[0].isalpha()):
        return False
    return all(c.isascii() and (c.isalnum() or c in "-._") for c in id[1:])
