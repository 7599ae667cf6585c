"""qmpnuma.cutils: util/cutils.c number parsing, as QemuOpts and the OptsVisitor use it.

Sizes were checked against QEMU 7.2's ``-m`` and ``-object ...,size=``.
"""

from __future__ import annotations

import errno

import pytest

from qmpnuma.cutils import (
    StrtoxError,
    id_wellformed,
    parse_uint,
    parse_uint_full,
    qapi_bool_parse,
    qemu_strtoi64,
    qemu_strtoi64_prefix,
    qemu_strtosz,
    qemu_strtosz_MiB,
    qemu_strtou64,
)
from qmpnuma.errors import CollectingReporter, GenericError

K, M, G = 1 << 10, 1 << 20, 1 << 30


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("512", 512),
        ("4096", 4096),
        ("1G", G),
        ("1g", G),
        ("1k", K),
        ("1K", K),
        ("512k", 512 * K),
        ("0.5G", G // 2),
        ("1.5M", 3 * M // 2),
        ("1.k", K),  # a lone '.' is skipped
        ("1.G", G),
        ("1.0", 1),
        # A fraction needs a scale only if it is nonzero in 64.64 fixed point.
        ("1.0000000000000000000001B", 1),
        ("1.5e", 3 << 59),  # 'e' is the exabyte suffix, not an exponent
        (" 1G", G),
        ("+1G", G),
        ("0x10", 16),
        ("1B", 1),
        ("18446744073709551615", (1 << 64) - 1),
        ("15E", 15 << 60),
    ],
)
def test_strtosz(text: str, value: int) -> None:
    assert qemu_strtosz(text) == value


@pytest.mark.parametrize(
    ("text", "err"),
    [
        ("", errno.EINVAL),
        ("1x", errno.EINVAL),
        ("-1", errno.EINVAL),
        ("1.5", errno.EINVAL),  # a fraction needs a suffix
        ("1.5B", errno.EINVAL),
        ("1KiB", errno.EINVAL),
        ("1 G", errno.EINVAL),
        (".5G", errno.EINVAL),
        ("1e3", errno.EINVAL),
        ("1e3M", errno.EINVAL),
        ("1.5e3M", errno.EINVAL),
        ("1.5e1G", errno.EINVAL),
        ("0x1.5", errno.EINVAL),
        ("0x1.5M", errno.EINVAL),
        ("1.\u0665G", errno.EINVAL),  # strtod() reads ASCII digits only
        ("help", errno.EINVAL),
        ("16E", errno.ERANGE),
        ("18446744073709551616", errno.ERANGE),
        ("99999999999999999999999", errno.ERANGE),
    ],
)
def test_strtosz_errors(text: str, err: int) -> None:
    with pytest.raises(StrtoxError) as info:
        qemu_strtosz(text)
    assert info.value.errno == err


def test_strtosz_mib_and_hex_suffix_warning() -> None:
    assert qemu_strtosz_MiB("512") == 512 * M
    assert qemu_strtosz_MiB("0x10") == 16 * M
    reporter = CollectingReporter()
    assert qemu_strtosz("0x10M", reporter) == 16 * M
    assert reporter.messages == [
        ("warning", "Using a multiplier suffix on hex numbers is deprecated: 0x10M")
    ]


@pytest.mark.parametrize(
    ("text", "err"),
    [
        ("-1", errno.ERANGE), ("-0", errno.ERANGE), (" -1", errno.ERANGE),
        ("-.5", errno.ERANGE), ("-.0", errno.ERANGE),
        # Text after the negative number makes it invalid again.
        ("-1k", errno.EINVAL), ("-1.5G", errno.EINVAL), ("-0x10", errno.EINVAL),
        ("-.5k", errno.EINVAL), ("-.5e3", errno.EINVAL),
        # No number after the sign.
        ("-", errno.EINVAL), ("- 1", errno.EINVAL), ("--1", errno.EINVAL), ("-.", errno.EINVAL),
    ],
)  # fmt: skip
def test_strtosz_negative_out_of_range(text: str, err: int) -> None:
    # 10.0's do_strtosz (parse_uint since 8.1), as -m reports it; 7.2 has EINVAL only.
    with pytest.raises(StrtoxError) as info:
        qemu_strtosz(text, negative_range=True)
    assert info.value.errno == err
    with pytest.raises(StrtoxError) as info:
        qemu_strtosz(text)
    assert info.value.errno == errno.EINVAL


def test_strtou64_and_strtoi64() -> None:
    assert qemu_strtou64("0x10") == 16
    assert qemu_strtou64("010") == 8
    assert qemu_strtou64("-1") == (1 << 64) - 1
    assert qemu_strtoi64("-4") == -4
    for bad in ("", "x", "08", "1 "):
        with pytest.raises(StrtoxError):
            qemu_strtou64(bad)
    with pytest.raises(StrtoxError) as info:
        qemu_strtoi64("9223372036854775808")
    assert info.value.errno == errno.ERANGE
    # Left-over characters win over the overflow (check_strtox_error).
    with pytest.raises(StrtoxError) as info:
        qemu_strtoi64("9223372036854775808x")
    assert info.value.errno == errno.EINVAL


def test_strtoi64_prefix() -> None:
    """The first half of an OptsVisitor int64 range ``A-B``."""
    assert qemu_strtoi64_prefix("-3-5") == (-3, 2)
    assert qemu_strtoi64_prefix(" 0x") == (0, 2)
    for bad, err in (("-", errno.EINVAL), ("9223372036854775808-9", errno.ERANGE)):
        with pytest.raises(StrtoxError) as info:
            qemu_strtoi64_prefix(bad)
        assert info.value.errno == err


def test_parse_uint_is_cs() -> None:
    assert parse_uint("0x1f-3") == (31, 4)
    assert parse_uint("010") == (8, 3)
    assert parse_uint("09") == (0, 1)
    for bad, err in (("-1", errno.ERANGE), (" -0", errno.ERANGE), ("x", errno.EINVAL)):
        with pytest.raises(StrtoxError) as info:
            parse_uint(bad)
        assert info.value.errno == err


def test_parse_uint_full() -> None:
    assert parse_uint_full(" +0x10") == 16
    for bad in ("1-3", "-1", "18446744073709551616", ""):
        with pytest.raises(StrtoxError):
            parse_uint_full(bad)


def test_bool_parse() -> None:
    assert [qapi_bool_parse("x", v) for v in ("on", "yes", "true", "y")] == [True] * 4
    assert [qapi_bool_parse("x", v) for v in ("off", "no", "false", "n")] == [False] * 4
    assert qapi_bool_parse("share", "yes") is True
    assert qapi_bool_parse("share", "n") is False
    with pytest.raises(GenericError, match="^Parameter 'x' expects 'on' or 'off'$"):
        qapi_bool_parse("x", "On")
    with pytest.raises(GenericError, match="^Parameter 'share' expects 'on' or 'off'$"):
        qapi_bool_parse("share", "maybe")


def test_id_wellformed() -> None:
    assert id_wellformed("m0") and id_wellformed("a-b.c_d")
    assert not id_wellformed("0a") and not id_wellformed("") and not id_wellformed("a b")
