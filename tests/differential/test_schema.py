"""query-qmp-schema against the oracle's, for every command and event qmpnuma declares.

qmpnuma's schema is the oracle release's (schema/ for 7.2, schema/10.0/ for
10.0, through the profile) cut down to what it emulates: each command or
event it declares must exist in the oracle, and what a client finds walking
from it (arguments, return value, event data, features; member and enum
value order included) must be the oracle's.  Masked type names differ, so
the walk compares structure (tests/introspection.py).  A few entries are
deliberately narrower than QEMU's: for them only what qmpnuma keeps is
compared.  Without the oracle installed the comparison is skipped.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from qmpnuma.profile import PROFILES
from qmpnuma.qapi.introspect import schema_info
from qmpnuma.qapi.schema import load_profile_schema
from tests.differential import harness, oracles
from tests.differential.harness import Scenario, qmp
from tests.introspection import index, narrowed, subtree

#: Entries whose types qmpnuma keeps only in part: why, and whether object
#: members may be missing too (otherwise only union variants and enum values).
NARROWER = {
    "object-add": ("only the object types qmpnuma creates", False),
    "query-block": ("no block nodes: BlockDeviceInfo without image or dirty bitmaps", True),
    "query-named-block-nodes": ("no block nodes: BlockDeviceInfo without image", True),
}
#: qmpnuma's own commands (schema/qmpnuma.json), which QEMU does not have.
OWN_PREFIX = "x-qmpnuma-"


def _ours() -> list[dict[str, Any]]:
    return schema_info(load_profile_schema(PROFILES[harness.ORACLE].schema_dir))


def _declared() -> list[str]:
    """Our commands and events, in schema order."""
    return [
        str(entry["name"])
        for entry in _ours()
        if entry["meta-type"] in ("command", "event")
        and not str(entry["name"]).startswith(OWN_PREFIX)
    ]


@functools.cache
def _theirs() -> dict[str, dict[str, Any]]:
    """The oracle's query-qmp-schema, by name (asked once per run)."""
    transcript = harness.run_qemu(Scenario("schema", ("-S",), (qmp("query-qmp-schema"),)))
    reply = transcript.exchanges[1][0]
    assert isinstance(reply, dict) and "return" in reply, reply
    return index(reply["return"])


@pytest.fixture
def theirs() -> dict[str, dict[str, Any]]:
    if harness.oracle_command() is None:
        pytest.skip(f"the QEMU {harness.ORACLE} oracle is not installed")
    return _theirs()


def _param(name: str) -> object:
    reason = oracles.KNOWN_DIFFERENCES.get(harness.ORACLE, {}).get(oracles.SCHEMA_PREFIX + name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(name, id=name, marks=marks)


@pytest.mark.parametrize("name", [_param(name) for name in _declared()])
def test_entry_is_the_oracles(name: str, theirs: dict[str, dict[str, Any]]) -> None:
    assert name in theirs, f"QEMU {harness.ORACLE} has no {name}"
    ours = subtree(index(_ours()), name)
    expected = subtree(theirs, name)
    if name in NARROWER:
        expected = narrowed(expected, ours, members=NARROWER[name][1])
    assert ours == expected


def test_listed_entries_are_declared() -> None:
    assert set(NARROWER) <= set(_declared())
    for known in oracles.KNOWN_DIFFERENCES.values():
        entries = {k.removeprefix(oracles.SCHEMA_PREFIX) for k in known
                   if k.startswith(oracles.SCHEMA_PREFIX)}
        assert entries <= set(_declared())
