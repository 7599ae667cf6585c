"""A fleet: many emulated machines in one process, each on its own sockets.

Integration-test rigs start hundreds of machines; a process each costs a
Python start-up (imports, schema) per machine.  A :class:`Fleet` pays it
once: every machine is built from its own QEMU command line by the same
driver as ``qmpnuma`` (so it refuses what qemu-system-x86_64 refuses, with
the same text), and served by its own :class:`~qmpnuma.server.MachineServer`
in its own task.

Isolation is the point.  A machine's ``quit``, fatal error (x-exit-preconfig
on a bad configuration), bad input or internal error ends that machine
only: its task catches what would have ended a process, writes it to the
machine's own log (QEMU's stderr), closes its sockets and records the exit
status QEMU would have had.  A ``wait=on`` socket waits for its client in
the machine's task, not in the driver, and socket permissions are set per
socket, never through the process-wide umask.

The fleet lives in a trio nursery: ``async with open_fleet() as fleet``.
The control socket (qmpnuma.fleet_control) and the pytest plugin drive the
same objects.
"""

from __future__ import annotations

import enum
import io
import traceback
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TextIO

import trio

from qmpnuma.chardev import ChardevSockets
from qmpnuma.cli.driver import CliError, CliReporter, LaunchConfig, configure
from qmpnuma.errors import GenericError
from qmpnuma.launch import new_vm, refuse_hmp_monitors
from qmpnuma.profile import DEFAULT_PROFILE, Profile
from qmpnuma.qapi.dispatch import Dispatcher
from qmpnuma.qapi.schema import load_profile_schema
from qmpnuma.record import TrafficRecorder
from qmpnuma.server import MachineServer, MonitorEndpoint, StreamReporter

__all__ = ["Fleet", "FleetMachine", "MachineState", "open_fleet", "PROGRAM"]

#: The program name in a fleet machine's diagnostics, as in the daemon's.
PROGRAM = "qmpnuma"
#: Seconds a removed machine's monitors get to read their SHUTDOWN event
#: before the machine is cancelled; the server's own FLUSH_TIMEOUT is longer,
#: but a test rig deleting machines should not wait on a client that sleeps.
REMOVE_TIMEOUT = 0.5


class MachineState(enum.Enum):
    """FleetMachineState (schema/fleet.json)."""

    #: A wait=on monitor socket waits for its first client.
    WAITING = "waiting"
    #: Serving its monitors.
    RUNNING = "running"
    #: Ended as QEMU would exit 0: quit, or stopped by the fleet.
    SHUTDOWN = "shutdown"
    #: Ended as QEMU would exit 1, or on an internal error (see the log).
    FAILED = "failed"


class FleetMachine:
    """One machine of a fleet: its configuration, server, sockets and log."""

    def __init__(
        self,
        name: str,
        config: LaunchConfig,
        server: MachineServer,
        chardevs: ChardevSockets,
        log: TextIO,
        recorder: TrafficRecorder | None,
    ) -> None:
        self.name = name
        self.config = config
        self.server = server
        self.chardevs = chardevs
        #: What QEMU would print on stderr for this machine.
        self.log = log
        self.recorder = recorder
        self.state = MachineState.WAITING
        self._scope = trio.CancelScope()
        self._ended = trio.Event()

    @property
    def addresses(self) -> list[str]:
        """Each monitor's address, spelled as -qmp takes it."""
        return [_address(monitor.chardev.path, monitor.chardev.describe())
                for monitor in self.config.monitors]

    @property
    def socket_paths(self) -> list[Path]:
        """The unix socket files of the monitors, in command-line order."""
        return [Path(monitor.chardev.path) for monitor in self.config.monitors
                if monitor.chardev.path is not None]

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    @property
    def exit_status(self) -> int | None:
        """What QEMU would have exited with; None while the machine runs."""
        return self.server.exit_status if self.ended else None

    def log_text(self) -> str:
        """The log so far, when the fleet keeps it in memory ('' otherwise)."""
        return self.log.getvalue() if isinstance(self.log, io.StringIO) else ""

    def info(self) -> dict[str, object]:
        """FleetMachineInfo (schema/fleet.json)."""
        info: dict[str, object] = {
            "name": self.name,
            "state": self.state.value,
            "sockets": self.addresses,
            "profile": self.config.machine.profile.name,
        }
        if self.exit_status is not None:
            info["exit-status"] = self.exit_status
        return info

    def stop(self) -> None:
        """Shut down as on SIGTERM: SHUTDOWN to the monitors, then end."""
        if self.state is MachineState.WAITING:
            self._scope.cancel()
        else:
            self.server.stop("host-signal")

    async def wait_ended(self) -> None:
        await self._ended.wait()

    async def shutdown(self, timeout: float = REMOVE_TIMEOUT) -> None:
        """stop(), then cancel the machine if its monitors take longer than ``timeout``."""
        self.stop()
        with trio.move_on_after(timeout):
            await self._ended.wait()
        self._scope.cancel()
        await self._ended.wait()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The machine's task: serve until it ends, whatever ends it."""
        endpoints = [self.chardevs.endpoint(monitor) for monitor in self.config.monitors]
        if self.recorder is not None:
            endpoints = [self.recorder.wrap(endpoint) for endpoint in endpoints]
        task_status.started()
        try:
            with self._scope:
                await self._accept_waiting(endpoints)
                self.state = MachineState.RUNNING
                await self.server.serve(endpoints)
        except Exception:
            # A bug in a handler: this machine dies, the fleet does not.
            self.server.exit_status = 1
            traceback.print_exc(file=self.log)
        finally:
            with trio.CancelScope(shield=True):
                await _close(endpoints)
            self._end()

    async def _accept_waiting(self, endpoints: list[MonitorEndpoint]) -> None:
        # QEMU blocks its start-up on each wait=on chardev in turn.
        for monitor, endpoint in zip(self.config.monitors, endpoints, strict=True):
            if self.chardevs.waiting(monitor) and endpoint.listener is not None:
                endpoint.connected = await endpoint.listener.accept()

    def _end(self) -> None:
        self.chardevs.remove_files()
        self.state = (MachineState.SHUTDOWN if self.server.exit_status == 0
                      else MachineState.FAILED)
        if not isinstance(self.log, io.StringIO):
            self.log.close()
        if self.recorder is not None:
            self.recorder.stream.close()
        self._ended.set()


class Fleet:
    """The machines of one process, by name, in the order they were added."""

    def __init__(self, nursery: trio.Nursery, *, profile: Profile = DEFAULT_PROFILE) -> None:
        self.nursery = nursery
        #: The release of machines added without one.
        self.profile = profile
        # Stateless and the costliest part of a server: one per schema for
        # all machines, the default one loaded before the first machine-add.
        self._dispatchers: dict[str, Dispatcher] = {}
        self._dispatcher(profile)
        self._machines: dict[str, FleetMachine] = {}

    @property
    def machines(self) -> list[FleetMachine]:
        return list(self._machines.values())

    def get(self, name: str) -> FleetMachine:
        """Raises: GenericError for an unknown name."""
        machine = self._machines.get(name)
        if machine is None:
            raise GenericError(f"Machine '{name}' not found")
        return machine

    async def add(
        self,
        name: str,
        argv: Sequence[str],
        *,
        profile: Profile | None = None,
        record: str | None = None,
        log: str | None = None,
    ) -> FleetMachine:
        """Build a machine from QEMU options and start serving it.

        When this returns, the machine's listening sockets exist and accept
        connections.  The machine emulates ``profile``'s release (by default
        the fleet's).  ``record`` and ``log`` are files for the QMP traffic
        (qmpnuma.record; by default the -qmpnuma-record option's) and for
        what QEMU would print on stderr (by default kept in memory).

        Raises:
            GenericError: the name is taken, or the lines QEMU would print
                for a command line it refuses; nothing is left behind.
        """
        if name in self._machines:
            raise GenericError(f"Machine '{name}' already exists")
        machine = self._build(name, argv, profile or self.profile, record, log)
        self._machines[name] = machine
        await self.nursery.start(machine.run)
        return machine

    async def remove(self, name: str) -> FleetMachine:
        """Shut a machine down (as on SIGTERM), wait until it ended, forget it.

        Raises:
            GenericError: no such machine.
        """
        machine = self.get(name)
        await machine.shutdown()
        del self._machines[name]
        return machine

    async def aclose(self) -> None:
        """Shut every machine down and wait until all have ended."""
        async with trio.open_nursery() as nursery:
            for machine in self.machines:
                nursery.start_soon(machine.shutdown)

    def _dispatcher(self, profile: Profile) -> Dispatcher:
        dispatcher = self._dispatchers.get(profile.schema_dir)
        if dispatcher is None:
            dispatcher = Dispatcher(load_profile_schema(profile.schema_dir))
            self._dispatchers[profile.schema_dir] = dispatcher
        return dispatcher

    def _build(
        self,
        name: str,
        argv: Sequence[str],
        profile: Profile,
        record: str | None,
        log: str | None,
    ) -> FleetMachine:
        log_stream = _open(log, "log") if log is not None else io.StringIO()
        reporter = CliReporter(PROGRAM, log_stream)
        chardevs = ChardevSockets(info=reporter.info, defer_wait=True)
        try:
            config = _configure(argv, profile, reporter, chardevs)
            record = record if record is not None else config.record
            recorder = TrafficRecorder(_open(record, "record")) if record is not None else None
        except BaseException:
            # A refused machine leaves no socket, file or task behind.
            chardevs.close()
            log_stream.close()
            raise
        vm = new_vm(config, chardevs.connected_address)
        server = MachineServer(vm, self._dispatcher(profile), reporter=StreamReporter(log_stream))
        return FleetMachine(name, config, server, chardevs, log_stream, recorder)


@asynccontextmanager
async def open_fleet(*, profile: Profile = DEFAULT_PROFILE) -> AsyncIterator[Fleet]:
    """A fleet for the block's duration; every machine is shut down at its end."""
    async with trio.open_nursery() as nursery:
        fleet = Fleet(nursery, profile=profile)
        try:
            yield fleet
        finally:
            with trio.CancelScope(shield=True):
                await fleet.aclose()
            nursery.cancel_scope.cancel()


def _configure(
    argv: Sequence[str], profile: Profile, reporter: CliReporter, chardevs: ChardevSockets
) -> LaunchConfig:
    """The daemon's checks of a command line, and the fleet's own.

    Raises:
        GenericError: what QEMU would print for a command line it refuses.
    """
    try:
        config = configure(list(argv), profile, reporter, chardevs.open)
        refuse_hmp_monitors(config, reporter)
    except CliError as err:
        raise GenericError("\n".join([*err.stdout.splitlines(), *err.lines])) from err
    if config.daemonize or config.pidfile is not None:
        raise GenericError("-daemonize and -pidfile concern a process; a fleet machine has none")
    return config


def _open(path: str, what: str) -> TextIO:
    try:
        return open(path, "w", encoding="utf-8")  # noqa: SIM115 (the machine closes it)
    except OSError as exc:
        raise GenericError(f"Could not open {what} file '{path}': {exc.strerror}") from exc


def _address(path: str | None, described: str) -> str:
    if path is not None:
        return f"unix:{Path(path).absolute()}"
    return described.removesuffix(",server=on")


async def _close(endpoints: list[MonitorEndpoint]) -> None:
    for endpoint in endpoints:
        if endpoint.listener is not None:
            await endpoint.listener.aclose()
        if endpoint.connected is not None:
            await endpoint.connected.aclose()
