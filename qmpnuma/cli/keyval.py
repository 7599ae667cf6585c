"""KEY=VALUE,... parsing into nested dictionaries (util/keyval.c, QEMU 7.2).

``-machine`` and ``-smp`` use this syntax rather than QemuOpts: keys may be
dotted paths (``smp.cpus=4``), a repeated key replaces the earlier value,
only the first item may omit its key (the implied key takes everything up
to the first comma, with no ``,,`` escaping), and a later bare item is an
error instead of a flag.

Values stay strings; QEMU's keyval input visitor types them when the
machine's properties are set.
"""

from __future__ import annotations

import re

from qmpnuma.errors import GenericError

__all__ = ["KeyvalDict", "keyval_parse_into", "keyval_merge"]

#: A parsed option: strings, or nested dictionaries for dotted keys.
KeyvalDict = dict[str, "str | KeyvalDict"]

#: util/keyval.c keyval_parse_one: key_in_cur[128], with its NUL.
KEY_FRAGMENT_MAX = 127
#: qapi/qapi-util.c parse_qapi_name: a letter, then letters, digits, '-', '_'
#: (downstream ``__RFQDN_`` prefixes allowed).
_QAPI_NAME = re.compile(r"(?:__[A-Za-z0-9.-]*_)?[A-Za-z][A-Za-z0-9_-]*")
_INDEX = re.compile(r"\d+")
_HELP = ("help", "?")


def _fragment_len(key: str, start: int, first: bool) -> int:
    """Length of the key fragment at ``start``: an index (not first) or a QAPI name."""
    if not first:
        m = _INDEX.match(key, start)
        if m:
            return m.end() - start
    m = _QAPI_NAME.match(key, start)
    return m.end() - start if m else 0


def _put(cur: KeyvalDict, fragment: str, value: str | None, key_so_far: str) -> KeyvalDict | None:
    """keyval_parse_put: store a value, or descend into a sub-dictionary."""
    old = cur.get(fragment)
    if old is not None and isinstance(old, str) != (value is not None):
        # util/keyval.c keyval_parse_put
        raise GenericError(f"Parameters '{key_so_far}.*' used inconsistently")
    if value is not None:
        cur[fragment] = value
        return None
    if isinstance(old, dict):
        return old
    sub: KeyvalDict = {}
    cur[fragment] = sub
    return sub


def _parse_one(
    into: KeyvalDict, params: str, pos: int, implied_key: str | None
) -> tuple[int, bool]:
    """keyval_parse_one: one item from ``pos``; returns (next position, help seen)."""
    end = pos
    while end < len(params) and params[end] not in "=,":
        end += 1
    length = end - pos
    implied_value: str | None = None
    key = params[pos:end]
    if length and not params.startswith("=", end):
        if key in _HELP:
            return (end + 1 if end < len(params) else end), True
        if implied_key is not None:
            implied_value, key = key, implied_key
    cur = into
    start = 0
    while True:
        n = _fragment_len(key, start, start == 0)
        if not n or (start + n < len(key) and key[start + n] != "."):
            # util/keyval.c keyval_parse_one
            raise GenericError(f"Invalid parameter '{key}'")
        if n > KEY_FRAGMENT_MAX:
            what = " fragment" if start or n != len(key) else ""
            # util/keyval.c keyval_parse_one
            raise GenericError(f"Parameter{what} '{key[start : start + n]}' is too long")
        fragment = key[start : start + n]
        start += n
        if start >= len(key) or key[start] != ".":
            break
        sub = _put(cur, fragment, None, key[:start])
        assert sub is not None
        cur = sub
        start += 1
    if implied_value is not None:
        value, nxt = implied_value, end + 1 if end < len(params) else end
    else:
        if not params.startswith("=", end):
            # util/keyval.c keyval_parse_one
            raise GenericError(f"Expected '=' after parameter '{key}'")
        value, nxt = _value(params, end + 1)
    _put(cur, fragment, value, key)
    return nxt, False


def _value(params: str, pos: int) -> tuple[str, int]:
    """A value up to a single comma (``,,`` is a comma); returns it and the next item."""
    out: list[str] = []
    while pos < len(params):
        if params[pos] == ",":
            pos += 1
            if not params.startswith(",", pos):
                break
        out.append(params[pos])
        pos += 1
    return "".join(out), pos


def keyval_parse_into(into: KeyvalDict, params: str, implied_key: str | None) -> bool:
    """keyval_parse_into: parse ``params`` into ``into``; True if help was asked for.

    Raises:
        GenericError: QEMU's keyval text.
    """
    pos = 0
    help_seen = False
    while pos < len(params):
        pos, h = _parse_one(into, params, pos, implied_key)
        help_seen = help_seen or h
        implied_key = None
    return help_seen


def keyval_merge(dest: KeyvalDict, merged: KeyvalDict, prefix: str = "") -> None:
    """keyval_merge: sub-dictionaries merge, strings replace.

    Raises:
        GenericError: ``Parameter 'X' used inconsistently``.
    """
    for key, value in merged.items():
        old = dest.get(key)
        if old is not None and isinstance(old, str) != isinstance(value, str):
            # util/keyval.c keyval_do_merge
            raise GenericError(f"Parameter '{prefix}{key}' used inconsistently")
        if isinstance(old, dict) and isinstance(value, dict):
            keyval_merge(old, value, f"{prefix}{key}.")
        else:
            dest[key] = value
