"""``qmpnuma [QEMU options]``: argv -> configuration -> machine -> serve.

Named where ``qemu-system-x86_64`` would be, it takes the same options and
prints the same diagnostics; with no options at all it serves the embedded
default machine (qmpnuma.cli.driver.DEFAULT_ARGV) and says where.

The emulated release (qmpnuma.profile) is chosen by ``-qmpnuma-profile NAME``
in argv, else by the console script (``qmpnuma-10.0`` ...), else by
``QMPNUMA_PROFILE``, else 7.2.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import trio

from qmpnuma.chardev import ChardevSockets
from qmpnuma.cli.driver import DEFAULT_ARGV, CliError, CliReporter, LaunchConfig, configure
from qmpnuma.cli.monitors import ChardevSpec
from qmpnuma.errors import GenericError
from qmpnuma.launch import new_vm, refuse_hmp_monitors
from qmpnuma.profile import (
    DEFAULT_PROFILE,
    PROFILE_ENV,
    PROFILE_OPTION,
    Profile,
    find_profile,
    unknown_profile,
)
from qmpnuma.qapi.dispatch import Dispatcher
from qmpnuma.qapi.schema import load_profile_schema
from qmpnuma.record import TrafficRecorder
from qmpnuma.server import MachineServer, MonitorEndpoint
from qmpnuma.vcpu_threads import VcpuThreads

__all__ = ["main", "main_7_2", "main_10_0", "main_seed"]

#: Signals that make QEMU shut down cleanly (os_setup_signal_handling).
TERMINATING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: The umask of a daemon (os-posix.c os_daemonize).
DAEMON_UMASK = 0o027
#: The pidfile's permissions (util/oslib-posix.c qemu_write_pidfile).
PIDFILE_MODE = 0o600


def _program_name() -> str:
    name = os.path.basename(sys.argv[0])
    return "qmpnuma" if name in ("__main__.py", "") else name


def main_7_2() -> int:
    """The ``qmpnuma-7.2`` console script."""
    return main(profile_name="7.2")


def main_10_0() -> int:
    """The ``qmpnuma-10.0`` console script."""
    return main(profile_name="10.0")


def main_seed() -> int:
    """The ``qmpnuma-seed`` console script."""
    return main(profile_name="seed")


def _choose_profile(args: list[str], script_choice: str | None) -> tuple[Profile, list[str]]:
    """The profile named by argv, the script or the environment; argv without the option.

    Raises:
        CliError: an unknown profile name, or the option without one.
    """
    name = script_choice or os.environ.get(PROFILE_ENV)
    rest: list[str] = []
    i = 0
    while i < len(args):
        # QEMU spells every option with one dash or two.
        if args[i] in (PROFILE_OPTION, f"-{PROFILE_OPTION}"):
            if i + 1 == len(args):
                raise CliError([f"{_program_name()}: {args[i]}: requires an argument"])
            name = args[i + 1]
            i += 2
            continue
        rest.append(args[i])
        i += 1
    if name is None:
        return DEFAULT_PROFILE, rest
    profile = find_profile(name)
    if profile is None:
        raise CliError([f"{_program_name()}: {unknown_profile(name)}"])
    return profile, rest


def main(argv: list[str] | None = None, profile_name: str | None = None) -> int:
    """Run one machine; ``profile_name`` is a console script's choice of profile."""
    # Shutdown signals are taken synchronously by _watch_signals, and a
    # client may send one as soon as the monitor sockets exist, during
    # option parsing: block them for good from the start.
    signal.pthread_sigmask(signal.SIG_BLOCK, TERMINATING_SIGNALS)
    reporter = CliReporter(_program_name(), sys.stderr)
    sockets = ChardevSockets(
        info=reporter.info, while_waiting=_killable, report=_unlocated(reporter)
    )
    process = _Process()
    try:
        profile, args = _choose_profile(sys.argv[1:] if argv is None else argv, profile_name)
        default = not args
        config = configure(
            list(DEFAULT_ARGV) if default else args,
            profile,
            reporter,
            sockets.open,
            process.maybe_daemonize,
        )
        refuse_hmp_monitors(config, reporter)
        with _record_file(config.record, reporter) as record:
            return trio.run(_run, config, sockets, reporter, default, process.ready_fd, record)
    except CliError as err:
        print(err.stdout, end="")
        for line in err.lines:
            print(line, file=sys.stderr)
        return err.status
    finally:
        sockets.remove_files()
        process.remove_pidfile()


def _unlocated(reporter: CliReporter) -> Callable[[str], None]:
    def report(msg: str) -> None:
        print(f"{reporter.prog}: {msg}", file=sys.stderr, flush=True)

    return report


@contextlib.contextmanager
def _killable() -> Iterator[None]:
    """While start-up blocks for a wait=on client, a signal kills us outright.

    QEMU installs its shutdown handlers only once its main loop runs, so a
    SIGTERM that comes while it waits for its first client ends it with the
    signal's default action (exit status 128+15 to a shell).
    """
    saved = {signo: signal.signal(signo, signal.SIG_DFL) for signo in TERMINATING_SIGNALS}
    signal.pthread_sigmask(signal.SIG_UNBLOCK, TERMINATING_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, TERMINATING_SIGNALS)
        for signo, handler in saved.items():
            signal.signal(signo, handler)


async def _run(
    config: LaunchConfig,
    sockets: ChardevSockets,
    reporter: CliReporter,
    default: bool,
    ready_fd: int | None,
    record: TextIO | None,
) -> int:
    profile = config.machine.profile
    threads = VcpuThreads()
    vm = new_vm(config, sockets.connected_address, threads)
    server = MachineServer(vm, Dispatcher(load_profile_schema(profile.schema_dir)))
    endpoints = [sockets.endpoint(monitor) for monitor in config.monitors]
    if record is not None:
        recorder = TrafficRecorder(record)
        endpoints = [recorder.wrap(endpoint) for endpoint in endpoints]
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(_serve, server, endpoints, reporter)
            if default:
                where = ", ".join(_address(monitor.chardev) for monitor in config.monitors)
                print(f"{reporter.prog}: default machine ready; QMP on {where}", flush=True)
            if ready_fd is not None:
                _detach(ready_fd)
    finally:
        threads.close()
    return server.exit_status


def _address(chardev: ChardevSpec) -> str:
    """Where a client connects, spelled as -qmp takes it."""
    if chardev.path is not None:
        return f"unix:{os.path.abspath(chardev.path)}"
    return chardev.describe()


async def _serve(
    server: MachineServer,
    endpoints: list[MonitorEndpoint],
    reporter: CliReporter,
    *,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_watch_signals, server, reporter)
        await server.serve(endpoints, task_status=task_status)
        nursery.cancel_scope.cancel()


async def _watch_signals(server: MachineServer, reporter: CliReporter) -> None:
    # sigwaitinfo() tells who sent the signal, which QEMU names; the signals
    # stay blocked in every thread, so only this wait receives them.
    info = await trio.to_thread.run_sync(
        signal.sigwaitinfo, TERMINATING_SIGNALS, abandon_on_cancel=True
    )
    reporter.error(_terminating_message(info))
    server.stop("host-signal")


def _terminating_message(info: signal.struct_siginfo) -> str:
    """softmmu/runstate.c main_loop_should_exit's text for a shutdown signal."""
    if info.si_pid == 0:
        # A terminal's ^C: QEMU avoids naming a sender it does not know.
        return f"terminating on signal {info.si_signo}"
    return (
        f"terminating on signal {info.si_signo} from pid {info.si_pid} "
        f"({_process_name(info.si_pid)})"
    )


def _process_name(pid: int) -> str:
    """util/oslib-posix.c qemu_get_pid_name: argv[0] from /proc."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except OSError:
        return "<unknown process>"
    return argv0.decode(errors="replace") or "<unknown process>"


@dataclass
class _Process:
    """-daemonize and -pidfile: what vl.c qemu_maybe_daemonize does."""

    #: The pipe to the waiting parent, in a daemon until it is ready.
    ready_fd: int | None = None
    _pidfile: str | None = None
    _pidfile_fd: int | None = None

    def maybe_daemonize(self, daemonize: bool, pidfile: str | None) -> None:
        """Fork if asked, then write and lock the pidfile (a Daemonizer).

        Raises:
            GenericError: ``cannot create PID file: ...`` as QEMU says it.
        """
        if daemonize:
            self.ready_fd = _daemonize()
        if pidfile is not None:
            try:
                self._pidfile_fd = _write_pidfile(pidfile)
            except GenericError as err:
                # softmmu/vl.c qemu_maybe_daemonize
                raise GenericError(f"cannot create PID file: {err.desc}") from err
            # Removed at exit by its absolute name: a daemon has left its directory.
            self._pidfile = os.path.realpath(pidfile)

    def remove_pidfile(self) -> None:
        if self._pidfile is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._pidfile)
            self._pidfile = None
        if self._pidfile_fd is not None:
            os.close(self._pidfile_fd)
            self._pidfile_fd = None


def _write_pidfile(path: str) -> int:
    """util/oslib-posix.c qemu_write_pidfile: create, lock, then write.

    The file stays locked (fcntl F_SETLK, as QEMU) while the returned fd is
    open, so a second instance on the same pidfile refuses to start.
    """
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, PIDFILE_MODE)
        except OSError as exc:
            # util/osdep.c qemu_open_internal
            raise GenericError(f"Could not create '{path}': {os.strerror(exc.errno or 0)}") from exc
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise GenericError(f"Cannot lock pid file: {os.strerror(exc.errno or 0)}") from exc
        # The file we locked must still be the one the path names: another
        # instance may have removed it meanwhile.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


@contextlib.contextmanager
def _record_file(path: str | None, reporter: CliReporter) -> Iterator[TextIO | None]:
    """The -qmpnuma-record file, open for the daemon's lifetime."""
    if path is None:
        yield None
        return
    try:
        stream = open(path, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise reporter.fail(GenericError(f"Could not open '{path}': {exc.strerror}")) from exc
    with stream:
        yield stream


def _daemonize() -> int:
    """Fork as QEMU's -daemonize does (os-posix.c os_daemonize).

    The parent exits 0 once the daemon is ready, 1 if it failed; libvirt
    runs the emulator with -daemonize and waits for that exit before it
    connects to the monitor socket.  The daemon leads a new session through
    a second fork, so that it can never regain a controlling terminal.
    Returns the pipe the daemon writes to when its sockets listen.
    """
    read_fd, write_fd = os.pipe()
    if os.fork() > 0:
        os.close(write_fd)
        ready = os.read(read_fd, 1)
        os._exit(0 if ready == b"\0" else 1)
    os.close(read_fd)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.umask(DAEMON_UMASK)
    for signo in (signal.SIGTSTP, signal.SIGTTOU, signal.SIGTTIN):
        signal.signal(signo, signal.SIG_IGN)
    return write_fd


def _detach(ready_fd: int) -> None:
    """os-posix.c os_setup_post: leave the directory and the terminal, say ready."""
    os.chdir("/")
    os.write(ready_fd, b"\0")
    os.close(ready_fd)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
