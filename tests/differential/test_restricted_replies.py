"""Replies that qmpnuma restricts to what it models, against the oracle's.

``query-machines`` lists the modelled machine types only (so
scenarios_probe.py cannot compare it whole): every entry must be the
oracle's entry for that type, in the oracle's order; with 10.0's
``compat-props`` too, which 7.2 refuses as an unexpected parameter.
"""

from __future__ import annotations

import pytest

from tests.differential import harness
from tests.differential.harness import Scenario, qmp

ARGUMENTS = ({}, {"compat-props": False}, {"compat-props": True})


def _name(entry: list[list[object]]) -> object:
    """The ``name`` of a normalised entry (its members as [key, value] pairs)."""
    return next(value for key, value in entry if key == "name")


@pytest.mark.parametrize("arguments", ARGUMENTS, ids=str)
def test_query_machines_entries_are_the_oracles(arguments: dict[str, object]) -> None:
    if harness.oracle_command() is None:
        pytest.skip(f"the QEMU {harness.ORACLE} oracle is not installed")
    scenario = Scenario("query-machines", ("-S",), (qmp("query-machines", arguments),))
    ours = harness.normalise(harness.run_qmpnuma(scenario), scenario)["exchanges"]
    theirs = harness.normalise(harness.run_qemu(scenario), scenario)["exchanges"]
    assert isinstance(ours, list) and isinstance(theirs, list)
    [[(our_kind, our_entries)]], [[(their_kind, their_entries)]] = ours[1], theirs[1]
    if their_kind == "error":
        assert (our_kind, our_entries) == (their_kind, their_entries)
        return
    assert our_kind == "return"
    modelled = {_name(entry) for entry in our_entries}
    assert our_entries == [entry for entry in their_entries if _name(entry) in modelled]
