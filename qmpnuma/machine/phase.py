"""Machine creation phases (QEMU's hw/core/machine.c MachineInitPhase)."""

from __future__ import annotations

import enum

__all__ = ["Phase"]


class Phase(enum.IntEnum):
    #: Command line being parsed; no machine object yet.
    NO_MACHINE = 0
    #: The machine object exists and takes options; --preconfig waits here.
    MACHINE_CREATED = 1
    #: The accelerator exists (QEMU's preconfig actually pauses here).
    ACCEL_CREATED = 2
    #: Board init done: NUMA configuration completed, CPUs and RAM built.
    MACHINE_INITIALIZED = 3
    #: Command-line devices created; every command is allowed.
    MACHINE_READY = 4
