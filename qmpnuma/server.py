"""The trio shell: listeners, one task per monitor connection, event fan-out.

Everything that decides anything lives below (protocol, qapi, commands,
machine); this module only moves bytes and owns tasks.  Commands run to
completion synchronously, so monitors are serialised the way QEMU's big
lock serialises them.

Like a QEMU socket chardev, each listener serves one client at a time: a
second client waits, unanswered, until the first one leaves, and every new
connection starts with a fresh greeting and capabilities negotiation.

One task runs each connection: it reads, parses and executes, and writes
the replies of a turn in one write.  A turn is bounded (TURN_BUDGET seconds,
PARSE_SLICE input bytes, OUTPUT_HIGH_WATER reply bytes), so a flooding
client cannot hold up the other monitors.  The task reads again only once
everything it wrote has been sent: a client that does not read its replies
is slowed down, as QEMU suspends a monitor whose requests pile up, and none
of its commands runs while its earlier replies are unsent.  Events from
other monitors wake the task, which sends them before anything it produces
later, so every monitor sees events and replies in the order they happened.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TextIO

import trio

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import FatalError, QMPError
from qmpnuma.machine.runstate import VM, Event
from qmpnuma.protocol.session import MonitorSession, Request
from qmpnuma.qapi.dispatch import Dispatcher

__all__ = [
    "EVENT_BACKLOG_LIMIT",
    "OUTPUT_HIGH_WATER",
    "PARSE_SLICE",
    "READ_CHUNK",
    "TURN_BUDGET",
    "MachineServer",
    "MonitorEndpoint",
    "ServerStatistics",
    "StreamReporter",
]

LOGGER = logging.getLogger(__name__)

#: Bytes asked of a socket per read, as qemu.qmp's _DEFAULT_READBUFLEN.  A
#: connection holds at most this much unparsed input.
READ_CHUNK = 64 * 1024
#: Input bytes given to the JSON reader per turn.  QEMU's chardevs hand the
#: monitor at most CHR_READ_BUF_LEN (include/chardev/char.h: 4096) at a time.
PARSE_SLICE = 4096
#: Seconds of command execution one connection may take before the other
#: connections get their turn (QEMU instead suspends a monitor after
#: QMP_REQ_QUEUE_LEN_MAX = 8 queued requests, include/monitor/monitor.h).
TURN_BUDGET = 0.002
#: Reply bytes after which a connection stops executing and sends what it
#: has; at most one more reply goes over.  QEMU's monitor output buffer is
#: unbounded (monitor/monitor.c monitor_flush_locked); ours is bounded by
#: this, plus EVENT_BACKLOG_LIMIT.
OUTPUT_HIGH_WATER = 256 * 1024
#: Bytes of events that may pile up for a monitor whose client has stopped
#: reading.  Beyond it the client is disconnected: the one case where we
#: drop a client, where QEMU would buffer without bound.
EVENT_BACKLOG_LIMIT = 1 << 20
#: Seconds given to the monitors to receive their last messages (the reply
#: to ``quit``, the SHUTDOWN event) before the server closes them.
FLUSH_TIMEOUT = 2.0


@dataclass
class StreamReporter:
    """Warnings and error_report()s of a QMP command, as QEMU prints them.

    Inside a monitor command QEMU has no command-line location, and its
    messages carry no program-name prefix.
    """

    stream: TextIO = field(default_factory=lambda: sys.stderr)

    def warn(self, msg: str) -> None:
        print(f"warning: {msg}", file=self.stream, flush=True)

    def error(self, msg: str) -> None:
        print(msg, file=self.stream, flush=True)


@dataclass(frozen=True)
class ServerStatistics:
    """A snapshot of a server, as trio's ``statistics()`` methods give."""

    #: Monitor connections open now.
    connected_monitors: int
    #: Clients disconnected because events piled up unread.
    dropped_monitors: int


@dataclass
class MonitorEndpoint:
    """Where one monitor's connections come from (one QEMU socket chardev)."""

    #: Accepts clients one after the other; None for a client-mode chardev.
    listener: trio.abc.Listener[trio.abc.Stream] | None = None
    #: A connection made before serving starts: the first client of a
    #: ``wait=on`` chardev, or the socket a client-mode chardev connected.
    connected: trio.abc.Stream | None = None
    #: Pretty-print every message (-qmp-pretty, -mon pretty=on).
    pretty: bool = False
    #: The chardev's id, whose ``connected`` state query-chardev shows.
    chardev: str | None = None
    #: Connects a client-mode chardev again (``reconnect=``), every
    #: ``redial_delay`` seconds while it fails and after each disconnection.
    redial: Callable[[], Awaitable[trio.abc.Stream]] | None = None
    redial_delay: float = 0.0


@dataclass(eq=False)
class _Client:
    """One connected monitor: its protocol state, its input and its output."""

    session: MonitorSession
    stream: trio.abc.Stream
    #: Cancelled to end the connection at once.
    cancel_scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    #: Messages to send, oldest first, and their total size.
    outgoing: list[bytes] = field(default_factory=list)
    outgoing_bytes: int = 0
    #: Bytes read from the socket and not yet given to the session.
    unparsed: memoryview = field(default_factory=lambda: memoryview(b""))
    #: Set while the task waits for input, so that output can wake it.
    read_scope: trio.CancelScope | None = None
    #: The client has closed its sending end: finish its input, then end.
    at_eof: bool = False
    #: Nothing more can be delivered: run nothing more.
    gone: bool = False
    #: The chardev the connection came through (yank drops it).
    chardev: str | None = None

    @property
    def negotiating(self) -> bool:
        return self.session.negotiating

    def enable_capabilities(self, enable: list[str]) -> None:
        self.session.enable_capabilities(enable)

    def queue(self, data: bytes) -> None:
        """Send ``data`` after everything queued before it."""
        if not data:
            return
        self.outgoing.append(data)
        self.outgoing_bytes += len(data)
        self.wake()

    def wake(self) -> None:
        """Make the task stop waiting for input and look at its output."""
        if self.read_scope is not None:
            self.read_scope.cancel()

    def take_outgoing(self) -> bytes:
        data = b"".join(self.outgoing)
        self.outgoing.clear()
        self.outgoing_bytes = 0
        return data


class MachineServer:
    """Serves one VM on any number of monitor listeners.

    The greeting is the VM's release (``vm.machine.profile``); ``dispatcher``
    must hold that release's schema.
    """

    def __init__(
        self,
        vm: VM,
        dispatcher: Dispatcher,
        *,
        reporter: StreamReporter | None = None,
        clock: Callable[[], float] = time.time,
        event_backlog_limit: int = EVENT_BACKLOG_LIMIT,
    ) -> None:
        self.vm = vm
        self.dispatcher = dispatcher
        self.reporter = reporter or StreamReporter()
        self.clock = clock
        self.event_backlog_limit = event_backlog_limit
        #: What the process should exit with once serve() returns.
        self.exit_status = 0
        self._clients: set[_Client] = set()
        self._dropped = 0
        self._stopping = trio.Event()
        self._all_gone = trio.Event()

    async def serve(
        self,
        endpoints: list[MonitorEndpoint],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Serve until ``quit``, a fatal command or stop()."""
        async with trio.open_nursery() as nursery:
            for endpoint in endpoints:
                nursery.start_soon(self._serve_endpoint, endpoint)
            task_status.started()
            await self._stopping.wait()
            await self._flush_clients()
            nursery.cancel_scope.cancel()
        with trio.CancelScope(shield=True):
            for endpoint in endpoints:
                if endpoint.listener is not None:
                    await endpoint.listener.aclose()

    def statistics(self) -> ServerStatistics:
        return ServerStatistics(
            connected_monitors=len(self._clients), dropped_monitors=self._dropped
        )

    def stop(self, reason: str | None = None) -> None:
        """Shut down as QEMU does on a signal: SHUTDOWN to every monitor, then exit."""
        if reason is not None:
            self.vm.request_shutdown(reason)
            self._broadcast(self.vm.drain_events())
        self._stopping.set()

    async def _flush_clients(self) -> None:
        # Each task sends what it has queued, then ends its connection.
        for client in self._clients:
            client.wake()
        if self._clients:
            with trio.move_on_after(FLUSH_TIMEOUT):
                await self._all_gone.wait()

    async def _serve_endpoint(self, endpoint: MonitorEndpoint) -> None:
        if endpoint.connected is not None:
            await self._serve_peer(endpoint, endpoint.connected)
        if endpoint.redial is not None:
            await self._redial(endpoint, endpoint.redial)
        if endpoint.listener is None:
            return
        while True:
            stream = await endpoint.listener.accept()
            await self._serve_peer(endpoint, stream)

    async def _serve_peer(self, endpoint: MonitorEndpoint, stream: trio.abc.Stream) -> None:
        chardev = next((c for c in self.vm.chardevs if c.label == endpoint.chardev), None)
        if chardev is not None:
            chardev.connected = True
        try:
            await self.handle_stream(stream, pretty=endpoint.pretty, chardev=endpoint.chardev)
        finally:
            if chardev is not None:
                chardev.connected = False

    async def _redial(
        self, endpoint: MonitorEndpoint, redial: Callable[[], Awaitable[trio.abc.Stream]]
    ) -> None:
        # chardev/char-socket.c: the reconnect timer; failures after the
        # first one (reported at start-up) are silent.
        while True:
            await trio.sleep(endpoint.redial_delay)
            try:
                stream = await redial()
            except (OSError, QMPError):
                continue
            await self._serve_peer(endpoint, stream)

    async def handle_stream(
        self, stream: trio.abc.Stream, *, pretty: bool = False, chardev: str | None = None
    ) -> None:
        """Run one monitor connection on ``stream`` until either side ends it."""
        session = MonitorSession(self.vm.machine.profile, pretty=pretty)
        client = _Client(session, stream, chardev=chardev)
        if not self._clients:
            self._all_gone = trio.Event()
        self._clients.add(client)
        try:
            async with stream:
                with client.cancel_scope:
                    client.queue(client.session.greeting())
                    await self._run(client)
        finally:
            self._clients.discard(client)
            if not self._clients:
                self._all_gone.set()

    async def _run(self, client: _Client) -> None:
        while not client.gone:
            if client.outgoing:
                await self._send(client)
            elif self._stopping.is_set():
                return
            elif self._work(client):
                if not client.outgoing:
                    await trio.lowlevel.checkpoint()
            elif client.at_eof:
                return
            else:
                await self._receive(client)

    async def _send(self, client: _Client) -> None:
        try:
            await client.stream.send_all(client.take_outgoing())
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            # Whatever it sent and we have not run yet is dropped unrun.
            LOGGER.info("monitor went away while we wrote to it")
            client.gone = True

    async def _receive(self, client: _Client) -> None:
        """Wait for input; return early when output was queued meanwhile."""
        with trio.CancelScope() as scope:
            client.read_scope = scope
            try:
                data = await client.stream.receive_some(READ_CHUNK)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                data = b""
            finally:
                client.read_scope = None
            if data:
                client.unparsed = memoryview(bytes(data))
            else:
                client.at_eof = True

    def _work(self, client: _Client) -> bool:
        """Run one bounded turn of ``client``'s input; False if none was left."""
        deadline = time.perf_counter() + TURN_BUDGET
        did_work = False
        while not self._stopping.is_set():
            event = client.session.next_event()
            if event is None:
                if not client.unparsed:
                    return did_work
                client.session.receive_data(bytes(client.unparsed[:PARSE_SLICE]))
                client.unparsed = client.unparsed[PARSE_SLICE:]
            elif isinstance(event, bytes):
                client.queue(event)
            else:
                self._execute(client, event)
            did_work = True
            if client.outgoing_bytes >= OUTPUT_HIGH_WATER or time.perf_counter() >= deadline:
                return True
        return did_work

    def _execute(self, client: _Client, request: Request) -> None:
        ctx = CommandContext(vm=self.vm, monitor=client, reporter=self.reporter)
        try:
            result = self.dispatcher.dispatch(
                request.command,
                request.arguments,
                ctx,
                oob=request.oob,
                negotiating=client.negotiating,
            )
        except QMPError as err:
            reply = client.session.error_reply(request, err)
        except FatalError as err:
            # QEMU exits inside the command: no reply, no further output.
            self.reporter.error(err.message)
            self.exit_status = 1
            self._stopping.set()
            return
        else:
            reply = client.session.reply(request, {} if result is None else result)
        self.vm.run_guest()
        self._broadcast(self.vm.drain_events())
        self._yank(self.vm.drain_yanked())
        if client.cancel_scope.cancel_called:
            return  # QEMU writes the reply to a socket it has just shut down.
        client.queue(reply)
        if self.vm.shutdown_requested:
            self._stopping.set()

    def _yank(self, chardevs: list[str]) -> None:
        """Drop the connections of yanked chardevs (util/yank.c: a socket shutdown)."""
        for client in self._clients:
            if client.chardev in chardevs:
                client.cancel_scope.cancel()

    def _broadcast(self, events: list[Event]) -> None:
        if not events:
            return
        now = self.clock()
        seconds, micro = int(now), int((now - int(now)) * 1_000_000)
        # An event reads the same on every monitor of one style: encode it
        # once per style, not once per monitor.
        encoded: dict[bool, list[bytes]] = {}
        for client in list(self._clients):
            if client.negotiating or client.gone:
                continue
            style = client.session.pretty
            if style not in encoded:
                encoded[style] = [
                    client.session.event(name, data, seconds, micro) for name, data in events
                ]
            for message in encoded[style]:
                client.queue(message)
            if client.outgoing_bytes > self.event_backlog_limit:
                self._drop(client)

    def _drop(self, client: _Client) -> None:
        LOGGER.warning(
            "monitor left %d bytes of events unread; disconnecting it", client.outgoing_bytes
        )
        self._dropped += 1
        client.gone = True
        client.take_outgoing()
        client.cancel_scope.cancel()
