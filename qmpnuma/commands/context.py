"""What a command handler may touch: the VM and the monitor it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from qmpnuma.errors import Reporter
from qmpnuma.machine.runstate import VM

__all__ = ["CommandContext", "Monitor"]


class Monitor(Protocol):
    """The monitor session a command arrived on (monitor/qmp.c's view)."""

    @property
    def negotiating(self) -> bool:
        """True until qmp_capabilities has succeeded."""
        ...

    def enable_capabilities(self, enable: list[str]) -> None:
        """Leave capabilities negotiation with ``enable`` switched on.

        Raises CommandNotFound ``Capabilities negotiation is already
        complete, command ignored`` after negotiation, and GenericError
        ``Capability oob not available`` for a capability not offered.
        """
        ...


@dataclass
class CommandContext:
    vm: VM
    monitor: Monitor
    #: Where warnings and error_report()s of this command go; QEMU prints
    #: them on stderr without the program-name prefix.
    reporter: Reporter
    #: The HMP monitor's current CPU: human-monitor-command's ``cpu-index``
    #: (None: the first CPU, as a new HMP monitor starts with).
    hmp_cpu_index: int | None = None
