"""The JSON fast paths give exactly what the exact reader and writer give.

Differential property tests (issue 10): Python's json module reads
well-formed objects, a recursive writer writes compact replies; the exact
QEMU-shaped code in qmpnuma.protocol.json is the reference.  The inputs
aim at every place where the two could differ: duplicate keys, ``0e5``,
NaN and Infinity, integers beyond int64 and uint64, the size and nesting
limits, chunks split anywhere (inside UTF-8 sequences too), non-ASCII,
noncharacters, escapes and lone surrogates.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qmpnuma.errors import QMPError
from qmpnuma.profile import DEFAULT_PROFILE
from qmpnuma.protocol import json as qjson
from qmpnuma.protocol.json import JSONParseError, JSONStreamer, encode, encode_line
from qmpnuma.protocol.session import NO_ID, MonitorSession

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Any code point, surrogates and noncharacters included.
ANY_CHAR = st.one_of(
    st.characters(codec="ascii"),
    st.sampled_from(["é", "\x7f", "\0", "\ud800", "\udfff", "\ufdd0", "\uffff", "\U0010ffff",
                     "\U0001f600", "\u20ac", "\x1f", '"', "\\", "\n", "\t", "\b", "/"]),
    st.integers(0, 0x10FFFF).map(chr),
)  # fmt: skip
TEXT = st.text(ANY_CHAR, max_size=12)
NUMBERS = st.one_of(
    st.integers(-(2**63) - 2, 2**64 + 2),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.sampled_from([0, -0.0, 1e400, 2**63, 2**63 - 1, -(2**63), 2**64 - 1]),
)
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=16,
)

#: Messages where the readers could disagree, and plain junk.
TRICKY = [
    b'{"a": 1, "a": 2}', b'{"a": 0e5}', b'{"a": -0E+5}', b'{"a": 0.0e5}', b'{"a": NaN}',
    b'{"a": Infinity}', b'{"a": -Infinity}', b'{"a": 18446744073709551616}',
    b'{"a": -9223372036854775809}', b'{"a": 18446744073709551615}', b'{"a": 1e400}',
    b'{"a": "\\ud800"}', b'{"a": "\\uD83D\\uDE00"}', b'{"a": "\\uffff"}', b'{"a": "\\u0000"}',
    '{"a": "\ufdd0"}'.encode(), '{"\U0010ffff": "\U0001f600"}'.encode(),
    b'{"a": "\xc0\x80"}', b'{"a": "\xff"}', b'{"a": \'sq\'}', b'{"a": "\\\'"}',
    b'{"a": "\x01"}', b'{"a": "\x7f"}', b'{"a": 01}', b'{"a": 1.}', b'{"a": [1, 2,]}',
    b'{"a" 1}', b"{1: 2}", b"1", b'"x"', b"[1, {}]", b"null", b"}", b"]", b"{", b"[[[",
    b"\xfe", b"\x00", b"abc", b'{"execute": "query-status"}', b"{}",
    b"[" * 70 + b"]" * 70, b'{"a":' * 40 + b"1" + b"}" * 40,
]  # fmt: skip
MESSAGES = st.one_of(
    st.sampled_from(TRICKY),
    VALUES.map(lambda v: json.dumps({"id": v}, ensure_ascii=False).encode("utf-8", "replace")),
    VALUES.map(lambda v: json.dumps({"execute": "x", "arguments": {"v": v}}).encode()),
    st.binary(max_size=8),
)
SPACE = st.sampled_from([b"", b" ", b"\n", b"\r\n", b"\t"])


def typed(value: object) -> Any:
    """``value`` with every type explicit (1 and 1.0 and True differ)."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, value)


def read(chunks: list[bytes], fast: bool, limits: dict[str, int]) -> list[Any]:
    streamer = JSONStreamer(fast=fast, **limits)
    out = []
    for chunk in chunks:
        for message in streamer.feed(chunk):
            out.append(message if isinstance(message, JSONParseError) else typed(message))
    return out


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[bytes], dict[str, int]]:
    pieces = draw(st.lists(st.tuples(MESSAGES, SPACE), min_size=1, max_size=8))
    data = b"".join(message + space for message, space in pieces)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=6)))
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    limits = draw(
        st.sampled_from([{}, {"max_nesting": 3}, {"max_token_size": 24},
                         {"max_token_count": 9}, {"max_nesting": 64}])
    )  # fmt: skip
    return chunks, limits


@FUZZ
@given(streams())
def test_fast_reader_reads_what_the_exact_reader_reads(
    stream: tuple[list[bytes], dict[str, int]],
) -> None:
    chunks, limits = stream
    assert read(chunks, True, limits) == read(chunks, False, limits)


def test_fast_reader_hands_over_mid_chunk_and_back() -> None:
    data = b'{"a": 1}{"a": NaN}{"b": 2}\n{"c": 0e5}{"d": [1]}'
    for cut in range(len(data) + 1):
        chunks = [data[:cut], data[cut:]]
        assert read(chunks, True, {}) == read(chunks, False, {})


def exact_encode(value: object, pretty: bool = False) -> bytes:
    out: list[str] = []
    qjson._write_stack(value, pretty, out)
    return "".join(out).encode("ascii")


def exact_quote(text: str) -> str:
    """quoted_str() one character at a time: the writer's first form."""
    return '"' + qjson._NEEDS_ESCAPE.sub(qjson._escape, text) + '"'


@FUZZ
@given(VALUES)
def test_fast_writer_writes_what_the_exact_writer_writes(value: object) -> None:
    try:
        compact = exact_encode(value)
    except ValueError:  # an integer out of QEMU's range, somewhere
        for write in (encode, encode_line):
            with pytest.raises(ValueError):
                write(value)
        return
    assert encode(value) == compact
    assert encode_line(value) == compact + b"\r\n"
    pretty = exact_encode(value, pretty=True).replace(b"\n", b"\r\n") + b"\r\n"
    assert encode_line(value, pretty=True) == pretty


@FUZZ
@given(st.text(ANY_CHAR, max_size=64))
def test_run_escaping_equals_per_character_escaping(text: str) -> None:
    assert qjson._quote(text) == exact_quote(text)


def test_long_runs_are_escaped_in_slices() -> None:
    text = "aé\ud800" + "é" * (qjson._ESCAPE_SLICE + 3) + "\u20ac" * 5 + '"'
    assert qjson._quote(text) == exact_quote(text)


def test_deep_values_fall_back_to_the_stack_writer() -> None:
    value: object = []
    for _ in range(qjson.MAX_NESTING):
        value = [value, {"k": 1}]
    assert encode(value) == exact_encode(value)


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1])
def test_out_of_range_integers_are_refused_by_both_writers(value: int) -> None:
    for write in (encode, exact_encode):
        with pytest.raises(ValueError):
            write({"a": [value]})


MEMBER_VALUES = st.sampled_from([None, "query-status", 1, {}, {"a": 1}, [], "x"])


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["execute", "arguments", "id", "exec-oob", "control", ""]),
        MEMBER_VALUES,
        max_size=4,
    ),
    st.booleans(),
)
def test_request_check_fast_path_equals_the_member_walk(
    message: dict[str, object], oob: bool
) -> None:
    session = MonitorSession(DEFAULT_PROFILE)
    if oob:
        session.enable_capabilities(["oob"])

    def outcome(check: Any) -> object:
        try:
            return check(message, message.get("id", NO_ID))
        except QMPError as e:
            return e.desc

    assert outcome(session._check_obj) == outcome(session._check_obj_in_order)
