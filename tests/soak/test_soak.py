"""A bounded soak in every CI run: 1000 monitors for about a minute.

``python -m tests.soak.soak`` runs longer ones; the README quotes the last.
Bounds are regression bounds, far above what the daemon does on an idle
machine, so that a loaded CI host does not make them flaky.
"""

from __future__ import annotations

import trio

from tests.soak.soak import CHURNERS, DEAF, soak

#: Monitors and seconds of the CI run.
MONITORS = 1000
SECONDS = 45.0
#: Variation allowed once warmed up: churning and deaf clients come and go.
FD_SPREAD = 2 * 16
RSS_GROWTH_MIB = 16.0
#: The probe's round trip: 99th percentile, seconds.
ROUND_TRIP_P99 = 3.0


def test_soak() -> None:
    report = trio.run(soak, SECONDS, MONITORS)
    summary = report.summary()
    print(summary)
    low, high = summary["fds_after_warmup"]  # type: ignore[misc]
    assert high - low <= FD_SPREAD
    first, last = summary["rss_mib_first_last"]  # type: ignore[misc]
    assert last - first <= RSS_GROWTH_MIB
    assert summary["round_trip_p99_ms"] < ROUND_TRIP_P99 * 1000  # type: ignore[operator]
    assert summary["churn_connections"] and summary["pipelined_commands"]
    # The events reached every idle monitor (a few were still on their way
    # when the run ended).
    idle = MONITORS - 3 - CHURNERS - DEAF
    expected = idle * summary["events_generated"]  # type: ignore[operator]
    assert summary["events_received"] >= 0.9 * expected  # type: ignore[operator]
