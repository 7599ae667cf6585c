"""The trio shell: listeners, one task per monitor connection, event fan-out.

Everything that decides anything lives below (protocol, qapi, commands,
machine); this module only moves bytes and owns tasks.  Commands run to
completion synchronously, so monitors are serialised the way QEMU's big
lock serialises them.

Like a QEMU socket chardev, each listener serves one client at a time: a
second client waits, unanswered, until the first one leaves, and every new
connection starts with a fresh greeting and capabilities negotiation.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import trio

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import FatalError, QMPError
from qmpnuma.machine.runstate import VM, Event
from qmpnuma.profile import Profile
from qmpnuma.protocol.session import MonitorSession, Request
from qmpnuma.qapi.dispatch import Dispatcher

__all__ = ["MachineServer", "MonitorEndpoint", "ServerStatistics", "StreamReporter"]

LOGGER = logging.getLogger(__name__)

#: Bytes asked of a socket per read, as qemu.qmp's _DEFAULT_READBUFLEN.
READ_CHUNK = 64 * 1024
#: Messages queued for a monitor that does not read its socket.  QEMU buffers
#: without bound; we drop such a client instead, so that it cannot make the
#: daemon grow or hold up the other monitors.
OUTBOX_LEN = 4096
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


@dataclass(eq=False)
class _Client:
    """One connected monitor: its protocol state and its outgoing queue."""

    session: MonitorSession
    outbox: trio.MemorySendChannel[bytes]
    cancel_scope: trio.CancelScope
    #: The chardev the connection came through (yank drops it).
    chardev: str | None = None

    @property
    def negotiating(self) -> bool:
        return self.session.negotiating

    def enable_capabilities(self, enable: list[str]) -> None:
        self.session.enable_capabilities(enable)

    def queue(self, data: bytes) -> None:
        try:
            self.outbox.send_nowait(data)
        except trio.WouldBlock:
            LOGGER.warning("monitor does not read its socket; disconnecting it")
            self.cancel_scope.cancel()
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass


class MachineServer:
    """Serves one VM on any number of monitor listeners."""

    def __init__(
        self,
        vm: VM,
        dispatcher: Dispatcher,
        profile: Profile,
        *,
        reporter: StreamReporter | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.vm = vm
        self.dispatcher = dispatcher
        self.profile = profile
        self.reporter = reporter or StreamReporter()
        self.clock = clock
        #: What the process should exit with once serve() returns.
        self.exit_status = 0
        self._clients: set[_Client] = set()
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
        return ServerStatistics(connected_monitors=len(self._clients))

    def stop(self, reason: str | None = None) -> None:
        """Shut down as QEMU does on a signal: SHUTDOWN to every monitor, then exit."""
        if reason is not None:
            self.vm.request_shutdown(reason)
            self._broadcast(self.vm.drain_events())
        self._stopping.set()

    async def _flush_clients(self) -> None:
        for client in self._clients:
            client.outbox.close()
        if self._clients:
            with trio.move_on_after(FLUSH_TIMEOUT):
                await self._all_gone.wait()

    async def _serve_endpoint(self, endpoint: MonitorEndpoint) -> None:
        if endpoint.connected is not None:
            await self._serve_peer(endpoint, endpoint.connected)
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

    async def handle_stream(
        self, stream: trio.abc.Stream, *, pretty: bool = False, chardev: str | None = None
    ) -> None:
        """Run one monitor connection on ``stream`` until either side ends it."""
        send, receive = trio.open_memory_channel[bytes](OUTBOX_LEN)
        session = MonitorSession(self.profile, pretty=pretty)
        client = _Client(session, send, trio.CancelScope(), chardev)
        if not self._clients:
            self._all_gone = trio.Event()
        self._clients.add(client)
        try:
            async with stream:
                with client.cancel_scope:
                    async with trio.open_nursery() as nursery:
                        client.queue(client.session.greeting())
                        nursery.start_soon(self._write_loop, stream, receive, client.cancel_scope)
                        await self._read_loop(stream, client)
        finally:
            # Only once the writer has sent what was queued (or failed to).
            self._clients.discard(client)
            if not self._clients:
                self._all_gone.set()

    async def _write_loop(
        self,
        stream: trio.abc.Stream,
        outbox: trio.MemoryReceiveChannel[bytes],
        scope: trio.CancelScope,
    ) -> None:
        try:
            async with outbox:
                async for data in outbox:
                    await stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            LOGGER.info("monitor went away while we wrote to it")
        scope.cancel()

    async def _read_loop(self, stream: trio.abc.Stream, client: _Client) -> None:
        while not self._stopping.is_set():
            try:
                data = await stream.receive_some(READ_CHUNK)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                data = b""
            if not data:
                break
            client.session.receive_data(bytes(data))
            self._process(client)
        # Let the writer drain what is queued, then end the connection.
        client.outbox.close()

    def _process(self, client: _Client) -> None:
        while not self._stopping.is_set():
            event = client.session.next_event()
            if event is None:
                return
            if isinstance(event, bytes):
                client.queue(event)
            else:
                self._execute(client, event)

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
        for client in self._clients:
            if client.negotiating:
                continue
            for name, data in events:
                client.queue(client.session.event(name, data, seconds, micro))
