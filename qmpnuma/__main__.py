"""``qmpnuma [QEMU options]``: argv -> configuration -> machine -> serve.

Named where ``qemu-system-x86_64`` would be, it takes the same options and
prints the same diagnostics; with no options at all it serves the embedded
default machine (qmpnuma.cli.driver.DEFAULT_ARGV) and says where.
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
from qmpnuma.machine.guest import GuestMode, ScriptedGuest
from qmpnuma.machine.phase import Phase
from qmpnuma.machine.runstate import VM, Chardev, RunState
from qmpnuma.profile import DEFAULT_PROFILE
from qmpnuma.qapi.dispatch import Dispatcher
from qmpnuma.qapi.schema import load_schema
from qmpnuma.server import MachineServer, MonitorEndpoint
from qmpnuma.vcpu_threads import VcpuThreads

__all__ = ["main"]

#: Signals that make QEMU shut down cleanly (os_setup_signal_handling).
TERMINATING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _program_name() -> str:
    name = os.path.basename(sys.argv[0])
    return "qmpnuma" if name in ("__main__.py", "") else name


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # Shutdown signals are taken synchronously by _watch_signals, and a
    # client may send one as soon as the monitor sockets exist, during
    # option parsing: block them for good from the start.
    signal.pthread_sigmask(signal.SIG_BLOCK, TERMINATING_SIGNALS)
    default = not args
    reporter = CliReporter(_program_name(), sys.stderr)
    sockets = ChardevSockets(info=reporter.info)
    try:
        config = configure(
            list(DEFAULT_ARGV) if default else args, DEFAULT_PROFILE, reporter, sockets.open
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


def _new_vm(config: LaunchConfig, sockets: ChardevSockets, threads: VcpuThreads) -> VM:
    vm = VM(config.machine, autostart=not config.start_paused, name=config.name)
    vm.chardevs = [
        Chardev(
            m.chardev.id, m.chardev.describe(), peer_address=sockets.connected_address(m.chardev)
        )
        for m in config.monitors
    ]
    vm.chardevs += [Chardev(label, name, socket=False) for label, name in config.char_backends]
    vm.vcpu_threads = threads
    vm.no_shutdown = config.no_shutdown
    if config.guest is GuestMode.SCRIPTED:
        vm.guest = ScriptedGuest()
    # QEMU's vCPU threads exist from board init on.
    threads.thread_ids([slot.index for slot in config.machine.present_cpus])
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
    threads = VcpuThreads()
    vm = _new_vm(config, sockets, threads)
    server = MachineServer(vm, Dispatcher(load_schema()), DEFAULT_PROFILE)
    endpoints = [sockets.endpoint(monitor) for monitor in config.monitors]
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
