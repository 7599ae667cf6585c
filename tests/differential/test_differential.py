"""Every scenario, run against qmpnuma and QEMU 7.2: the transcripts must match.

Scenario modules are ``tests/differential/scenarios_*.py``, each with a
``SCENARIOS`` list.  Without ``qemu-system-x86_64`` the comparison is skipped
(CI installs QEMU, so it runs there).
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from tests.differential import harness
from tests.differential.harness import Scenario


def _all_scenarios() -> list[Scenario]:
    found: list[Scenario] = []
    package = importlib.import_module("tests.differential")
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("scenarios_"):
            module = importlib.import_module(f"tests.differential.{info.name}")
            found.extend(module.SCENARIOS)
    return found


SCENARIOS = _all_scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_same_as_qemu(scenario: Scenario) -> None:
    if harness.QEMU_BINARY is None:
        pytest.skip("qemu-system-x86_64 is not installed")
    ours = harness.normalise(harness.run_qmpnuma(scenario), scenario)
    theirs = harness.normalise(harness.run_qemu(scenario), scenario)
    assert ours == theirs


def test_scenario_names_are_unique() -> None:
    names = [s.name for s in SCENARIOS]
    assert len(names) == len(set(names))
