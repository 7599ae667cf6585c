"""Tests for qmpnuma.protocol.json: QEMU 7.2's JSON reader and writer.

Expected texts and bytes were recorded from qemu-system-x86_64 7.2 over a
QMP socket (the reply to each input, or the ``id`` echoed back).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qmpnuma.protocol.json import (
    MAX_NESTING,
    MAX_TOKEN_COUNT,
    MAX_TOKEN_SIZE,
    JSONParseError,
    JSONStreamer,
    encode,
)


def feed(*chunks: bytes, streamer: JSONStreamer | None = None) -> list[object]:
    streamer = streamer or JSONStreamer()
    return [message for chunk in chunks for message in streamer.feed(chunk)]


def errors(*chunks: bytes) -> list[str]:
    """The descs of what ``chunks`` produce; a non-error is a test failure."""
    found = feed(*chunks)
    assert all(isinstance(m, JSONParseError) for m in found), found
    return [m.desc for m in found if isinstance(m, JSONParseError)]


def decode(data: bytes) -> object:
    """One message; the newline ends a top-level number or keyword."""
    (message,) = feed(data + b"\n")
    return message


# --- framing --------------------------------------------------------------


def test_limits_are_qemus() -> None:
    assert (MAX_TOKEN_SIZE, MAX_TOKEN_COUNT, MAX_NESTING) == (64 << 20, 2 << 20, 1024)


def test_several_messages_in_one_chunk() -> None:
    assert feed(b'{"a": 1}{"b": [2]} [3]') == [{"a": 1}, {"b": [2]}, [3]]


def test_a_message_split_anywhere_gives_the_same_value() -> None:
    data = b"{'k\\u00e9y': [\"\xc3\xa9\xf0\x9f\x98\x80\", -1.5e3, 12, true, null]}"
    whole = feed(data)
    assert whole == [{"k\u00e9y": ["\u00e9\U0001f600", -1500.0, 12, True, None]}]
    for cut in range(1, len(data)):
        assert feed(data[:cut], data[cut:]) == whole, cut


def test_one_byte_at_a_time() -> None:
    data = b'{"execute": "query-status", "id": [1, "x"]}'
    assert feed(*(data[i : i + 1] for i in range(len(data)))) == [
        {"execute": "query-status", "id": [1, "x"]}
    ]


def test_a_top_level_scalar_is_a_message() -> None:
    assert feed(b'"x"') == ["x"]  # the closing quote ends it
    # A number or keyword needs the next byte to know it has ended.
    streamer = JSONStreamer()
    assert feed(b"12", streamer=streamer) == []
    assert feed(b" true", streamer=streamer) == [12]
    assert feed(b"\n", streamer=streamer) == [True]


def test_an_unfinished_message_waits() -> None:
    streamer = JSONStreamer()
    assert feed(b'{"a": [1, ', streamer=streamer) == []
    assert feed(b"2]}", streamer=streamer) == [{"a": [1, 2]}]


# --- values ---------------------------------------------------------------


def test_single_quoted_strings() -> None:
    assert decode(b"{'execute': 'x', \"k\": 'say \"hi\"', 'q': \"it's\"}") == {
        "execute": "x",
        "k": 'say "hi"',
        "q": "it's",
    }


def test_escapes() -> None:
    text = decode(b'"\\"\\\\\\/\\b\\f\\n\\r\\t\\\'\\u00e9\\u0000\\uD83D\\uDE00"')
    assert text == "\"\\/\b\f\n\r\t'\u00e9\0\U0001f600"


def test_modified_utf8_nul() -> None:
    assert decode(b'"a\xc0\x80b"') == "a\0b"


@pytest.mark.parametrize(
    ("token", "value"),
    [
        (b"0", 0),
        (b"-0", 0),
        (b"9223372036854775807", 2**63 - 1),
        (b"-9223372036854775808", -(2**63)),
        (b"18446744073709551615", 2**64 - 1),  # uint64
        (b"18446744073709551616", 1.8446744073709552e19),  # beyond: double
        (b"-9223372036854775809", -9.2233720368547758e18),
        (b"1" * 5000, math.inf),  # far beyond Python's int() digit limit
        (b"1.0", 1.0),
        (b"-0.0", -0.0),
        (b"2.5e+3", 2500.0),
        (b"1E2", 100.0),
        (b"1e400", math.inf),
    ],
)
def test_numbers_keep_qemus_int_double_split(token: bytes, value: object) -> None:
    got = decode(token)
    assert got == value and type(got) is type(value)


# --- errors (texts recorded from QEMU 7.2) --------------------------------


@pytest.mark.parametrize(
    ("data", "descs"),
    [
        (b'{ "execute": }', ["expecting value"]),
        (b'{"execute":"query-status",}', ["expecting value"]),
        (b'{"execute" "query-status"}', ["missing : in object pair"]),
        (b'{"a": 1, "a": 2}', ["duplicate key"]),
        (b"}", ["expecting value"]),
        (b"]", ["expecting value"]),
        (b"[1, ]", ["expecting value"]),
        (b"[0e1]", ["expected separator in list"]),
        (b'{"a": 1 "b": 2}', ["expected separator in dict"]),
        (b"{1: 2}", ["key is not a string in object"]),
        (b"{[1]: 2}", ["key is not a string in object"]),
        (b"{]", ["expecting value"]),
        (b'{"a": 1]', ["expected separator in dict"]),
        (b'{"a": tru}', ["invalid keyword 'tru'"]),
        (b"x\n", ["invalid keyword 'x'"]),
        (b'"\\x"', ["invalid escape sequence in string"]),
        (b'"\\ud800"', ["\\ud800 is not a valid Unicode character"]),
        (b'"\\ud800\\u0041"', ["\\ud800 is not a valid Unicode character"]),
        (b'"\\udc00"', ["\\udc00 is not a valid Unicode character"]),
        (b'"\\uFFFE"', ["\\uFFFE is not a valid Unicode character"]),
        (b'"\\u12"', ['\\u12" is not a valid Unicode character']),
        (b'"\\u12g4"', ["\\u12g4 is not a valid Unicode character"]),
        (b'"\xc3"', ["invalid UTF-8 sequence in string"]),
        (b'"\xef\xbf\xbe"', ["invalid UTF-8 sequence in string"]),  # noncharacter
        (b'"\xef\xb7\x90"', ["invalid UTF-8 sequence in string"]),  # noncharacter
        (b'"\xc1\xbf"', ["invalid UTF-8 sequence in string"]),  # overlong
        (b'"\xed\xa0\x80"', ["invalid UTF-8 sequence in string"]),  # surrogate
        (b'"\xfd"', ["invalid UTF-8 sequence in string"]),
        (b'"\\x\xc3"', ["invalid escape sequence in string"]),
        (b'"\xc3\\x"', ["invalid UTF-8 sequence in string"]),
    ],
)
def test_parser_errors(data: bytes, descs: list[str]) -> None:
    assert errors(data) == ["JSON parse error, " + d for d in descs]


def test_first_error_of_a_message_wins() -> None:
    assert errors(b'[x, "\\x", {1: 2}]') == ["JSON parse error, invalid keyword 'x'"]


def test_long_parse_error_is_cut_like_qemus_buffer() -> None:
    (desc,) = errors(b"[" + b"a" * 2000 + b"]")
    assert len(desc) == len("JSON parse error, ") + 1023
    assert desc.startswith("JSON parse error, invalid keyword 'aaa")


@pytest.mark.parametrize(
    ("data", "descs"),
    [
        # A lexical error drops the message so far; recovery skips to a
        # structural character, which then starts a new message.
        (b'{"a": \x01}', ["stray '\x01'", "expecting value"]),
        (b'{"execute": "qu\x01ery"}', ["stray '\"qu\x01'", "expecting value"]),
        (b"\xff", ["stray '\ufffd'"]),
        (b"\x01\x01", ["stray '\x01'", "stray '\x01'"]),
        (b"\x00", ["stray ''"]),  # a C string ends at NUL
        (b'"\xc3\xa9\x01', ["stray '\"\u00e9\x01'"]),
        (b"01 ", ["stray '01'"]),
        (b"-x", ["stray '-x'"]),
        (b"%d ", ["stray '%'"]),
        (b"[1\xff]", ["stray '\ufffd'", "expecting value"]),
        (b"\x01ab:cd\n", ["stray '\x01'", "expecting value", "invalid keyword 'cd'"]),
        (b"\x01ab,cd\n", ["stray '\x01'", "expecting value", "invalid keyword 'cd'"]),
        (b"\x01ab cd\n", ["stray '\x01'"]),  # blanks do not end recovery
        (b'\x01ab"{"', ["stray '\x01'"]),  # '{' ends recovery and opens a message
    ],
)
def test_lexical_errors_and_recovery(data: bytes, descs: list[str]) -> None:
    assert errors(data) == ["JSON parse error, " + d for d in descs]


def test_recovery_then_a_good_message() -> None:
    assert feed(b'\x01 junk {"execute": "x"}') == [
        JSONParseError("JSON parse error, stray '\x01'"),
        {"execute": "x"},
    ]


# --- limits ---------------------------------------------------------------


def test_nesting_limit() -> None:
    assert feed(b"[" * 4 + b"]" * 4, streamer=JSONStreamer(max_nesting=4)) == [[[[[]]]]]
    # The fifth '[' is refused and dropped; each ']' then stands alone.
    assert (
        feed(b"[" * 5 + b"]" * 5, streamer=JSONStreamer(max_nesting=4))
        == [JSONParseError("JSON nesting depth limit exceeded")]
        + [JSONParseError("JSON parse error, expecting value")] * 5
    )


def test_default_nesting_limit_needs_no_recursion() -> None:
    deep = b"[" * MAX_NESTING + b"]" * MAX_NESTING
    value = decode(deep)
    assert encode(value) == deep


def test_token_count_limit() -> None:
    # Recorded with QEMU's own limit N = 2 << 20: '[' + '1,' * (N // 2) + '1]'
    # refuses token N + 1 (a ','), then the rest reads as new messages.
    streamer = JSONStreamer(max_token_count=6)
    assert feed(b"[[], 1]", streamer=streamer) == [[[], 1]]  # 6 tokens
    assert feed(b"[1,1,1]", streamer=streamer) == [
        JSONParseError("JSON token count limit exceeded")  # at the 7th: ']'
    ]
    assert feed(b"[1,1,1,1]", streamer=streamer) == [
        JSONParseError("JSON token count limit exceeded"),  # at the 7th: ','
        1,
        JSONParseError("JSON parse error, expecting value"),
    ]


def test_token_size_limit_across_tokens() -> None:
    streamer = JSONStreamer(max_token_size=20)
    assert feed(b'["abcdef", "ghijklmn"]', streamer=streamer) == [
        JSONParseError("JSON token size limit exceeded"),
        JSONParseError("JSON parse error, expecting value"),
    ]


def test_token_size_limit_counts_one_byte_per_token_more() -> None:
    # A token is refused when the bytes kept so far, its own and one more (its
    # NUL in QEMU) exceed the limit.  Recorded with QEMU's M = 64 << 20:
    # '["' + 'b' * (M - 3) + '"]' is refused at the string (1 + (M - 1) + 1),
    # and ']' then stands alone.
    assert feed(b'["' + b"b" * 11 + b'"]', streamer=JSONStreamer(max_token_size=16)) == [["b" * 11]]
    assert feed(b'["' + b"b" * 13 + b'"]', streamer=JSONStreamer(max_token_size=16)) == [
        JSONParseError("JSON token size limit exceeded"),
        JSONParseError("JSON parse error, expecting value"),
    ]


def test_an_endless_string_is_cut_at_the_limit() -> None:
    streamer = JSONStreamer(max_token_size=16)
    assert feed(b'"' + b"x" * 10, streamer=streamer) == []
    # The 17th byte of the token overflows it; the rest lexes afresh.
    assert feed(b"x" * 6, streamer=streamer) == [JSONParseError("JSON token size limit exceeded")]
    assert feed(b"x\n", streamer=streamer) == [
        JSONParseError("JSON parse error, invalid keyword 'x'")
    ]


def test_flooding_keeps_memory_bounded() -> None:
    streamer = JSONStreamer(max_token_size=1024)
    for _ in range(100):
        streamer.feed(b"[" + b'"' + b"y" * 4096)
    assert len(streamer._lexer._token) <= 1025


# --- writer ---------------------------------------------------------------


def test_encode_spacing_and_empties() -> None:
    assert encode({"return": {}, "id": [1, [], {}, None, True, False]}) == (
        b'{"return": {}, "id": [1, [], {}, null, true, false]}'
    )
    assert encode([]) == b"[]" and encode({}) == b"{}"


def test_encode_strings_like_qemu() -> None:
    text = "\u00e9\U0001f600//\0\x1f\x7f\b\f\n\r\t\"\\'"
    assert encode(text) == b'"\\u00E9\\uD83D\\uDE00//\\u0000\\u001F\\u007F\\b\\f\\n\\r\\t\\"\\\\\'"'


def test_encode_invalid_code_points_as_replacement() -> None:
    assert encode("\ud800\ufffe") == b'"\\uFFFD\\uFFFD"'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1500.0, b"1500"),
        (1.0, b"1"),
        (-0.0, b"-0"),
        (math.inf, b"inf"),
        (0.1, b"0.10000000000000001"),
        (1e-7, b"9.9999999999999995e-08"),
        (1e22, b"1e+22"),
        (1e16, b"10000000000000000"),
        (1.8446744073709552e19, b"1.8446744073709552e+19"),
        (5e-324, b"4.9406564584124654e-324"),
        (2**64 - 1, b"18446744073709551615"),
        (-(2**63), b"-9223372036854775808"),
    ],
)
def test_encode_numbers(value: object, text: bytes) -> None:
    assert encode(value) == text


def test_encode_refuses_what_qemu_cannot_hold() -> None:
    with pytest.raises(ValueError):
        encode(2**64)
    with pytest.raises(TypeError):
        encode({"a": object()})


def test_encode_walks_dicts_in_qdict_order() -> None:
    greeting = {"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 22}}}}
    assert encode(greeting) == (
        b'{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}}}}'
    )


# --- round trip -----------------------------------------------------------


def _valid_char(c: str) -> bool:
    cp = ord(c)
    return not (0xFDD0 <= cp <= 0xFDEF or cp & 0xFFFE == 0xFFFE)


_TEXT = st.text(st.characters(blacklist_categories=["Cs"]).filter(_valid_char))
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda children: st.lists(children) | st.dictionaries(_TEXT, children),
    max_leaves=30,
)


@given(_VALUES)
def test_decode_encode_round_trip(value: object) -> None:
    assert decode(encode(value)) == value


def test_pretty_form_is_qemus() -> None:
    # Recorded from a QEMU 7.2 -qmp-pretty monitor (before "\n" -> "\r\n").
    assert encode({"return": {}, "id": [1, {}, "x"]}, pretty=True) == (
        b'{\n    "return": {\n    },\n    "id": [\n        1,\n        {\n        },\n'
        b'        "x"\n    ]\n}'
    )
