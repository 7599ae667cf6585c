"""The ACPI device's CPU hotplug interface: legacy or modern mode.

QEMU counterparts (7.2): the CPU branches of hw/acpi/piix4.c and
hw/acpi/ich9.c (``cpu_hotplug_legacy``, the device's unplug_request and
unplug callbacks) and hw/acpi/cpu.c (acpi_cpu_unplug_request_cb,
acpi_cpu_unplug_cb).

PIIX4 PM (pc) and ICH9 LPC (q35) start in legacy mode, which cannot
unplug CPUs at all; a guest switches them to the modern interface by
writing to the legacy status port (cpu_status_write,
acpi_switch_to_modern_cphp).  In modern mode an unplug request only marks
the CPU as being removed and notifies the guest; the CPU goes away when
the guest ejects it.  No guest is modelled yet, so only a caller that plays
the guest's part (``switch_to_modern``) leaves legacy mode.
"""

from __future__ import annotations

from qmpnuma.errors import GenericError

__all__ = ["AcpiCpuHotplug"]


class AcpiCpuHotplug:
    """The CPU hotplug state of one ACPI device (PIIX4 PM or ICH9 LPC)."""

    def __init__(self) -> None:
        #: ``cpu_hotplug_legacy``: true from reset until the guest switches.
        self.legacy = True
        #: cpu-index of every CPU whose unplug was requested and not yet ejected.
        self._removing: set[int] = set()

    def switch_to_modern(self) -> None:
        """What the guest's write of 0 to the legacy status port does (one-way)."""
        self.legacy = False

    def is_removing(self, cpu_index: int) -> bool:
        return cpu_index in self._removing

    def unplug_request(self, cpu_index: int, qom_type: str) -> None:
        """Ask the guest to eject a CPU (the device's unplug_request callback).

        Raises:
            GenericError: in legacy mode, which has no CPU unplug.
        """
        if self.legacy:
            # hw/acpi/piix4.c piix4_device_unplug_request_cb,
            # hw/acpi/ich9.c ich9_pm_device_unplug_request_cb (7.2)
            raise GenericError(
                f"acpi: device unplug request for not supported device type: {qom_type}"
            )
        self._removing.add(cpu_index)

    def unplug(self, cpu_index: int) -> None:
        """The guest ejected the CPU: forget the pending request (acpi_cpu_unplug_cb)."""
        self._removing.discard(cpu_index)
