"""Every scenario, run against qmpnuma and the oracle: the transcripts must match.

Scenario modules are ``tests/differential/scenarios_*.py``, each with a
``SCENARIOS`` list; oracles.py says which modules run against which oracle
and which scenarios still differ there.  The oracle of a run is
harness.ORACLE (``QMPNUMA_ORACLE=10.0`` for QEMU 10.0); without it installed
the comparison is skipped (CI installs QEMU 7.2, so it runs there).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

from tests.differential import harness, oracles
from tests.differential.harness import Scenario


def _all_scenario_modules() -> list[tuple[str, ModuleType]]:
    """Every ``scenarios_*`` module, by name."""
    package = importlib.import_module("tests.differential")
    return [
        (info.name, importlib.import_module(f"tests.differential.{info.name}"))
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith("scenarios_")
    ]


def _all_scenarios(oracle: str) -> list[Scenario]:
    """The scenarios of the modules that run against ``oracle``."""
    return [
        scenario
        for name, module in _all_scenario_modules()
        if oracles.holds(name, oracle)
        for scenario in module.SCENARIOS
    ]


SCENARIOS = _all_scenarios(harness.ORACLE)
_KNOWN = oracles.KNOWN_DIFFERENCES.get(harness.ORACLE, {})


def _param(scenario: Scenario) -> object:
    reason = _KNOWN.get(scenario.name)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(scenario, id=scenario.name, marks=marks)


@pytest.mark.parametrize("scenario", [_param(s) for s in SCENARIOS])
def test_same_as_qemu(scenario: Scenario) -> None:
    if harness.oracle_command() is None:
        pytest.skip(f"the QEMU {harness.ORACLE} oracle is not installed")
    ours = harness.normalise(harness.run_qmpnuma(scenario), scenario)
    theirs = harness.normalise(harness.run_qemu(scenario), scenario)
    assert ours == theirs


def test_scenario_names_are_unique() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))


def test_known_differences_name_scenarios() -> None:
    names = {s.name for _, m in _all_scenario_modules() for s in m.SCENARIOS}
    for known in oracles.KNOWN_DIFFERENCES.values():
        assert {k for k in known if not k.startswith(oracles.SCHEMA_PREFIX)} <= names
