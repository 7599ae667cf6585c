"""Which scenario modules run against which oracle, and the known differences.

Every module runs against every oracle (QEMU 7.2 and 10.0), with the
matching profile, except those written for one release only.  What still
differs is listed by scenario, with the reason, and is expected to fail
until fixed (strict: a fixed difference must leave the list).
"""

from __future__ import annotations

__all__ = ["ONLY", "KNOWN_DIFFERENCES", "SCHEMA_PREFIX", "holds"]

#: How KNOWN_DIFFERENCES names an entry of query-qmp-schema.
SCHEMA_PREFIX = "schema:"

#: Modules written for one oracle only.
ONLY = {"scenarios_v10_0": "10.0"}

#: Scenario, or ``schema:`` and a command or event of test_schema.py, ->
#: why it still differs, per oracle.  Nothing is known to differ today.
KNOWN_DIFFERENCES: dict[str, dict[str, str]] = {"10.0": {}}


def holds(module: str, oracle: str) -> bool:
    """Whether the scenarios of ``module`` run against ``oracle``."""
    return ONLY.get(module, oracle) == oracle
