"""Tests for qmpnuma.hashorder: QDict and GHashTable orders seen on QEMU 7.2."""

from __future__ import annotations

import pytest

from qmpnuma import hashorder
from qmpnuma.hashorder import first_unexpected, ghash_first, qdict_order


@pytest.mark.parametrize(
    ("schema_order", "wire_order"),
    [
        (["major", "minor", "micro"], ["micro", "minor", "major"]),
        (["running", "singlestep", "status"], ["status", "singlestep", "running"]),
        (
            ["type", "vcpus-count", "props", "qom-path"],
            ["props", "vcpus-count", "qom-path", "type"],
        ),
        (["error", "id"], ["id", "error"]),
        (["return", "id"], ["return", "id"]),
        (["timestamp", "event", "data"], ["timestamp", "event", "data"]),
        (["execute", "exec-oob"], ["exec-oob", "execute"]),
        (["foo", "arguments"], ["arguments", "foo"]),
        (
            ["id", "size", "merge", "dump", "prealloc", "share", "reserve", "host-nodes", "policy"],
            ["share", "reserve", "prealloc", "host-nodes", "size", "merge", "dump", "policy", "id"],
        ),
        (
            ["cpu-index", "qom-path", "thread-id", "props", "target"],
            ["thread-id", "props", "qom-path", "cpu-index", "target"],
        ),
    ],
)
def test_qdict_order_matches_qemu_replies(schema_order: list[str], wire_order: list[str]) -> None:
    assert qdict_order(schema_order) == wire_order


# QMP arguments with several unexpected members, and what QEMU 7.2 reported.
@pytest.mark.parametrize(
    ("keys", "members", "reported"),
    [
        (["a", "b", "c"], [], "b"),
        (["c", "b", "a"], [], "b"),
        (["zeta", "alpha", "mid", "x", "foo", "bar", "baz", "q1", "q2", "q3"], [], "bar"),
        ([f"k{i}" for i in range(1, 21)], [], "k7"),
        (
            ["type", "src", "dst", "val", "zz", "aa", "mm", "nodeid"],
            ["type", "src", "dst", "val"],
            "aa",
        ),
    ],
)
def test_first_unexpected_qmp_member(keys: list[str], members: list[str], reported: str) -> None:
    assert first_unexpected(keys, members) == reported


# Command-line options (OptsVisitor: inserted in command-line order, id last).
@pytest.mark.parametrize(
    ("options", "taken", "reported"),
    [
        (["type", "memdev", "nodeid", "zz", "aa", "mm"], ["type", "nodeid", "memdev"], "zz"),
        (["type", "memdev", "nodeid", "mm", "aa", "zz"], ["type", "nodeid", "memdev"], "aa"),
        (["qom-type", "size", "zz", "aa", "mm", "qq", "id"], ["qom-type", "id", "size"], "aa"),
        (
            ["qom-type", "size", "host-nodes.0", "host-nodes.2", "id"],
            ["qom-type", "id", "size"],
            "host-nodes.2",
        ),
        (
            ["type", "memdev", "nodeid", "a1", "b2", "c3", "d4", "e5", "f6", "g7", "h8", "i9"],
            ["type", "nodeid", "memdev"],
            "c3",
        ),
    ],
)
def test_ghash_first_option(options: list[str], taken: list[str], reported: str) -> None:
    assert ghash_first(options, taken) == reported


def test_empty_table_has_no_first() -> None:
    assert ghash_first(["a"], ["a"]) is None
    assert first_unexpected([], []) is None


def _tdb_hash_bytewise(data: bytes) -> int:
    """qobject/qdict.c tdb_hash(), one byte at a time as the C loop runs."""
    value = (0x238F13AF * len(data)) & 0xFFFFFFFF
    for i, byte in enumerate(data):
        value = (value + (byte << (i * 5 % 24))) & 0xFFFFFFFF
    return (1103515243 * value + 12345) & 0xFFFFFFFF


@pytest.mark.parametrize("length", [0, 1, 23, 24, 25, 47, 48, 100, 4099])
@pytest.mark.parametrize("char", ["a", "\0", "é", "\u20ac", "\U0001f600", "\x7f"])
def test_tdb_hash_summed_by_residue_equals_the_bytewise_loop(length: int, char: str) -> None:
    key = "".join(chr(ord(char) + i % 3) for i in range(length))
    data = key.encode("utf-8", "surrogatepass").replace(b"\0", b"\xc0\x80")
    assert hashorder._tdb_hash(key) == _tdb_hash_bytewise(data)


def test_qdict_order_cache_holds_no_large_client_keys() -> None:
    # issue 11, item 4: 120 requests with large ``id`` objects kept +466 MB.
    hashorder._qdict_order_cached.cache_clear()
    for i in range(120):
        big = [f"{i}" + "k" * 100_000, "x"]
        assert sorted(qdict_order(big)) == sorted(big)
    assert hashorder._qdict_order_cached.cache_info().currsize == 0
    qdict_order(["return", "id"])
    assert hashorder._qdict_order_cached.cache_info().currsize == 1

