"""pytest fixtures that start emulated machines (entry point ``pytest11``).

Installed with qmpnuma, the plugin gives every test the ``qmpnuma``
fixture, a factory of machines built from QEMU command lines.  Each
machine gets a QMP socket in a private directory, its QMP traffic is
recorded as JSON lines (qmpnuma.record) and its stderr kept, both in the
test's ``tmp_path``; whatever the test's outcome, the machine is shut down
and its socket removed when the test ends.

Three ways to run a machine:

``fleet``
    in a fleet that the plugin runs in a thread for the whole session:
    milliseconds per machine, usable from any test.
``subprocess``
    as its own ``python -m qmpnuma`` process, exactly as management
    software starts QEMU.
``inprocess``
    in the test's own event loop (async tests only): a task of the
    test's trio run, or a trio guest run on the test's asyncio loop.

Synchronous tests call ``qmpnuma.start(*argv)`` and connect with
``async with vm.client() as qmp`` inside their own asyncio.run().  Async
tests write ``async with qmpnuma.machine(*argv) as vm`` and get
``vm.qmp`` connected: a qemu.qmp ``QMPClient`` under asyncio, and under
trio a :class:`TrioQMPClient`, which runs a QMPClient on a private asyncio
loop and offers the same ``execute()``.  Both take ``profile="10.0"`` (or
any name of qmpnuma.profile.PROFILES) for a machine of another release.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sniffio
import trio
from qemu.qmp import QMPClient

from qmpnuma.fleet import Fleet, FleetMachine, open_fleet
from qmpnuma.profile import DEFAULT_PROFILE, PROFILE_OPTION, Profile, find_profile, unknown_profile

__all__ = ["Machine", "MachineFactory", "TrioQMPClient", "qmpnuma"]

T = TypeVar("T")

#: Seconds a subprocess machine may take to listen, or to exit when asked.
SUBPROCESS_TIMEOUT = 15.0
#: Seconds between looks for a subprocess machine's socket.
POLL_INTERVAL = 0.005
#: include/linux/net.h: the flag /proc/net/unix shows for a listening socket.
_SO_ACCEPTCON = 0x10000
MODES = ("fleet", "subprocess", "inprocess")


@dataclass
class Machine:
    """A machine a test started."""

    name: str
    #: The QEMU options the test gave (the plugin adds -qmp).
    argv: list[str]
    mode: str
    #: The QMP socket the plugin added.
    socket: Path
    #: The JSON-lines recording of its QMP traffic (scripts/replay reads it).
    record: Path
    #: What QEMU would print on stderr.
    log: Path
    #: The QEMU release it emulates (qmpnuma.profile).
    profile: Profile = DEFAULT_PROFILE
    #: A connected client, inside ``async with factory.machine(...)``.
    qmp: Any = None
    #: The daemon's process, for a ``subprocess`` machine.
    process: subprocess.Popen[bytes] | None = None

    def log_text(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    @contextlib.asynccontextmanager
    async def client(self, name: str = "test") -> AsyncIterator[QMPClient]:
        """A qemu.qmp client connected to the machine, in the running asyncio loop."""
        qmp = QMPClient(name)
        await qmp.connect(str(self.socket))
        try:
            yield qmp
        finally:
            # After quit the machine closes the socket, as QEMU does, and
            # disconnect() may re-raise that EOF; QEMU's own machine library
            # accepts it the same way (QEMUMachine._close_qmp_connection).
            with contextlib.suppress(EOFError):
                await qmp.disconnect()


class TrioQMPClient:
    """qemu.qmp's QMPClient for trio code: it runs on a private asyncio loop.

    qemu.qmp is asyncio-only; this runs one client on an asyncio loop in a
    thread and waits for it from trio.
    """

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.client = QMPClient(name)

    async def _call(self, coro: Awaitable[T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)  # type: ignore[arg-type]
        return await trio.to_thread.run_sync(future.result)

    async def connect(self, path: str) -> None:
        await self._call(self.client.connect(path))

    async def execute(self, cmd: str, arguments: dict[str, object] | None = None) -> object:
        return await self._call(self.client.execute(cmd, arguments))

    async def aclose(self) -> None:
        with trio.CancelScope(shield=True):
            with contextlib.suppress(EOFError):  # as Machine.client()
                await self._call(self.client.disconnect())
            self._loop.call_soon_threadsafe(self._loop.stop)
            await trio.to_thread.run_sync(self._thread.join)
            self._loop.close()


class _FleetThread:
    """A fleet running in its own thread, for machines of synchronous tests."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._fleet: Fleet | None = None
        self._stop: trio.Event | None = None
        self._token: trio.lowlevel.TrioToken | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._fleet is None:
            raise RuntimeError("the qmpnuma fleet thread did not start") from self._error

    def _run(self) -> None:
        try:
            trio.run(self._main)
        except BaseException as exc:  # reported by the thread that waits for us
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        async with open_fleet() as fleet:
            self._fleet, self._stop = fleet, trio.Event()
            self._token = trio.lowlevel.current_trio_token()
            self._ready.set()
            await self._stop.wait()

    def run(self, fn: Callable[[Fleet], Awaitable[T]]) -> T:
        assert self._fleet is not None
        return trio.from_thread.run(fn, self._fleet, trio_token=self._token)

    def close(self) -> None:
        if self._stop is not None:
            with contextlib.suppress(trio.RunFinishedError):
                trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join()
        if self._error is not None:
            raise RuntimeError("the qmpnuma fleet thread failed") from self._error


class _GuestFleet:
    """A fleet run as a trio guest of the running asyncio loop (same thread)."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._ready: asyncio.Future[None] = self._loop.create_future()
        self._done: asyncio.Future[None] = self._loop.create_future()
        self._fleet: Fleet | None = None
        self._stop: trio.Event | None = None
        self._token: trio.lowlevel.TrioToken | None = None

    async def start(self) -> None:
        trio.lowlevel.start_guest_run(
            self._main,
            run_sync_soon_threadsafe=self._loop.call_soon_threadsafe,
            done_callback=self._finished,
        )
        await self._ready

    async def _main(self) -> None:
        async with open_fleet() as fleet:
            self._fleet, self._stop = fleet, trio.Event()
            self._token = trio.lowlevel.current_trio_token()
            self._ready.set_result(None)
            await self._stop.wait()

    def _finished(self, outcome: Any) -> None:
        try:
            outcome.unwrap()
        except BaseException as exc:  # handed to the awaiting test
            if not self._ready.done():
                self._ready.set_exception(exc)
            self._done.set_exception(exc)
        else:
            self._done.set_result(None)

    async def run(self, fn: Callable[[Fleet], Awaitable[T]]) -> T:
        """Run ``fn(fleet)`` in the trio guest; await its result from asyncio."""
        assert self._fleet is not None and self._token is not None
        fleet = self._fleet
        result: asyncio.Future[T] = self._loop.create_future()

        async def call() -> None:
            try:
                value = await fn(fleet)
            except Exception as exc:
                self._loop.call_soon_threadsafe(result.set_exception, exc)
            else:
                self._loop.call_soon_threadsafe(result.set_result, value)

        self._token.run_sync_soon(fleet.nursery.start_soon, call)
        return await result

    async def aclose(self) -> None:
        if self._stop is not None and self._token is not None:
            self._token.run_sync_soon(self._stop.set)
        await self._done


@dataclass
class MachineFactory:
    """The ``qmpnuma`` fixture: starts machines and cleans up after the test."""

    tmp_path: Path
    fleet_thread: Callable[[], _FleetThread]
    _sockets: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="qmpnuma-")))
    _count: int = 0
    _cleanups: list[Callable[[], None]] = field(default_factory=list)
    #: Every machine started, for the report of a failed test.
    machines: list[Machine] = field(default_factory=list)

    def start(
        self, *argv: str, mode: str = "fleet", name: str | None = None, profile: str | None = None
    ) -> Machine:
        """Start a machine in the session's fleet or as a subprocess.

        It runs until the test ends, emulating the release ``profile``
        names (default: 7.2; see qmpnuma.profile).  Raises ValueError for an
        unknown profile, whatever the fleet raises for a bad command line
        (GenericError with QEMU's text), or RuntimeError with the process's
        stderr.
        """
        vm = self._new(argv, mode, name, profile)
        if mode == "fleet":
            fleet = self.fleet_thread()
            fleet.run(lambda f: self._add(f, vm))

            def remove() -> None:
                fleet.run(lambda f: f.remove(vm.name))

            self._cleanups.append(remove)
        elif mode == "subprocess":
            proc = vm.process = _spawn(vm)
            self._cleanups.append(lambda: _terminate(proc))
        else:
            raise ValueError(f"start() runs 'fleet' or 'subprocess' machines, not {mode!r}")
        return vm

    @contextlib.asynccontextmanager
    async def machine(
        self,
        *argv: str,
        mode: str = "inprocess",
        name: str | None = None,
        profile: str | None = None,
    ) -> AsyncIterator[Machine]:
        """A machine for the block, with ``vm.qmp`` connected (async tests)."""
        async with contextlib.AsyncExitStack() as stack:
            if mode == "inprocess":
                vm = self._new(argv, mode, name, profile)
                await stack.enter_async_context(_in_loop(vm))
            else:
                vm = self.start(*argv, mode=mode, name=name, profile=profile)
            vm.qmp = await stack.enter_async_context(_connected(vm))
            yield vm

    def cleanup(self) -> None:
        """Stop every machine started by start(), newest first."""
        try:
            while self._cleanups:
                self._cleanups.pop()()
        finally:
            shutil.rmtree(self._sockets, ignore_errors=True)

    def _new(
        self, argv: tuple[str, ...], mode: str, name: str | None, profile_name: str | None
    ) -> Machine:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        profile = find_profile(profile_name or DEFAULT_PROFILE.name)
        if profile is None:
            raise ValueError(unknown_profile(str(profile_name)))
        name = name or f"vm{self._count}"
        self._count += 1
        vm = Machine(name=name, argv=list(argv), mode=mode,
                     socket=self._sockets / f"{name}.sock",
                     record=self.tmp_path / f"{name}.qmp.jsonl",
                     log=self.tmp_path / f"{name}.log", profile=profile)
        self.machines.append(vm)
        return vm

    def report(self) -> str:
        """Where each machine's recording is, and what it printed."""
        lines = []
        for vm in self.machines:
            lines.append(f"{vm.name} ({vm.mode}, {vm.profile.name}): {' '.join(vm.argv)}")
            lines.append(f"  QMP traffic: {vm.record}  (scripts/replay replays it)")
            lines.extend(f"  stderr: {line}" for line in vm.log_text().splitlines())
        return "\n".join(lines)

    @staticmethod
    async def _add(fleet: Fleet, vm: Machine) -> FleetMachine:
        return await fleet.add(vm.name, _full_argv(vm), profile=vm.profile,
                               record=str(vm.record), log=str(vm.log))


def _full_argv(vm: Machine) -> list[str]:
    return [*vm.argv, "-qmp", f"unix:{vm.socket},server=on,wait=off"]


@contextlib.asynccontextmanager
async def _in_loop(vm: Machine) -> AsyncIterator[None]:
    """Run ``vm`` in the test's own event loop, trio or asyncio."""
    if sniffio.current_async_library() == "trio":
        async with open_fleet() as fleet:
            await MachineFactory._add(fleet, vm)
            yield
        return
    guest = _GuestFleet()
    await guest.start()
    try:
        await guest.run(lambda fleet: MachineFactory._add(fleet, vm))
        yield
    finally:
        await guest.aclose()


@contextlib.asynccontextmanager
async def _connected(vm: Machine) -> AsyncIterator[Any]:
    if sniffio.current_async_library() == "trio":
        client = TrioQMPClient(vm.name)
        try:
            await client.connect(str(vm.socket))
            yield client
        finally:
            await client.aclose()
        return
    async with vm.client(vm.name) as qmp:
        yield qmp


def _spawn(vm: Machine) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "qmpnuma", *_full_argv(vm), "-qmpnuma-record", str(vm.record),
            PROFILE_OPTION, vm.profile.name]
    with vm.log.open("wb") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=log)
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT
    while not _listening(vm.socket):
        if proc.poll() is not None or time.monotonic() > deadline:
            _terminate(proc)
            raise RuntimeError(f"qmpnuma did not start: {vm.log_text()}")
        time.sleep(POLL_INTERVAL)
    return proc


def _listening(path: Path) -> bool:
    """Whether a unix socket listens at ``path``, without connecting to it.

    The file appears at bind(), a moment before listen(); a client that
    connects in between is refused.  A connection to find out would use up
    the monitor's one client slot and show in the recording, so ask the
    kernel instead: /proc/net/unix flags a listening socket with
    __SO_ACCEPTCON (0x10000).
    """
    with open("/proc/net/unix", encoding="utf-8", errors="replace") as table:
        next(table)  # the header
        for line in table:
            fields = line.split(None, 7)
            named = len(fields) == 8 and fields[7].rstrip("\n") == str(path)
            if named and int(fields[3], 16) & _SO_ACCEPTCON:
                return True
    return False


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=SUBPROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def _qmpnuma_fleet_thread() -> Iterator[Callable[[], _FleetThread]]:
    started: list[_FleetThread] = []

    def get() -> _FleetThread:
        if not started:
            started.append(_FleetThread())
        return started[0]

    yield get
    for fleet in started:
        fleet.close()


_FACTORY = pytest.StashKey[MachineFactory]()


@pytest.fixture
def qmpnuma(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _qmpnuma_fleet_thread: Callable[[], _FleetThread],
) -> Iterator[MachineFactory]:
    """A factory of emulated machines; see the module docstring."""
    factory = MachineFactory(tmp_path, _qmpnuma_fleet_thread)
    request.node.stash[_FACTORY] = factory
    yield factory
    factory.cleanup()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report says where its machines' recordings are."""
    report = yield
    factory = item.stash.get(_FACTORY, None)
    if report.failed and factory is not None and factory.machines:
        report.sections.append(("qmpnuma machines", factory.report()))
    return report
