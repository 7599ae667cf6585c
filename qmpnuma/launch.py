"""What a checked command line starts: the VM, and the monitors we refuse.

Shared by the one-machine daemon (__main__) and the fleet, so that a
command line means the same in both.
"""

from __future__ import annotations

from qmpnuma.cli.driver import CliReporter, LaunchConfig
from qmpnuma.cli.monitors import MonitorMode
from qmpnuma.errors import GenericError
from qmpnuma.machine.phase import Phase
from qmpnuma.machine.runstate import VM, RunState

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


def new_vm(config: LaunchConfig) -> VM:
    """The VM of a configured machine, in the run state QEMU starts it in."""
    vm = VM(config.machine, autostart=not config.start_paused, name=config.name)
    if config.machine.phase is Phase.MACHINE_READY and vm.autostart:
        # No monitor is connected yet, so nobody hears this RESUME (as in QEMU).
        vm.runstate = RunState.RUNNING
    return vm
