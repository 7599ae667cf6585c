"""The VM around the machine: run state and the event outbox (QEMU's runstate.c).

Pure: an event is appended to ``events`` when it happens; whoever owns the
I/O (the server) drains the outbox, stamps and delivers it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine

__all__ = ["RunState", "VM", "Event"]


class RunState(enum.Enum):
    """The subset of QAPI's RunState that a machine without a guest reaches."""

    #: Before the first ``cont``: with -S, and during --preconfig.
    PRELAUNCH = "prelaunch"
    #: Running (without -S, or after ``cont``).
    RUNNING = "running"
    #: Stopped by ``stop``.
    PAUSED = "paused"
    #: ``quit`` was requested; the process is about to exit.
    SHUTDOWN = "shutdown"


#: An event as the model raises it: its name and its data (None: no data).
Event = tuple[str, "dict[str, object] | None"]


@dataclass
class VM:
    machine: Machine
    #: False with -S: the VM stays in prelaunch once the machine is built.
    autostart: bool = True
    #: -name (query-name, info name).
    name: str | None = None
    runstate: RunState = RunState.PRELAUNCH
    #: Set by ``quit``; the server exits once the reply is out.
    shutdown_requested: bool = False

    @property
    def events(self) -> list[Event]:
        """Raised and not drained yet: the machine's outbox, shared by both."""
        return self.machine.events

    def emit(self, name: str, data: dict[str, object] | None = None) -> None:
        self.machine.emit(name, data)

    def drain_events(self) -> list[Event]:
        events, self.machine.events = self.machine.events, []
        return events

    @property
    def running(self) -> bool:
        return self.runstate is RunState.RUNNING

    def vm_start(self) -> None:
        """Start the vCPUs (vm_start): a RESUME event unless already running."""
        if self.runstate is not RunState.RUNNING:
            self.runstate = RunState.RUNNING
            self.emit("RESUME")

    def vm_stop(self) -> None:
        """Pause a running VM (do_vm_stop): only a running VM stops and says STOP."""
        if self.runstate is RunState.RUNNING:
            self.runstate = RunState.PAUSED
            self.emit("STOP")

    def request_shutdown(self, reason: str) -> None:
        self.runstate = RunState.SHUTDOWN
        self.shutdown_requested = True
        self.emit("SHUTDOWN", {"guest": False, "reason": reason})
