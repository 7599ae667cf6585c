"""The trio shell over in-memory streams: monitors, fan-out, misbehaving peers."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Callable

import pytest
import trio
import trio.testing

from qmpnuma.cli.driver import CliReporter, configure
from qmpnuma.machine.runstate import VM
from qmpnuma.profile import DEFAULT_PROFILE
from qmpnuma.qapi.dispatch import Dispatcher
from qmpnuma.qapi.schema import load_schema
from qmpnuma.server import MachineServer, MonitorEndpoint, ServerStatistics, StreamReporter


class Peer:
    """The client end of one monitor connection."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.buffer = b""

    async def send(self, data: bytes | dict[str, object]) -> None:
        await self.stream.send_all(data if isinstance(data, bytes) else json.dumps(data).encode())

    async def message(self) -> object:
        """The next message, or None at end of stream."""
        with trio.fail_after(5):
            while b"\r\n" not in self.buffer:
                chunk = await self.stream.receive_some(65536)
                if not chunk:
                    return None
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return json.loads(line)

    async def execute(self, command: str, **arguments: object) -> object:
        msg: dict[str, object] = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        await self.send(msg)
        return await self.message()

    async def negotiate(self) -> None:
        assert "QMP" in await self.message()  # type: ignore[operator]
        assert await self.execute("qmp_capabilities") == {"return": {}}


#: A small event backlog, so that a test reaches it quickly.
BACKLOG = 64 * 1024


def make_server(*argv: str, stderr: io.StringIO | None = None) -> MachineServer:
    config = configure(list(argv), DEFAULT_PROFILE, CliReporter("qmpnuma", io.StringIO()))
    vm = VM(config.machine, autostart=not config.start_paused)
    return MachineServer(
        vm,
        Dispatcher(load_schema()),
        reporter=StreamReporter(stderr or io.StringIO()),
        clock=lambda: 1234.5,
        event_backlog_limit=BACKLOG,
    )


Connect = Callable[[], Peer]


@pytest.fixture
async def monitors(nursery: trio.Nursery) -> AsyncIterator[tuple[MachineServer, Connect]]:
    """A server on ``-S -m 1G``; ``connect()`` opens one more monitor on it."""
    server = make_server("-S", "-m", "1G")
    await nursery.start(server.serve, [])

    def connect() -> Peer:
        ours, theirs = trio.testing.memory_stream_pair()
        nursery.start_soon(server.handle_stream, theirs)
        return Peer(ours)

    yield server, connect


async def test_greeting_and_negotiation(monitors: tuple[MachineServer, Connect]) -> None:
    _, connect = monitors
    peer = connect()
    greeting = await peer.message()
    assert greeting == {"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7},
                                            "package": " (qmpnuma 0.1.0)"},
                                "capabilities": ["oob"]}}
    assert await peer.execute("query-status") == {"error": {
        "class": "CommandNotFound",
        "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}
    assert await peer.execute("qmp_capabilities") == {"return": {}}
    assert await peer.execute("query-status") == {
        "return": {"status": "prelaunch", "singlestep": False, "running": False}}


async def test_events_go_to_negotiated_monitors_only(
    monitors: tuple[MachineServer, Connect],
) -> None:
    _, connect = monitors
    first, second, shy = connect(), connect(), connect()
    await first.negotiate()
    await second.negotiate()
    assert "QMP" in await shy.message()  # type: ignore[operator]
    resume = {"timestamp": {"seconds": 1234, "microseconds": 500000}, "event": "RESUME"}
    assert await first.execute("cont") == resume
    assert await first.message() == {"return": {}}
    assert await second.message() == resume
    # The monitor still negotiating heard nothing: its next message is a reply.
    assert (await shy.execute("qmp_capabilities")) == {"return": {}}


async def test_garbage_and_disconnects_leave_others_alone(
    monitors: tuple[MachineServer, Connect],
) -> None:
    _, connect = monitors
    rude, polite = connect(), connect()
    await rude.negotiate()
    await polite.negotiate()
    await rude.send(b"\xff{]}[1]")
    replies = [await rude.message() for _ in range(3)]
    assert all("error" in reply for reply in replies)  # type: ignore[operator]
    await rude.send(b'{"execute": "query-sta')
    await rude.stream.aclose()
    assert await polite.execute("query-name") == {"return": {}}


async def test_a_monitor_that_does_not_read_is_dropped(
    monitors: tuple[MachineServer, Connect], nursery: trio.Nursery
) -> None:
    server, connect = monitors
    ours, theirs = trio.testing.lockstep_stream_pair()
    nursery.start_soon(server.handle_stream, theirs)
    deaf = Peer(ours)
    await deaf.negotiate()
    busy = connect()
    await busy.negotiate()
    # Each cont/stop pair queues two events (~150 bytes) for the deaf monitor.
    # Its task may have taken a first batch into its blocked send_all before
    # the rest piled up (how much depends on scheduling), so the backlog is
    # reached within a few times the minimal number of batches, not exactly.
    pairs = 32
    batches = BACKLOG // (150 * pairs) + 1
    for _ in range(4 * batches):
        await busy.send(b'{"execute": "cont"}{"execute": "stop"}' * pairs)
        for _ in range(4 * pairs):
            await busy.message()
        if server.statistics().dropped_monitors:
            break
    # The deaf monitor was cut off; the busy one carries on.
    assert await busy.execute("query-status") == {
        "return": {"status": "paused", "singlestep": False, "running": False}}
    assert server.statistics() == ServerStatistics(connected_monitors=1, dropped_monitors=1)


async def test_quit_sends_shutdown_then_the_reply_then_ends() -> None:
    server = make_server("-S")
    ours, theirs = trio.testing.memory_stream_pair()
    peer = Peer(ours)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.serve, [MonitorEndpoint(connected=theirs)])
        await peer.negotiate()
        await peer.send({"execute": "quit", "id": 7})
        assert await peer.message() == {
            "timestamp": {"seconds": 1234, "microseconds": 500000},
            "event": "SHUTDOWN", "data": {"guest": False, "reason": "host-qmp-quit"}}
        assert await peer.message() == {"return": {}, "id": 7}
        assert await peer.message() is None
    assert server.exit_status == 0


async def test_failed_exit_preconfig_exits_1_without_reply() -> None:
    stderr = io.StringIO()
    server = make_server("--preconfig", "-m", "1G", stderr=stderr)
    ours, theirs = trio.testing.memory_stream_pair()
    peer = Peer(ours)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(server.serve, [MonitorEndpoint(connected=theirs)])
        await peer.negotiate()
        assert await peer.execute("set-numa-node", type="node") == {"return": {}}
        assert await peer.execute("x-exit-preconfig") is None
    assert server.exit_status == 1
    assert stderr.getvalue() == (
        "total memory for NUMA nodes (0x0) should equal RAM size (0x40000000)\n")


async def test_stop_from_a_signal_tells_every_monitor(
    monitors: tuple[MachineServer, Connect],
) -> None:
    server, connect = monitors
    peer = connect()
    await peer.negotiate()
    server.stop("host-signal")
    assert await peer.message() == {
        "timestamp": {"seconds": 1234, "microseconds": 500000},
        "event": "SHUTDOWN", "data": {"guest": False, "reason": "host-signal"}}
    assert await peer.message() is None


async def test_a_client_that_reads_slowly_is_slowed_not_dropped(
    monitors: tuple[MachineServer, Connect], nursery: trio.Nursery
) -> None:
    server, connect = monitors
    ours, theirs = trio.testing.lockstep_stream_pair()
    nursery.start_soon(server.handle_stream, theirs)
    slow = Peer(ours)
    await slow.negotiate()
    other = connect()
    await other.negotiate()
    # Thousands of replies nobody reads yet: the other monitor is unaffected.
    nursery.start_soon(slow.send, b'{"execute": "query-qmp-schema"}' * 3000)
    await trio.testing.wait_all_tasks_blocked()
    assert await other.execute("query-name") == {"return": {}}
    for _ in range(3000):
        assert "return" in await slow.message()  # type: ignore[operator]
    assert server.statistics() == ServerStatistics(connected_monitors=2, dropped_monitors=0)


async def test_output_wakes_a_monitor_waiting_for_input(
    monitors: tuple[MachineServer, Connect],
) -> None:
    _, connect = monitors
    idle, busy = connect(), connect()
    await idle.negotiate()
    await busy.negotiate()
    await busy.execute("cont")
    assert await idle.message() == {
        "timestamp": {"seconds": 1234, "microseconds": 500000}, "event": "RESUME"}
