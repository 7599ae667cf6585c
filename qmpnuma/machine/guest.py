"""The scripted guest: a deterministic stand-in for a cooperative guest OS.

qmpnuma runs no guest code; by default the guest is silent, as a QEMU
guest without drivers is: unplug requests stay pending and virtio-mem
devices never change size.  With ``-qmpnuma-guest scripted`` the guest
does, at the end of every QMP command and while the VM runs, what a Linux
guest with ACPI hotplug and virtio-mem drivers does:

1. On first running (``cont``, or start without -S) it switches the ACPI
   CPU hotplug interface to its modern mode, as Linux does at boot
   (hw/acpi/cpu_hotplug.c cpu_status_write); only then can CPUs be
   unplugged.
2. Every pending unplug request (device_del of a DIMM or a CPU) is
   granted: the device is ejected (DEVICE_DELETED, its slot and address
   freed), then the guest's _OST reports success (ACPI_DEVICE_OST, source
   3 = eject, status 0, without a device id since the device is gone).
3. Every virtio-mem device whose size differs from its requested size is
   moved to it one block at a time (hw/virtio/virtio-mem.c plug and
   unplug requests), within its usable region.  QEMU's monitor throttles
   MEMORY_DEVICE_SIZE_CHANGE to one per second and QOM path, keeping the
   last size: a burst is delivered as its first and last event.
4. The ACPI power button (system_powerdown) shuts the guest down:
   SHUTDOWN (guest, guest-shutdown), then as -no-shutdown says, STOP and
   the shutdown state, or the end of the process.

Everything happens in the model, in a fixed order (devices in creation
order), so a scenario replays identically; events come before the reply
of the command that triggered them.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from qmpnuma.machine.qdev import DeviceState, qdev_unplug_complete
from qmpnuma.machine.virtio_mem import VirtioMEMPCIKind
from qmpnuma.machine.x86_cpu import X86CPU, X86CPUKind

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine
    from qmpnuma.machine.runstate import VM

__all__ = ["GuestMode", "ScriptedGuest"]

#: qapi/acpi.json ACPIOSTInfo: include/hw/acpi/acpi_dev_interface.h
#: ACPI_OST_EVENT_EJECT (0x103 & 0xff) and ACPI_OST_SUCCESS.
OST_SOURCE_EJECT = 3
OST_STATUS_SUCCESS = 0
SIZE_CHANGE_EVENT = "MEMORY_DEVICE_SIZE_CHANGE"


class GuestMode(enum.Enum):
    """``-qmpnuma-guest``: how the emulated guest behaves."""

    #: No driver answers: QEMU's behaviour without a guest OS (the default).
    SILENT = "silent"
    #: The deterministic cooperative guest of this module.
    SCRIPTED = "scripted"


class ScriptedGuest:
    """A cooperative guest; ``react`` runs after every command."""

    def __init__(self) -> None:
        self.booted = False

    def react(self, vm: VM) -> None:
        """Do what the guest does now; only a running guest does anything."""
        if not vm.running:
            return
        machine = vm.machine
        if not self.booted:
            self._boot(machine)
        for dev in list(machine.qdev.devices):
            if dev.unplug_requests:
                self._eject(machine, dev)
            elif isinstance(dev.dc.kind, VirtioMEMPCIKind):
                self._resize(machine, dev, dev.dc.kind)
        if vm.powerdown_pending:
            # ACPI's power button: the guest shuts itself down.
            vm.powerdown_pending = False
            vm.guest_shutdown()

    def _boot(self, machine: Machine) -> None:
        self.booted = True
        if machine.cpus is not None and machine.cpus.acpi is not None:
            machine.cpus.acpi.switch_to_modern()

    @staticmethod
    def _eject(machine: Machine, dev: DeviceState) -> None:
        ost = _ost_slot(dev)
        qdev_unplug_complete(machine, dev)
        if ost is not None:
            slot, slot_type = ost
            machine.emit("ACPI_DEVICE_OST", {"info": {
                "slot": slot, "slot-type": slot_type,
                "source": OST_SOURCE_EJECT, "status": OST_STATUS_SUCCESS,
            }})  # fmt: skip

    @staticmethod
    def _resize(machine: Machine, dev: DeviceState, kind: VirtioMEMPCIKind) -> None:
        before = len(machine.events)
        kind.guest_resize(machine, dev)
        burst = [e for e in machine.events[before:] if e[0] == SIZE_CHANGE_EVENT]
        # monitor/monitor.c's rate limit: the first now, the last at the end.
        machine.events[before:] = burst[:1] + burst[-1:] if len(burst) > 1 else burst


def _ost_slot(dev: DeviceState) -> tuple[str, str] | None:
    """The ACPI slot an ejected device leaves: a DIMM's slot, a CPU's index."""
    if isinstance(dev.dc.kind, X86CPUKind):
        cpu = dev.state["cpu"]
        assert isinstance(cpu, X86CPU)
        return str(cpu.cpu_index), "CPU"
    if "slot" in dev.props and dev.dc.name in ("pc-dimm", "nvdimm"):
        return str(dev.props["slot"]), "DIMM"
    return None
