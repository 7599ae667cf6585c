"""The VM around the machine: run state and the event outbox (QEMU's runstate.c).

Pure: an event is appended to ``events`` when it happens; whoever owns the
I/O (the server) drains the outbox, stamps and delivers it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from qmpnuma.machine.guest import ScriptedGuest
    from qmpnuma.machine.machine import Machine

__all__ = ["RunState", "VM", "Event", "Chardev", "VcpuThreadIds"]


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
class Chardev:
    """A character device, as query-chardev and query-yank show it (chardev/char.c)."""

    label: str
    #: Its address as QEMU spells it (``unix:/run/q.sock,server=on``).
    address: str
    #: Socket chardevs register a yank instance (chardev/char-socket.c).
    socket: bool = True
    #: Whether its front end (a monitor) has opened it.
    frontend_open: bool = True
    #: Whether a peer is connected; the server keeps this up to date.
    connected: bool = False
    #: The address shown while connected, when it differs (an inherited fd).
    peer_address: str | None = None

    @property
    def filename(self) -> str:
        """char-socket.c: a socket without a peer says ``disconnected:``."""
        if self.socket and not self.connected:
            return f"disconnected:{self.address}"
        return self.peer_address or self.address


class VcpuThreadIds(Protocol):
    """Where vCPU thread ids come from: the shell's threads, one per vCPU."""

    def thread_ids(self, cpu_indexes: Sequence[int]) -> dict[int, int]:
        """The host thread id of each present vCPU, by cpu-index."""
        ...


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
    #: The character devices, in creation order.
    chardevs: list[Chardev] = field(default_factory=list)
    #: Migration capabilities switched on (migrate-set-capabilities).
    migration_capabilities: frozenset[str] = frozenset()
    #: Chardevs yanked by the last command; the server drops their peers.
    yanked: list[str] = field(default_factory=list)
    #: The vCPU threads; None in-process, where the caller's thread stands in.
    vcpu_threads: VcpuThreadIds | None = None
    #: -no-shutdown: a guest power-off stops the VM instead of exiting.
    no_shutdown: bool = False
    #: system_powerdown pressed the power button; the guest has not answered.
    powerdown_pending: bool = False
    #: -qmpnuma-guest scripted: the guest that answers hotplug requests.
    guest: ScriptedGuest | None = None

    @property
    def events(self) -> list[Event]:
        """Raised and not drained yet: the machine's outbox, shared by both."""
        return self.machine.events

    def emit(self, name: str, data: dict[str, object] | None = None) -> None:
        self.machine.emit(name, data)

    def run_guest(self) -> None:
        """Let the scripted guest act (after each command); a silent one never does."""
        if self.guest is not None:
            self.guest.react(self)

    def drain_yanked(self) -> list[str]:
        yanked, self.yanked = self.yanked, []
        return yanked

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
            self.machine.virtual_clock_started = True
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

    def system_powerdown(self) -> None:
        """The ACPI power button: POWERDOWN; the guest, if any, hears it."""
        self.emit("POWERDOWN")
        self.powerdown_pending = True

    def guest_shutdown(self) -> None:
        """The guest powered off (softmmu/runstate.c main_loop_should_exit).

        With -no-shutdown the VM stops in the shutdown state and the
        process stays; otherwise it exits.
        """
        self.emit("SHUTDOWN", {"guest": True, "reason": "guest-shutdown"})
        if self.no_shutdown:
            was_running = self.running
            self.runstate = RunState.SHUTDOWN
            if was_running:
                self.emit("STOP")
        else:
            self.runstate = RunState.SHUTDOWN
            self.shutdown_requested = True
