"""QEMU's JSON dialect: the streaming reader and the writer, byte for byte.

Counterparts in QEMU 7.2:

* qobject/json-lexer.c: bytes -> tokens.  A table-driven state machine with
  QEMU's extensions (single-quoted strings, ``\\'``) and its error recovery:
  after a lexical error, input is skipped up to a structural character, an
  ASCII control character other than tab, or a 0xFE/0xFF byte.
* qobject/json-streamer.c: tokens -> messages.  A message ends when braces
  and brackets balance (so a bare ``1`` or ``"x"`` is a message too) or when
  either count goes negative; the per-message limits live here.
* qobject/json-parser.c: tokens -> values, with QEMU's error texts.  The
  first error of a message wins.  Integers become int64, else uint64, else
  double, so Python ``int`` and ``float`` keep the distinction the writer
  needs.
* qobject/json-writer.c (qobject_to_json): values -> text, ``%.17g`` floats,
  non-ASCII as upper-case ``\\uXXXX`` escapes.
* qobject/qdict.c: dict members come out in hash-bucket order.
* util/unicode.c: strings are modified UTF-8 (U+0000 is C0 80), and
  surrogates and noncharacters are not valid code points.

The parser is QEMU's recursive descent turned inside out (a stack of frames
fed one token at a time), so that deep nesting needs no Python recursion and
no token queue is kept: memory per message is bounded by the limits below.
"""

from __future__ import annotations

import enum
import json as _json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from qmpnuma.hashorder import qdict_order

__all__ = [
    "MAX_TOKEN_SIZE",
    "MAX_TOKEN_COUNT",
    "MAX_NESTING",
    "JSONParseError",
    "JSONStreamer",
    "encode",
    "encode_line",
]

#: Bytes in one token, and in all tokens of one message
#: (qobject/json-lexer.c and json-streamer.c: ``64ULL << 20``).
MAX_TOKEN_SIZE: Final = 64 << 20
#: Tokens in one message (qobject/json-streamer.c: ``2ULL << 20``).
MAX_TOKEN_COUNT: Final = 2 << 20
#: Open braces plus brackets in one message (qobject/json-streamer.c).
MAX_NESTING: Final = 1 << 10

#: parse_error() formats its message into ``char message[1024]``
#: (qobject/json-parser.c), so longer messages are cut to 1023 bytes.
_PARSE_ERROR_MAX: Final = 1023

_INT64_MIN: Final = -(1 << 63)
_INT64_MAX: Final = (1 << 63) - 1
_UINT64_MAX: Final = (1 << 64) - 1
#: Digits of UINT64_MAX: a longer integer token is a double whatever it says.
_UINT64_DIGITS: Final = len(str(_UINT64_MAX))


@dataclass(frozen=True, slots=True)
class JSONParseError:
    """A message that did not parse; ``desc`` is QEMU's full error text."""

    desc: str


# --- Unicode (util/unicode.c) -----------------------------------------------

#: Smallest code point a sequence of 2..6 bytes may encode (mod_utf8_codepoint).
_MIN_CODEPOINT = (0x80, 0x800, 0x10000, 0x200000, 0x4000000)
_NONCHARACTER = re.compile(
    "[\ufdd0-\ufdef"
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
    + "]"
)


def _is_valid_codepoint(cp: int) -> bool:
    """is_valid_codepoint(): Unicode scalar values that are not noncharacters."""
    if not 0 <= cp <= 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
        return False
    return not (0xFDD0 <= cp <= 0xFDEF or cp & 0xFFFE == 0xFFFE)


def _mod_utf8_codepoint(s: bytes, i: int) -> tuple[int, int]:
    """Decode one code point at ``s[i]``: (code point or -1, index after it).

    mod_utf8_codepoint() with its exact notion of how far a bad sequence
    reaches, so that a replacement character stands where QEMU puts one.
    """
    byte = s[i]
    i += 1
    if byte < 0x80:
        return byte, i
    if byte >= 0xFE or not byte & 0x40:
        return -1, i  # impossible byte, or a stray continuation byte
    length = 8 - (byte ^ 0xFF).bit_length()  # leading one bits
    cp = byte & ((0x80 >> length) - 1)
    for _ in range(1, length):
        if i >= len(s) or s[i] & 0xC0 != 0x80:
            return -1, i  # continuation byte missing
        cp = cp << 6 | s[i] & 0x3F
        i += 1
    if not _is_valid_codepoint(cp):
        return -1, i
    if cp < _MIN_CODEPOINT[length - 2] and not (cp == 0 and length == 2):
        return -1, i  # overlong, except C0 80 for U+0000
    return cp, i


def _c_string(raw: bytes) -> str:
    """The text QEMU shows for C string ``raw``: cut at NUL, bad bytes as U+FFFD."""
    raw = raw.split(b"\0", 1)[0]
    chars: list[str] = []
    i = 0
    while i < len(raw):
        cp, i = _mod_utf8_codepoint(raw, i)
        chars.append(chr(cp) if cp >= 0 else "\ufffd")
    return "".join(chars)


# --- Lexer (qobject/json-lexer.c) -------------------------------------------


class _Tok(enum.IntEnum):
    """JSONTokenType.  ERROR is 0 so that a table's default entry means error."""

    ERROR = 0
    LCURLY = 100
    RCURLY = 101
    LSQUARE = 102
    RSQUARE = 103
    COLON = 104
    COMMA = 105
    INTEGER = 106
    FLOAT = 107
    KEYWORD = 108
    STRING = 109
    #: Not a JSON token: what the lexer hands on when a token outgrows
    #: MAX_TOKEN_SIZE (QEMU passes its current state as the type).
    OVERSIZED = 110


class _In(enum.IntEnum):
    """enum json_lexer_state, minus interpolation (QMP never enables it)."""

    RECOVERY = 1
    DQ_STRING_ESCAPE = 2
    DQ_STRING = 3
    SQ_STRING_ESCAPE = 4
    SQ_STRING = 5
    ZERO = 6
    EXP_DIGITS = 7
    EXP_SIGN = 8
    EXP_E = 9
    MANTISSA = 10
    MANTISSA_DIGITS = 11
    DIGITS = 12
    SIGN = 13
    KEYWORD = 14
    START = 15


#: A transition that does not consume its byte: the byte is looked at again
#: in the new state (the lexer's LOOKAHEAD bit).
_LOOKAHEAD: Final = 0x100


def _build_lexer_table() -> dict[int, tuple[int, ...]]:
    """json_lexer[][]: for each state, the next state or token per input byte."""
    table: dict[int, list[int]] = {state: [_Tok.ERROR] * 256 for state in _In}

    def on(state: _In, chars: bytes | range, target: int) -> None:
        for ch in chars:
            table[state][ch] = target

    def terminal(state: _In, token: _Tok) -> None:
        on(state, range(256), token | _LOOKAHEAD)

    # Resynchronise on structural characters, line ends and the bytes a
    # client may send on purpose to reset the parser (docs/interop/qmp-spec).
    on(_In.RECOVERY, range(0x00, 0x20), _In.START | _LOOKAHEAD)
    on(_In.RECOVERY, range(0x20, 0xFE), _In.RECOVERY)
    on(_In.RECOVERY, b"\xfe\xff[]{}:,", _In.START | _LOOKAHEAD)
    on(_In.RECOVERY, b"\t", _In.RECOVERY)

    for string, escape, quote in (
        (_In.DQ_STRING, _In.DQ_STRING_ESCAPE, b'"'),
        (_In.SQ_STRING, _In.SQ_STRING_ESCAPE, b"'"),
    ):
        on(escape, range(0x20, 0xFE), string)
        on(string, range(0x20, 0xFE), string)
        on(string, b"\\", escape)
        on(string, quote, _Tok.STRING)

    digits = b"0123456789"
    terminal(_In.ZERO, _Tok.INTEGER)
    on(_In.ZERO, digits, _Tok.ERROR)
    on(_In.ZERO, b".", _In.MANTISSA)

    terminal(_In.EXP_DIGITS, _Tok.FLOAT)
    on(_In.EXP_DIGITS, digits, _In.EXP_DIGITS)
    on(_In.EXP_SIGN, digits, _In.EXP_DIGITS)
    on(_In.EXP_E, b"+-", _In.EXP_SIGN)
    on(_In.EXP_E, digits, _In.EXP_DIGITS)

    terminal(_In.MANTISSA_DIGITS, _Tok.FLOAT)
    on(_In.MANTISSA_DIGITS, digits, _In.MANTISSA_DIGITS)
    on(_In.MANTISSA_DIGITS, b"eE", _In.EXP_E)
    on(_In.MANTISSA, digits, _In.MANTISSA_DIGITS)

    terminal(_In.DIGITS, _Tok.INTEGER)
    on(_In.DIGITS, digits, _In.DIGITS)
    on(_In.DIGITS, b"eE", _In.EXP_E)
    on(_In.DIGITS, b".", _In.MANTISSA)
    on(_In.SIGN, b"0", _In.ZERO)
    on(_In.SIGN, b"123456789", _In.DIGITS)

    terminal(_In.KEYWORD, _Tok.KEYWORD)
    on(_In.KEYWORD, b"abcdefghijklmnopqrstuvwxyz", _In.KEYWORD)

    on(_In.START, b'"', _In.DQ_STRING)
    on(_In.START, b"'", _In.SQ_STRING)
    on(_In.START, b"0", _In.ZERO)
    on(_In.START, b"123456789", _In.DIGITS)
    on(_In.START, b"-", _In.SIGN)
    on(_In.START, b"{", _Tok.LCURLY)
    on(_In.START, b"}", _Tok.RCURLY)
    on(_In.START, b"[", _Tok.LSQUARE)
    on(_In.START, b"]", _Tok.RSQUARE)
    on(_In.START, b",", _Tok.COMMA)
    on(_In.START, b":", _Tok.COLON)
    on(_In.START, b"abcdefghijklmnopqrstuvwxyz", _In.KEYWORD)
    on(_In.START, b" \t\r\n", _In.START)
    return {state: tuple(row) for state, row in table.items()}


_LEXER_TABLE: Final = _build_lexer_table()

#: Runs of bytes that leave a state unchanged, taken in one regex match
#: instead of one table step each.  Each pattern is exactly the set of bytes
#: that _LEXER_TABLE maps from the state back to itself.
_RUNS: Final[dict[int, re.Pattern[bytes]]] = {
    _In.START: re.compile(rb"[ \t\r\n]*"),
    _In.RECOVERY: re.compile(rb"[^\x00-\x08\x0a-\x1f\xfe\xff\[\]{}:,]*"),
    _In.DQ_STRING: re.compile(rb'[^\x00-\x1f\xfe\xff"\\]*'),
    _In.SQ_STRING: re.compile(rb"[^\x00-\x1f\xfe\xff'\\]*"),
    _In.DIGITS: re.compile(rb"[0-9]*"),
    _In.MANTISSA_DIGITS: re.compile(rb"[0-9]*"),
    _In.EXP_DIGITS: re.compile(rb"[0-9]*"),
    _In.KEYWORD: re.compile(rb"[a-z]*"),
}
#: States whose bytes are skipped rather than collected into the token.
_SKIPPING: Final[frozenset[int]] = frozenset({_In.START, _In.RECOVERY})


class _Lexer:
    """json_lexer_feed(): bytes in, (token type, token text) out."""

    def __init__(self, max_token_size: int) -> None:
        self._max_token_size = max_token_size
        self._state: int = _In.START
        self._token = bytearray()

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        i = 0
        while i < len(data):
            run = _RUNS.get(self._state)
            if run is not None:
                match = run.match(data, i)
                assert match is not None  # every run pattern matches the empty string
                end = match.end()
                if self._state not in _SKIPPING:
                    # Stop the run where json_lexer_feed_char() would find
                    # the token one byte longer than allowed.
                    end = min(end, i + self._max_token_size + 1 - len(self._token))
                    self._token += data[i:end]
                i = end
                if len(self._token) > self._max_token_size:
                    yield from self._overflow()
                    continue
                if i == len(data):
                    break
            yield from self._feed_char(data[i])
            i += 1
            if len(self._token) > self._max_token_size:
                yield from self._overflow()

    def _feed_char(self, ch: int) -> Iterator[tuple[int, bytes]]:
        """json_lexer_feed_char(): step until ``ch`` is consumed."""
        while True:
            target = _LEXER_TABLE[self._state][ch]
            consumed = not target & _LOOKAHEAD
            target &= ~_LOOKAHEAD
            if consumed:
                self._token.append(ch)
            if target >= _Tok.LCURLY:
                yield target, bytes(self._token)
                self._token.clear()
                target = _In.START
            elif target == _Tok.ERROR:
                yield _Tok.ERROR, bytes(self._token)
                self._token.clear()
                target = _In.RECOVERY
            elif target in _SKIPPING:
                self._token.clear()
            self._state = target
            if consumed:
                return

    def idle(self) -> bool:
        """Between tokens, outside recovery: the next byte starts a token."""
        return self._state == _In.START and not self._token

    def _overflow(self) -> Iterator[tuple[int, bytes]]:
        # Security limit: hand the oversized token on and start afresh; the
        # streamer turns it into an error.
        yield _Tok.OVERSIZED, bytes(self._token)
        self._token.clear()
        self._state = _In.START


# --- Parser (qobject/json-parser.c) -----------------------------------------


class _ParseError(Exception):
    """parse_error(): ``message`` is the raw text after ``JSON parse error, ``."""

    def __init__(self, message: bytes) -> None:
        super().__init__(message)
        self.message = message[:_PARSE_ERROR_MAX]


class _Expect(enum.Enum):
    """Where a frame of the parser stands: what token it expects next."""

    #: A value (message start, after ``:``, after ``,`` in a list).
    VALUE = enum.auto()
    #: After ``[``: a value or ``]``.
    LIST_FIRST = enum.auto()
    #: After a list element: ``,`` or ``]``.
    LIST_NEXT = enum.auto()
    #: After ``{``: a key or ``}``.
    DICT_FIRST = enum.auto()
    #: After ``,`` in a dict: a key (parse_pair parses any value, then checks).
    DICT_KEY = enum.auto()
    #: After a key: ``:``.
    DICT_COLON = enum.auto()
    #: After ``:``: the member's value.
    DICT_VALUE = enum.auto()
    #: After a member: ``,`` or ``}``.
    DICT_NEXT = enum.auto()


@dataclass(slots=True)
class _Frame:
    """One open list or dict: parse_array() or parse_object() in progress."""

    container: list[object] | dict[str, object]
    expect: _Expect
    key: str = ""


#: The token that closes a list or dict right after it opened: ``[]``, ``{}``.
_CLOSES_EMPTY: Final = {_Expect.LIST_FIRST: _Tok.RSQUARE, _Expect.DICT_FIRST: _Tok.RCURLY}
_KEYWORDS: Final[dict[bytes, object]] = {b"true": True, b"false": False, b"null": None}
_SIMPLE_ESCAPES: Final = {
    ord('"'): '"',
    ord("'"): "'",
    ord("\\"): "\\",
    ord("/"): "/",
    ord("b"): "\b",
    ord("f"): "\f",
    ord("n"): "\n",
    ord("r"): "\r",
    ord("t"): "\t",
}
_HEX4 = re.compile(rb"[0-9A-Fa-f]{4}")


def _cvt4hex(token: bytes, i: int) -> int:
    """cvt4hex(): the four hex digits at ``token[i]``, or -1."""
    digits = token[i : i + 4]
    return int(digits, 16) if _HEX4.fullmatch(digits) else -1


def _parse_unicode_escape(token: bytes, start: int) -> tuple[str, int]:
    """``\\uXXXX`` (or a surrogate pair of them) at ``token[start]``."""
    i = start + 2
    cp = _cvt4hex(token, i)
    i += 4
    if 0xD800 <= cp <= 0xDBFF and token[i : i + 2] == b"\\u":
        trailing = _cvt4hex(token, i + 2)
        if 0xDC00 <= trailing <= 0xDFFF:
            cp = 0x10000 + ((cp & 0x3FF) << 10 | trailing & 0x3FF)
            i += 6
        else:
            cp = -1
    if not _is_valid_codepoint(cp):
        # json-parser.c parse_string()
        raise _ParseError(token[start:i] + b" is not a valid Unicode character")
    return chr(cp), i


# json-parser.c parse_string()
_INVALID_UTF8: Final = b"invalid UTF-8 sequence in string"


#: U+FDD0..U+FDEF are EF B7 xx; U+xFFFE and U+xFFFF end in BF BE, BF BF.
_NONCHARACTER_UTF8_PAIRS: Final = (b"\xef\xb7", b"\xbf\xbe", b"\xbf\xbf")


def _decode_unescaped(raw: bytes) -> str:
    """Unescaped string bytes as text: modified UTF-8, valid code points only.

    Python's strict UTF-8 decoder refuses what mod_utf8_codepoint() refuses
    (overlong forms, surrogates, beyond U+10FFFF) except two things: it
    accepts noncharacters, and it refuses C0 80, modified UTF-8's U+0000.
    """
    try:
        text = "\0".join(part.decode("utf-8") for part in raw.split(b"\xc0\x80"))
    except UnicodeDecodeError:
        raise _ParseError(_INVALID_UTF8) from None
    # Every noncharacter's UTF-8 form holds one of these byte pairs: a quick
    # test that spares the regex a scan of every long string.
    if any(pair in raw for pair in _NONCHARACTER_UTF8_PAIRS) and _NONCHARACTER.search(text):
        raise _ParseError(_INVALID_UTF8)
    return text


def _parse_string(token: bytes) -> str:
    """parse_string(): the text of a quoted string token, escapes resolved."""
    end = len(token) - 1  # the closing quote
    parts: list[str] = []
    i = 1
    while i < end:
        backslash = token.find(b"\\", i, end)
        plain_end = end if backslash < 0 else backslash
        parts.append(_decode_unescaped(token[i:plain_end]))
        if backslash < 0:
            break
        kind = token[backslash + 1]
        if kind in _SIMPLE_ESCAPES:
            parts.append(_SIMPLE_ESCAPES[kind])
            i = backslash + 2
        elif kind == ord("u"):
            text, i = _parse_unicode_escape(token, backslash)
            parts.append(text)
        else:
            raise _ParseError(b"invalid escape sequence in string")  # parse_string()
    return "".join(parts)


def _parse_integer(token: bytes) -> int | float:
    """parse_literal() for JSON_INTEGER: int64, else uint64, else double."""
    if len(token.lstrip(b"-")) <= _UINT64_DIGITS:
        value = int(token)
        if _INT64_MIN <= value <= _UINT64_MAX:
            return value
    return float(token)


def _parse_scalar(kind: int, token: bytes) -> object:
    if kind == _Tok.STRING:
        return _parse_string(token)
    if kind == _Tok.INTEGER:
        return _parse_integer(token)
    if kind == _Tok.FLOAT:
        return float(token)
    if kind == _Tok.KEYWORD:
        if token in _KEYWORDS:
            return _KEYWORDS[token]
        raise _ParseError(b"invalid keyword '%s'" % token)  # parse_keyword()
    raise _ParseError(b"expecting value")  # parse_value()


class _Parser:
    """json_parser_parse(), fed one token at a time.

    The first error sticks (parse_error() keeps the first); later tokens of
    the same message are ignored, as QEMU stops reading its token queue.
    """

    def __init__(self) -> None:
        self._stack: list[_Frame] = []
        self._done = False
        self._result: object = None
        self._error: bytes | None = None

    def push(self, kind: int, token: bytes) -> None:
        if self._error is not None:
            return
        try:
            self._token(kind, token)
        except _ParseError as e:
            self._error = e.message

    def started(self) -> bool:
        """Whether a token of the current message has been taken."""
        return bool(self._stack) or self._done or self._error is not None

    def result(self) -> object:
        """The message's value, or its JSONParseError."""
        if self._error is None and not self._done:
            self._error = b"premature EOI"
        if self._error is not None:
            return JSONParseError("JSON parse error, " + _c_string(self._error))
        return self._result

    def _token(self, kind: int, token: bytes) -> None:
        assert not self._done, "the streamer ends the message with its value"
        expect = self._stack[-1].expect if self._stack else _Expect.VALUE
        if kind == _CLOSES_EMPTY.get(expect):
            self._close()
        elif expect in (_Expect.LIST_NEXT, _Expect.DICT_NEXT):
            self._separator(expect, kind)
        elif expect is _Expect.DICT_COLON:
            if kind != _Tok.COLON:
                raise _ParseError(b"missing : in object pair")  # parse_pair()
            self._stack[-1].expect = _Expect.DICT_VALUE
        elif kind == _Tok.LCURLY:
            self._stack.append(_Frame({}, _Expect.DICT_FIRST))
        elif kind == _Tok.LSQUARE:
            self._stack.append(_Frame([], _Expect.LIST_FIRST))
        else:
            self._complete(_parse_scalar(kind, token))

    def _separator(self, expect: _Expect, kind: int) -> None:
        if expect is _Expect.LIST_NEXT:
            closer, again, message = _Tok.RSQUARE, _Expect.VALUE, b"expected separator in list"
        else:
            closer, again, message = _Tok.RCURLY, _Expect.DICT_KEY, b"expected separator in dict"
        if kind == closer:
            self._close()
        elif kind == _Tok.COMMA:
            self._stack[-1].expect = again
        else:
            raise _ParseError(message)  # parse_array(), parse_object()

    def _close(self) -> None:
        self._complete(self._stack.pop().container)

    def _complete(self, value: object) -> None:
        """A value is finished: it goes to whatever frame is waiting for one."""
        if not self._stack:
            self._done, self._result = True, value
            return
        frame = self._stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
            frame.expect = _Expect.LIST_NEXT
        elif frame.expect is _Expect.DICT_VALUE:
            if frame.key in frame.container:
                raise _ParseError(b"duplicate key")  # parse_pair()
            frame.container[frame.key] = value
            frame.expect = _Expect.DICT_NEXT
        elif isinstance(value, str):
            frame.key = value
            frame.expect = _Expect.DICT_COLON
        else:
            raise _ParseError(b"key is not a string in object")  # parse_pair()


# --- Streamer (qobject/json-streamer.c) -------------------------------------

# json-streamer.c json_message_process_token()
_TOKEN_SIZE_EXCEEDED: Final = "JSON token size limit exceeded"
_TOKEN_COUNT_EXCEEDED: Final = "JSON token count limit exceeded"
_NESTING_EXCEEDED: Final = "JSON nesting depth limit exceeded"

#: What _process_token() returns while a message is still open.
_INCOMPLETE: Final = object()


class JSONStreamer:
    """JSONMessageParser: a byte stream in, whole messages (or errors) out.

    ``feed()`` takes any slice of the stream (several messages, or a message
    cut anywhere, even inside a multi-byte character) and returns what
    became complete: each message as its value, each failed one as a
    :class:`JSONParseError`.  The keyword limits default to QEMU's and exist
    so that tests can reach them cheaply.

    Well-formed objects are read by Python's json module when nothing can
    tell the two readers apart (see :func:`_fast_messages`); everything
    else, and whatever follows it in the same chunk, goes through the exact
    reader.  ``fast=False`` keeps to the exact reader (for the tests that
    compare the two).
    """

    def __init__(
        self,
        *,
        max_token_size: int = MAX_TOKEN_SIZE,
        max_token_count: int = MAX_TOKEN_COUNT,
        max_nesting: int = MAX_NESTING,
        fast: bool = True,
    ) -> None:
        self._lexer = _Lexer(max_token_size)
        self._max_token_size = max_token_size
        self._max_token_count = max_token_count
        self._max_nesting = max_nesting
        self._parser = _Parser()
        self._brace_count = 0
        self._bracket_count = 0
        self._token_count = 0
        self._token_size = 0
        #: A message this many bytes long cannot reach a size or count limit.
        self._fast_size = min(max_token_size, max_token_count) - 1
        self._fast = fast

    def feed(self, data: bytes) -> list[object | JSONParseError]:
        messages: list[object | JSONParseError] = []
        done = 0
        if self._fast:
            done = self._sync(data, messages)
            if done < len(data):
                rest = data[done:] if done else data
                done += _fast_messages(rest, self._fast_size, self._max_nesting, messages)
        if done < len(data):
            self._feed_exact(data[done:] if done else data, messages)
        return messages

    def _feed_exact(self, data: bytes, messages: list[object | JSONParseError]) -> None:
        for kind, token in self._lexer.feed(data):
            message = self._process_token(kind, token)
            if message is not _INCOMPLETE:
                messages.append(message)

    def _at_message_start(self) -> bool:
        """Whether the exact reader holds nothing: the next byte starts afresh."""
        return self._lexer.idle() and self._token_count == 0 and not self._parser.started()

    def _sync(self, data: bytes, messages: list[object | JSONParseError]) -> int:
        """Let the exact reader finish the message it is in: bytes consumed.

        It is fed up to each ``}`` or ``]`` in turn until it stands at a
        message start; after _SYNC_TRIES closers, the rest of ``data`` is
        left to it.
        """
        done = 0
        for _ in range(_SYNC_TRIES):
            if self._at_message_start():
                return done
            end = _next_closer_end(data, done)
            self._feed_exact(data[done:end], messages)
            done = end
            if done == len(data):
                return done
        self._feed_exact(data[done:], messages)
        return len(data)

    def _process_token(self, kind: int, token: bytes) -> object:
        """json_message_process_token(): a message, or _INCOMPLETE."""
        if kind == _Tok.LCURLY:
            self._brace_count += 1
        elif kind == _Tok.RCURLY:
            self._brace_count -= 1
        elif kind == _Tok.LSQUARE:
            self._bracket_count += 1
        elif kind == _Tok.RSQUARE:
            self._bracket_count -= 1
        elif kind == _Tok.ERROR:
            # json-streamer.c json_message_process_token(): the lexer's error
            # token is what it had read of the bad token, bad byte included.
            return self._emit(JSONParseError(f"JSON parse error, stray '{_c_string(token)}'"))

        # Checked before the token is kept, so an OVERSIZED token always
        # fails the first test.
        if self._token_size + len(token) + 1 > self._max_token_size:
            return self._emit(JSONParseError(_TOKEN_SIZE_EXCEEDED))
        if self._token_count + 1 > self._max_token_count:
            return self._emit(JSONParseError(_TOKEN_COUNT_EXCEEDED))
        if self._brace_count + self._bracket_count > self._max_nesting:
            return self._emit(JSONParseError(_NESTING_EXCEEDED))

        self._token_size += len(token)
        self._token_count += 1
        self._parser.push(kind, token)
        if (self._brace_count > 0 or self._bracket_count > 0) and (
            self._brace_count >= 0 and self._bracket_count >= 0
        ):
            return _INCOMPLETE
        return self._emit(self._parser.result())

    def _emit(self, message: object) -> object:
        """Hand out a message and start the next one from scratch."""
        self._parser = _Parser()
        self._brace_count = self._bracket_count = 0
        self._token_count = self._token_size = 0
        return message


# --- Fast path: Python's json module where it agrees -----------------------

#: Closers tried before the rest of a chunk is left to the exact reader.
_SYNC_TRIES: Final = 16
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _next_closer_end(data: bytes, start: int) -> int:
    """Just past the first ``}`` or ``]`` from ``start`` on, else the end."""
    found = [i for i in (data.find(b"}", start), data.find(b"]", start)) if i >= 0]
    return min(found) + 1 if found else len(data)


def _suspect(text: str) -> bool:
    """Whether json could read ``text`` otherwise than QEMU: a ``\\u``
    escape (json takes lone surrogates and noncharacters) or a
    noncharacter written as UTF-8 (QEMU refuses both)."""
    return "\\u" in text or (not text.isascii() and _NONCHARACTER.search(text) is not None)


class _NotFast(Exception):
    """json read something QEMU's reader would read differently."""


def _pairs_to_dict(pairs: list[tuple[str, object]]) -> dict[str, object]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _NotFast  # duplicate key: QEMU refuses the message
    return value


def _json_float(token: str) -> float:
    if token.lstrip("-")[:2] in ("0e", "0E"):
        raise _NotFast  # QEMU's lexer ends the number at the zero
    return float(token)


def _json_integer(token: str) -> int | float:
    return _parse_integer(token.encode("ascii"))


def _json_constant(token: str) -> object:
    raise _NotFast  # NaN, Infinity, -Infinity: not JSON to QEMU


_DECODER: Final = _json.JSONDecoder(
    object_pairs_hook=_pairs_to_dict,
    parse_float=_json_float,
    parse_int=_json_integer,
    parse_constant=_json_constant,
)


def _openers(text: str, start: int, end: int) -> int:
    """``{`` and ``[`` in ``text[start:end]``, in strings too: at least the
    message's deepest nesting."""
    return text.count("{", start, end) + text.count("[", start, end)


def _fast_messages(
    data: bytes, max_size: int, max_nesting: int, messages: list[object | JSONParseError]
) -> int:
    """Read the leading whole objects of ``data`` with json: bytes consumed.

    The exact reader stands at a message start.  ``max_size`` bytes and
    ``max_nesting`` openers are the most a message may have here, so that
    no limit of the exact reader is in reach.  json reads an object only
    if QEMU's reader would read it to the same value: the differences (see
    _NotFast) are caught, any text json cannot read stops the fast path,
    and a message that could reach a limit is left to the exact reader.
    Reading stops after a message's ``}``, where QEMU's reader is idle too.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        # A character cut by the chunk's end, or bytes only QEMU takes.
        text = data[: e.start].decode("utf-8")
    suspect = _suspect(text)
    ascii_only = text.isascii()
    pos = done = 0
    while True:
        pos = _JSON_SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if not text.startswith("{", pos):
            break
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except (ValueError, _NotFast, RecursionError):
            break
        size = end - pos if ascii_only else len(text[pos:end].encode("utf-8"))
        if size > max_size:
            break
        # A message has fewer openers than bytes: most need no count.
        if size > max_nesting and _openers(text, pos, end) > max_nesting:
            break
        if suspect and _suspect(text[pos:end]):
            break
        messages.append(value)
        pos = done = end
    # Whitespace after the last message is the exact reader's to skip.
    return done if ascii_only else len(text[:done].encode("utf-8"))


# --- Writer (qobject/json-writer.c, qobject/qdict.c) ------------------------


#: Characters quoted_str() writes as escapes: the quote, the backslash,
#: controls, DEL and everything beyond ASCII.
#: (Written as the complement of what stays: a class up to U+10FFFF takes
#: the regex compiler milliseconds at start-up.)
_NEEDS_ESCAPE = re.compile("[^ !#-[\\]-~]")
_SHORT_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
#: What quoted_str() escapes, a short escape one at a time, the rest (other
#: controls, DEL and non-ASCII, all written as ``\\uXXXX``) as whole runs.
_ESCAPED_RUN = re.compile('["\\\\\b\f\n\r\t]|[^\b\t\n\f\r -~]+')
#: Characters that are no valid code point: quoted_str() writes U+FFFD.
_NOT_CODEPOINT = re.compile("[\ud800-\udfff" + _NONCHARACTER.pattern[1:])
#: Characters escaped per slice of a long run, so that no temporary holds
#: more than a slice's escapes (issue 11: a 60 MB string of non-ASCII).
_ESCAPE_SLICE: Final = 1 << 16


def _escape(match: re.Match[str]) -> str:
    """One escaped character, quoted_str()'s way."""
    ch = match.group()
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    cp = ord(ch)
    if not _is_valid_codepoint(cp):
        cp = 0xFFFD  # what quoted_str() writes for an undecodable sequence
    if cp > 0xFFFF:
        cp -= 0x10000
        return f"\\u{0xD800 + (cp >> 10):04X}\\u{0xDC00 + (cp & 0x3FF):04X}"
    return f"\\u{cp:04X}"


def _is_latin1(text: str) -> bool:
    """Whether every character is below U+0100 (then each is a valid code
    point); a C-speed test, much quicker than a regex search."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _escape_run(run: str) -> str:
    """``\\uXXXX`` for every character of ``run`` (no short escapes in it).

    UTF-16 code units are exactly what quoted_str() writes, surrogate
    pairs included, so C-speed hex formatting does the work; a run holding
    an invalid code point takes the per-character path.
    """
    if not _is_latin1(run) and _NOT_CODEPOINT.search(run):
        return _NEEDS_ESCAPE.sub(_escape, run)
    return "\\u" + run.encode("utf-16-be").hex("|", 2).upper().replace("|", "\\u")


#: ASCII that json's writer escapes otherwise than quoted_str(): it writes
#: controls other than the short escapes in lower-case hex, DEL as it is.
_JSON_ESCAPES_DIFFER = re.compile("[\x00-\x07\x0b\x0e-\x1f\x7f]")
_json_quote_ascii: Final = _json.encoder.encode_basestring_ascii


def _quote_into(text: str, out: list[str]) -> None:
    """quoted_str(): append ``text`` quoted and escaped to ``out``."""
    if text.isascii():
        if text.isprintable() and '"' not in text and "\\" not in text:
            out.append('"' + text + '"')
            return
        if not _JSON_ESCAPES_DIFFER.search(text):
            out.append(_json_quote_ascii(text))  # C speed, for text full of line ends
            return
    out.append('"')
    done = 0
    for match in _ESCAPED_RUN.finditer(text):
        start, end = match.span()
        if start > done:
            out.append(text[done:start])
        if end - start == 1 and text[start] in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[text[start]])
        else:
            for piece in range(start, end, _ESCAPE_SLICE):
                out.append(_escape_run(text[piece : min(end, piece + _ESCAPE_SLICE)]))
        done = end
    out.append(text[done:] + '"')


def _quote(text: str) -> str:
    out: list[str] = []
    _quote_into(text, out)
    return "".join(out)


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _UINT64_MAX:
            raise ValueError(f"{value} fits neither int64 nor uint64 (a QNum could not hold it)")
        return str(value)
    if isinstance(value, float):
        return f"{value:.17g}"  # qnum_to_string(): printf("%.17g")
    if isinstance(value, str):
        return _quote(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


#: json-writer.c pretty_newline(): four spaces a level.
_PRETTY_INDENT: Final = "    "
#: Containers the recursive writer enters before it leaves the value to
#: the stack-based one (the parser accepts MAX_NESTING, deeper than
#: Python's recursion limit).
_FAST_NESTING: Final = 64


def _members(value: dict[str, object]) -> Iterator[tuple[str, object]]:
    for key in qdict_order(value):
        yield _quote(key) + ": ", value[key]


def _elements(value: list[object] | tuple[object, ...]) -> Iterator[tuple[str, object]]:
    for element in value:
        yield "", element


@dataclass
class _OpenContainer:
    """A dict or list being written: what is left of it, and how it ends."""

    items: Iterator[tuple[str, object]]
    closer: str
    #: Whether an item has been written (the next one needs a separator).
    started: bool = False


def encode(value: object, pretty: bool = False) -> bytes:
    """qobject_to_json(), or qobject_to_json_pretty() with ``pretty``.

    QEMU's text for ``value``, without a line end; the pretty form breaks
    lines with ``\n`` and indents four spaces a level (an empty container
    too is opened and closed on two lines).  ``value`` is built from dict
    (str keys; insertion order stands for QEMU's), list or tuple, str, int
    (int64 or uint64), float, bool and None.

    Raises:
        TypeError: a value of another type.
        ValueError: an int beyond uint64 or below int64.
    """
    return "".join(_encode_parts(value, pretty)).encode("ascii")


def encode_line(value: object, pretty: bool = False) -> bytes:
    """:func:`encode` plus the CRLF line end of a QMP message.

    monitor_puts() turns every ``\n`` into ``\r\n``; JSON strings never
    hold a raw newline, so only the pretty form's line breaks change.
    """
    parts = _encode_parts(value, pretty)
    parts.append("\n" if pretty else "\r\n")
    text = "".join(parts)
    del parts  # a long reply is in memory once as text, then once as bytes
    if pretty:
        text = text.replace("\n", "\r\n")
    return text.encode("ascii")


def _encode_parts(value: object, pretty: bool) -> list[str]:
    """The text of ``value`` in pieces: the recursive writer for compact
    output, the exact stack-based one for pretty output and deep nesting."""
    out: list[str] = []
    if not pretty:
        try:
            _write(value, out, _FAST_NESTING)
        except _TooDeep:
            out.clear()
        else:
            return out
    _write_stack(value, pretty, out)
    return out


class _TooDeep(Exception):
    """The recursive writer met more nesting than it takes on."""


def _write(value: object, out: list[str], depth: int) -> None:
    """Append the compact text of ``value`` to ``out``, recursively."""
    if isinstance(value, str):
        _quote_into(value, out)
    elif isinstance(value, dict):
        _write_dict(value, out, depth)
    elif isinstance(value, (list, tuple)):
        _write_list(value, out, depth)
    else:
        out.append(_scalar(value))


def _write_dict(value: dict[str, object], out: list[str], depth: int) -> None:
    if not value:
        out.append("{}")
        return
    if not depth:
        raise _TooDeep
    for key, prefix in _dict_layout(tuple(value)):
        out.append(prefix)
        _write(value[key], out, depth - 1)
    out.append("}")


def _write_list(value: list[object] | tuple[object, ...], out: list[str], depth: int) -> None:
    if not value:
        out.append("[]")
        return
    if not depth:
        raise _TooDeep
    opener = "["
    for element in value:
        out.append(opener)
        _write(element, out, depth - 1)
        opener = ", "
    out.append("]")


#: Dict layouts remembered, and the largest key sequence remembered (in
#: keys, in characters): keys come from clients too (an ``id`` object), so
#: each entry is small and the cache holds a few MB at worst.
_LAYOUT_CACHE: Final = 1024
_LAYOUT_KEYS: Final = 16
_LAYOUT_KEY_CHARS: Final = 256

#: What a dict writes before each value: the key in QDict order, and the
#: text ahead of its value (``{"key": `` first, ``, "key": `` after).
_Layout = tuple[tuple[str, str], ...]


_layouts: dict[tuple[str, ...], _Layout] = {}


def _dict_layout(keys: tuple[str, ...]) -> _Layout:
    """The layout of a dict with ``keys``, computed once per key sequence.

    The cache starts afresh when full: cheaper than LRU bookkeeping on
    every dict written, and the shapes in use come back at once.
    """
    layout = _layouts.get(keys)
    if layout is None:
        layout = _compute_layout(keys)
        if len(keys) <= _LAYOUT_KEYS and sum(map(len, keys)) <= _LAYOUT_KEY_CHARS:
            if len(_layouts) >= _LAYOUT_CACHE:
                _layouts.clear()
            _layouts[keys] = layout
    return layout


def _compute_layout(keys: tuple[str, ...]) -> _Layout:
    layout = []
    opener = "{"
    for key in qdict_order(keys):
        layout.append((key, opener + _quote(key) + ": "))
        opener = ", "
    return tuple(layout)


def _write_stack(value: object, pretty: bool, out: list[str]) -> None:
    """Append the text of ``value`` to ``out``, nesting walked with an
    explicit stack, so any depth the parser accepts can be written back."""
    open_containers: list[_OpenContainer] = []

    def newline(level: int) -> str:
        return "\n" + _PRETTY_INDENT * level if pretty else ""

    def begin(item: object) -> None:
        if isinstance(item, dict | list | tuple):
            opener, closer = ("{", "}") if isinstance(item, dict) else ("[", "]")
            if not item and not pretty:
                out.append(opener + closer)
                return
            out.append(opener)
            items = _members(item) if isinstance(item, dict) else _elements(item)
            open_containers.append(_OpenContainer(items, closer))
        else:
            out.append(_scalar(item))

    begin(value)
    while open_containers:
        level, container = len(open_containers), open_containers[-1]
        step = next(container.items, None)
        if step is None:
            open_containers.pop()
            out.append(newline(level - 1) + container.closer)
            continue
        separator = ("," if pretty else ", ") if container.started else ""
        container.started = True
        out.append(separator + newline(level) + step[0])
        begin(step[1])
