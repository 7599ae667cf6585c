"""Which scenario modules run against which oracle, and the known differences.

Every module runs against QEMU 7.2.  A module joins another oracle once the
matching profile makes it hold there (measure with match_rate.py first);
what still differs is listed by scenario, with the reason, and is expected
to fail until fixed (strict: a fixed difference must leave the list).
"""

from __future__ import annotations

__all__ = ["ONLY", "CHECKED", "KNOWN_DIFFERENCES", "holds"]

#: Modules written for one oracle only.
ONLY = {"scenarios_v10_0": "10.0"}

#: Modules checked against an oracle other than 7.2.
CHECKED: dict[str, tuple[str, ...]] = {
    "10.0": (
        "scenarios_backends",
        "scenarios_cli",
        "scenarios_cpu_hotplug",
        "scenarios_devices",
        "scenarios_launch",
        "scenarios_preconfig",
        "scenarios_probe",
        "scenarios_protocol",
        "scenarios_qapi",
        "scenarios_queries",
        "scenarios_robustness",
        "scenarios_v10_0",
        "scenarios_virtio_mem",
    ),
}  # fmt: skip

#: Scenario -> why it still differs, per oracle.
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {
    "10.0": {
        "cpu-hotplug-module-id-qom-get": "a CPU's QOM properties are 7.2's (no module-id)",
    },
}


def holds(module: str, oracle: str) -> bool:
    """Whether the scenarios of ``module`` run against ``oracle``."""
    if module in ONLY:
        return ONLY[module] == oracle
    return oracle == "7.2" or module in CHECKED.get(oracle, ())
