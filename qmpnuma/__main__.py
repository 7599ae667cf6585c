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
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import trio

from qmpnuma.chardev import ChardevSockets
from qmpnuma.cli.driver import DEFAULT_ARGV, CliError, CliReporter, LaunchConfig, configure
from qmpnuma.cli.monitors import ChardevSpec, MonitorMode
from qmpnuma.errors import GenericError
from qmpnuma.machine.phase import Phase
from qmpnuma.machine.runstate import VM, RunState
from qmpnuma.profile import (
    DEFAULT_PROFILE,
    PROFILE_ENV,
    PROFILE_OPTION,
    PROFILES,
    Profile,
    find_profile,
)
from qmpnuma.qapi.dispatch import Dispatcher
from qmpnuma.qapi.schema import load_profile_schema
from qmpnuma.server import MachineServer, MonitorEndpoint

__all__ = ["main", "main_7_2", "main_10_0", "main_seed"]

#: Signals that make QEMU shut down cleanly (os_setup_signal_handling).
TERMINATING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


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
        known = ", ".join(PROFILES)
        raise CliError([f"{_program_name()}: unknown profile '{name}' (known: {known})"])
    return profile, rest


def main(argv: list[str] | None = None, profile_name: str | None = None) -> int:
    """Run one machine; ``profile_name`` is a console script's choice of profile."""
    # Shutdown signals are taken synchronously by _watch_signals, and a
    # client may send one as soon as the monitor sockets exist, during
    # option parsing: block them for good from the start.
    signal.pthread_sigmask(signal.SIG_BLOCK, TERMINATING_SIGNALS)
    reporter = CliReporter(_program_name(), sys.stderr)
    sockets = ChardevSockets(info=reporter.info)
    try:
        profile, args = _choose_profile(sys.argv[1:] if argv is None else argv, profile_name)
        default = not args
        config = configure(
            list(DEFAULT_ARGV) if default else args, profile, reporter, sockets.open
        )
        _refuse_hmp_monitors(config, reporter)
        ready_fd = _daemonize() if config.daemonize else None
        with _pidfile(config.pidfile):
            return trio.run(_run, config, sockets, reporter, default, ready_fd)
    except CliError as err:
        print(err.stdout, end="")
        for line in err.lines:
            print(line, file=sys.stderr)
        return err.status
    finally:
        sockets.remove_files()


def _refuse_hmp_monitors(config: LaunchConfig, reporter: CliReporter) -> None:
    for monitor in config.monitors:
        if monitor.mode is MonitorMode.READLINE:
            with reporter.at(monitor.chardev.location):
                raise reporter.fail(GenericError(
                    "HMP monitors (mode=readline) are not emulated; "
                    "use a QMP monitor (-qmp, or -mon mode=control)"
                ))


def _new_vm(config: LaunchConfig) -> VM:
    vm = VM(config.machine, autostart=not config.start_paused, name=config.name)
    if config.machine.phase is Phase.MACHINE_READY and vm.autostart:
        # No monitor is connected yet, so nobody hears this RESUME (as in QEMU).
        vm.runstate = RunState.RUNNING
    return vm


async def _run(
    config: LaunchConfig,
    sockets: ChardevSockets,
    reporter: CliReporter,
    default: bool,
    ready_fd: int | None,
) -> int:
    profile = config.machine.profile
    dispatcher = Dispatcher(load_profile_schema(profile.schema_dir))
    server = MachineServer(_new_vm(config), dispatcher, profile)
    endpoints = [sockets.endpoint(monitor) for monitor in config.monitors]
    async with trio.open_nursery() as nursery:
        await nursery.start(_serve, server, endpoints, reporter)
        if default:
            where = ", ".join(_address(monitor.chardev) for monitor in config.monitors)
            print(f"{reporter.prog}: default machine ready; QMP on {where}", flush=True)
        if ready_fd is not None:
            _detach(ready_fd)
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


@contextlib.contextmanager
def _pidfile(path: str | None) -> Iterator[None]:
    if path is None:
        yield
        return
    Path(path).write_text(f"{os.getpid()}\n")
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _daemonize() -> int:
    """Fork as QEMU's -daemonize does: the parent exits 0 once the child is ready.

    libvirt runs the emulator with -daemonize and waits for that exit before
    it connects to the monitor socket.  Returns the pipe the child writes to
    when its sockets listen.
    """
    read_fd, write_fd = os.pipe()
    if os.fork() > 0:
        os.close(write_fd)
        ready = os.read(read_fd, 1)
        os._exit(0 if ready == b"\0" else 1)
    os.close(read_fd)
    os.setsid()
    return write_fd


def _detach(ready_fd: int) -> None:
    """Tell the waiting parent we are up, and let go of the terminal."""
    os.write(ready_fd, b"\0")
    os.close(ready_fd)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
