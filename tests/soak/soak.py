"""A soak run against the real daemon, over unix sockets only.

    python -m tests.soak.soak --seconds 600 --monitors 1000

starts ``qmpnuma -S`` with one QMP chardev per monitor and, for the given
time, keeps every monitor connected and reading events, while: a few
clients connect, query and disconnect in a loop (churn); a few connect and
never read (each is dropped once its event backlog passes the daemon's
limit, then replaced); one client pipelines batches of a thousand commands;
one generates events (stop/cont) that fan out to every monitor; and a
probe, in a process of its own (tests/soak/probe.py), measures the round
trip of ``query-status`` on its own monitor.  The
daemon's fd count and RSS are sampled from /proc.  It prints a JSON report;
tests/soak/test_soak.py runs a bounded one and checks it.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import trio

from tests.differential.harness import QMPNUMA_COMMAND

__all__ = ["SoakReport", "soak"]

#: Seconds between samples of the daemon's fds and RSS.
SAMPLE_EVERY = 1.0
#: Events per second the generator aims at (each goes to every monitor).
EVENT_RATE = 5
CHURNERS = 4
DEAF = 3
#: Commands per batch of the pipelining client.
BATCH = 1000


@dataclass
class SoakReport:
    seconds: float
    monitors: int
    round_trips: list[float] = field(default_factory=list)
    fds: list[int] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    #: The daemon's CPU seconds (user + system) at each sample.
    cpu_seconds: list[float] = field(default_factory=list)
    churn_connections: int = 0
    deaf_drops: int = 0
    pipelined_commands: int = 0
    events_generated: int = 0
    events_received: int = 0
    daemon_stderr: str = ""

    def summary(self) -> dict[str, object]:
        trips = sorted(self.round_trips)
        settled = len(self.fds) // 4
        return {
            "seconds": self.seconds,
            "monitors": self.monitors,
            "probe_round_trips": len(trips),
            "round_trip_median_ms": round(statistics.median(trips) * 1000, 2),
            "round_trip_p99_ms": round(trips[int(len(trips) * 0.99)] * 1000, 2),
            "round_trip_max_ms": round(trips[-1] * 1000, 2),
            "fds_after_warmup": [min(self.fds[settled:]), max(self.fds[settled:])],
            "rss_mib_after_warmup": [round(min(self.rss_kib[settled:]) / 1024, 1),
                                     round(max(self.rss_kib[settled:]) / 1024, 1)],
            "rss_mib_first_last": [round(self.rss_kib[settled] / 1024, 1),
                                   round(self.rss_kib[-1] / 1024, 1)],
            "daemon_cpu_share": round(
                (self.cpu_seconds[-1] - self.cpu_seconds[settled])
                / (SAMPLE_EVERY * (len(self.cpu_seconds) - 1 - settled)), 2),
            "churn_connections": self.churn_connections,
            "deaf_drops": self.deaf_drops,
            "pipelined_commands": self.pipelined_commands,
            "events_generated": self.events_generated,
            "events_received": self.events_received,
            "daemon_disconnect_lines": self.daemon_stderr.count("disconnecting it"),
        }


class _Monitor:
    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.buffer = b""

    @classmethod
    async def connect(cls, path: Path, negotiate: bool = True) -> _Monitor:
        monitor = cls(await trio.open_unix_socket(str(path)))
        await monitor.line()
        if negotiate:
            await monitor.stream.send_all(b'{"execute": "qmp_capabilities"}')
            await monitor.reply()
        return monitor

    async def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = await self.stream.receive_some(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    async def reply(self) -> dict[str, object]:
        while True:
            msg = json.loads(await self.line())
            if "event" not in msg:
                return msg  # type: ignore[no-any-return]


def _sample(pid: int, report: SoakReport) -> None:
    report.fds.append(len(list(Path(f"/proc/{pid}/fd").iterdir())))
    # /proc/PID/stat fields 14 and 15 (after the parenthesised name): utime, stime.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    report.cpu_seconds.append((int(fields[11]) + int(fields[12])) / ticks)
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            report.rss_kib.append(int(line.split()[1]))


async def soak(seconds: float, monitors: int) -> SoakReport:
    """Run the daemon under load for ``seconds``; see the module docstring."""
    report = SoakReport(seconds, monitors)
    with tempfile.TemporaryDirectory(prefix="qmpnuma-soak-") as tmp:
        paths = [Path(tmp) / f"m{i}.sock" for i in range(monitors)]
        argv = [*QMPNUMA_COMMAND, "-S"]
        for path in paths:
            argv += ["-qmp", f"unix:{path},server=on,wait=off"]
        log = Path(tmp) / "stderr"
        with log.open("wb") as stderr:
            async with trio.open_nursery() as nursery:
                proc = await nursery.start(
                    partial(trio.run_process, argv, stderr=stderr, check=False))
                while not paths[-1].exists():
                    await trio.sleep(0.05)
                await _load(report, proc.pid, paths, seconds)
                proc.terminate()
        report.daemon_stderr = log.read_text()
    return report


async def _load(report: SoakReport, pid: int, paths: list[Path], seconds: float) -> None:
    probe_path, generator_path, pipeline_path = paths[0], paths[1], paths[2]
    churn_paths = paths[3 : 3 + CHURNERS]
    deaf_paths = paths[3 + CHURNERS : 3 + CHURNERS + DEAF]
    idle_paths = paths[3 + CHURNERS + DEAF :]
    deadline = trio.current_time() + seconds
    async with trio.open_nursery() as nursery:
        for path in idle_paths:
            nursery.start_soon(_idle, report, path)
        for path in churn_paths:
            nursery.start_soon(_churn, report, path)
        for path in deaf_paths:
            nursery.start_soon(_deaf, report, path)
        nursery.start_soon(_pipeline, report, pipeline_path)
        nursery.start_soon(_generate_events, report, generator_path)
        nursery.start_soon(_probe, report, probe_path)
        while trio.current_time() < deadline:
            _sample(pid, report)
            await trio.sleep(SAMPLE_EVERY)
        nursery.cancel_scope.cancel()


async def _idle(report: SoakReport, path: Path) -> None:
    monitor = await _Monitor.connect(path)
    while True:
        await monitor.line()
        report.events_received += 1


async def _churn(report: SoakReport, path: Path) -> None:
    while True:
        monitor = await _Monitor.connect(path)
        await monitor.stream.send_all(b'{"execute": "query-name"}')
        await monitor.reply()
        await monitor.stream.aclose()
        report.churn_connections += 1


async def _deaf(report: SoakReport, path: Path) -> None:
    while True:
        monitor = await _Monitor.connect(path)
        # Never read; look (without reading) for the daemon hanging up.
        poller = select.poll()
        poller.register(monitor.stream.socket.fileno(), select.POLLRDHUP)
        while not poller.poll(0):
            await trio.sleep(0.2)
        report.deaf_drops += 1
        await monitor.stream.aclose()


async def _pipeline(report: SoakReport, path: Path) -> None:
    monitor = await _Monitor.connect(path)
    while True:
        await monitor.stream.send_all(b'{"execute": "query-status"}' * BATCH)
        for _ in range(BATCH):
            await monitor.reply()
        report.pipelined_commands += BATCH


async def _generate_events(report: SoakReport, path: Path) -> None:
    monitor = await _Monitor.connect(path)
    while True:
        await monitor.stream.send_all(b'{"execute": "cont"}{"execute": "stop"}')
        await monitor.reply()
        await monitor.reply()
        report.events_generated += 2
        await trio.sleep(2 / EVENT_RATE)


async def _probe(report: SoakReport, path: Path) -> None:
    output = path.with_suffix(".trips")
    try:
        await trio.run_process(
            [sys.executable, "-m", "tests.soak.probe", str(path), str(output)], check=False)
    finally:
        if output.exists():
            report.round_trips = [float(line) for line in output.read_text().split()]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak.soak")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--monitors", type=int, default=1000)
    args = parser.parse_args(argv)
    report = trio.run(soak, args.seconds, args.monitors)
    print(json.dumps(report.summary(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
