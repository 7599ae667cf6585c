"""What a checked command line starts: the VM, and the monitors we refuse.

Shared by the one-machine daemon (__main__) and the fleet, so that a
command line means the same in both.
"""

from __future__ import annotations

from collections.abc import Callable

from qmpnuma.cli.driver import CliReporter, LaunchConfig
from qmpnuma.cli.monitors import ChardevSpec, MonitorMode
from qmpnuma.errors import GenericError
from qmpnuma.machine.guest import GuestMode, ScriptedGuest
from qmpnuma.machine.phase import Phase
from qmpnuma.machine.runstate import VM, Chardev, RunState, VcpuThreadIds

__all__ = ["new_vm", "refuse_hmp_monitors"]


def refuse_hmp_monitors(config: LaunchConfig, reporter: CliReporter) -> None:
    """Fail as the command line would on a monitor we do not emulate.

    Raises:
        CliError: through ``reporter``, located at the monitor's option.
    """
    for monitor in config.monitors:
        if monitor.mode is MonitorMode.READLINE:
            with reporter.at(monitor.chardev.location):
                raise reporter.fail(GenericError(
                    "HMP monitors (mode=readline) are not emulated; "
                    "use a QMP monitor (-qmp, or -mon mode=control)"
                ))


def new_vm(
    config: LaunchConfig,
    connected_address: Callable[[ChardevSpec], str],
    vcpu_threads: VcpuThreadIds | None = None,
) -> VM:
    """The VM of a configured machine, in the run state QEMU starts it in.

    ``connected_address`` names a monitor chardev's address while a peer is
    connected (the shell knows its sockets); ``vcpu_threads`` gives the vCPUs
    host threads (None in a fleet, where the caller's thread stands in).
    """
    vm = VM(config.machine, autostart=not config.start_paused, name=config.name)
    vm.chardevs = [
        Chardev(m.chardev.id, m.chardev.describe(), peer_address=connected_address(m.chardev))
        for m in config.monitors
    ]
    vm.chardevs += [Chardev(label, name, socket=False) for label, name in config.char_backends]
    vm.no_shutdown = config.no_shutdown
    if config.guest is GuestMode.SCRIPTED:
        vm.guest = ScriptedGuest()
    if vcpu_threads is not None:
        # QEMU's vCPU threads exist from board init on.
        vm.vcpu_threads = vcpu_threads
        vcpu_threads.thread_ids([slot.index for slot in config.machine.present_cpus])
    if config.machine.phase is Phase.MACHINE_READY and vm.autostart:
        # No monitor is connected yet, so nobody hears this RESUME (as in QEMU).
        vm.runstate = RunState.RUNNING
        vm.machine.virtual_clock_started = True
    return vm
