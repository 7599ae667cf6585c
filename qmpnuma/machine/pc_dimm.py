"""pc-dimm: a DIMM on the pc and q35 boards.

QEMU counterparts (7.2): hw/mem/pc-dimm.c (properties, pc_dimm_pre_plug,
pc_dimm_get_free_slot, pc_dimm_realize, pc_dimm_md_fill_device_info),
hw/i386/pc.c (pc_memory_pre_plug, pc_memory_plug, pc_memory_unplug_request,
pc_memory_unplug) and hw/acpi/piix4.c / ich9.c with hw/acpi/memory_hotplug.c
(the ACPI device's memory hotplug slots).

The DIMM's RAM is its memdev's RAM block: plugging maps the backend into the
guest (the backend becomes "mapped", so busy and not deletable); it creates
no block.  nvdimm (nvdimm.py) extends this kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qmpnuma.errors import GenericError
from qmpnuma.machine.backends import MemoryBackend
from qmpnuma.machine.memory import TARGET_PAGE_SIZE
from qmpnuma.machine.memory_device import (
    MemoryDeviceKind,
    memory_device_plug,
    memory_device_pre_plug,
    memory_device_unplug,
)
from qmpnuma.machine.objects import OBJECTS_ROOT
from qmpnuma.machine.qdev import (
    DeviceClass,
    DeviceState,
    PropertyInfo,
    PropType,
    RealizedSet,
)

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine

__all__ = [
    "PCDIMMKind",
    "PC_DIMM",
    "PC_DIMM_PROPERTIES",
    "PC_DIMM_QOM_ORDER",
    "dimm_slots",
    "dimm_acpi_slots",
]

#: include/hw/mem/pc-dimm.h PC_DIMM_UNASSIGNED_SLOT.
PC_DIMM_UNASSIGNED_SLOT = -1
#: hw/acpi/memory_hotplug.c: the ACPI device of each board, for its texts.
_ACPI_DEVICE_TYPE = {"i440fx": "PIIX4_PM", "q35": "ICH9-LPC"}
#: hw/i386/pc.c pc_compat_2_0: memory-hotplug-support=off before 2.1.
_MEMORY_HOTPLUG_SINCE = (2, 1)

#: hw/mem/pc-dimm.c pc_dimm_properties, and the size property of pc_dimm_init.
PC_DIMM_PROPERTIES = (
    PropertyInfo("addr", PropType.UINT64, 0),
    PropertyInfo("node", PropType.UINT32, 0),
    PropertyInfo("slot", PropType.INT32, PC_DIMM_UNASSIGNED_SLOT),
    PropertyInfo("memdev", PropType.MEMDEV, None, realized_set=RealizedSet.LINK),
    PropertyInfo("legacy-memdev", PropType.STR, writable=False, readable=False),
    PropertyInfo("size", PropType.UINT64, writable=False),
)
#: qom-list order on QEMU 7.2.
PC_DIMM_QOM_ORDER = (
    "type", "parent_bus", "realized", "hotplugged", "hotpluggable", "memdev", "node",
    "addr", "legacy-memdev", "slot", "size",
)  # fmt: skip


def _acpi_enabled(machine: Machine) -> bool:
    """x86ms->acpi_dev && x86_machine_is_acpi_enabled."""
    return machine.has_acpi_device and machine.properties.get("acpi") != "off"


def _dimm_kind(dev: DeviceState) -> PCDIMMKind:
    kind = dev.dc.kind
    assert isinstance(kind, PCDIMMKind)
    return kind


def dimm_slots(machine: Machine) -> dict[int, DeviceState]:
    """The plugged DIMMs by slot (pc_dimm_slot2bitmap)."""
    slots: dict[int, DeviceState] = {}
    for dev in machine.qdev.devices:
        if isinstance(dev.dc.kind, PCDIMMKind):
            slot = dev.props["slot"]
            assert isinstance(slot, int)
            slots[slot] = dev
    return slots


def dimm_acpi_slots(machine: Machine) -> dict[int, DeviceState]:
    """The DIMMs the ACPI memory hotplug slots hold (acpi_memory_plug_cb).

    NVDIMMs go through the NVDIMM ACPI code instead and hold no slot.
    """
    return {s: d for s, d in dimm_slots(machine).items() if _dimm_kind(d).uses_acpi_slot()}


class PCDIMMKind(MemoryDeviceKind):
    """pc-dimm's hooks; the machine's hotplug handler is pc.c's."""

    info_type = "dimm"

    def has_hotplug_handler(self, machine: Machine) -> bool:
        # pc_get_hotplug_handler claims every pc-dimm; ``none`` has no handler.
        return machine.mc.family != "none"

    def memdev(self, machine: Machine, dev: DeviceState) -> MemoryBackend | None:
        ident = dev.props["memdev"]
        return None if ident is None else machine.user_objects.backend(str(ident))

    def get_region_size(self, machine: Machine, dev: DeviceState) -> int:
        backend = self.memdev(machine, dev)
        if backend is None:
            # pc_dimm_get_memory_region
            raise GenericError("'memdev' property must be set")
        return backend.size

    def get_min_alignment(self, machine: Machine, dev: DeviceState) -> int:
        # pc-dimm has no get_min_alignment: its region's alignment decides.
        return self.get_region_alignment(machine, dev)

    def get_region_alignment(self, machine: Machine, dev: DeviceState) -> int:
        backend = self.memdev(machine, dev)
        assert backend is not None
        return backend.block_align

    def pre_plug(self, machine: Machine, dev: DeviceState) -> None:
        """pc_memory_pre_plug, then pc_dimm_realize's checks."""
        self.pc_memory_pre_plug(machine, dev)
        self.realize(machine, dev)

    def pc_memory_pre_plug(self, machine: Machine, dev: DeviceState) -> None:
        """hw/i386/pc.c pc_memory_pre_plug (the nvdimm check is nvdimm.py's)."""
        if not _acpi_enabled(machine):
            raise GenericError(
                "memory hotplug is not enabled: missing acpi device or acpi disabled"
            )
        self.check_enabled(machine)
        if machine.mc.version < _MEMORY_HOTPLUG_SINCE:
            # hw/acpi/piix4.c piix4_device_pre_plug_cb
            acpi = _ACPI_DEVICE_TYPE[machine.mc.family]
            raise GenericError(
                f"memory hotplug is not enabled: {acpi}.memory-hotplug-support is not set"
            )
        self.pc_dimm_pre_plug(machine, dev)

    def uses_acpi_slot(self) -> bool:
        return True

    def check_enabled(self, machine: Machine) -> None:
        """The device kind's own machine switch (nvdimm's -M nvdimm=on)."""

    def pc_dimm_pre_plug(self, machine: Machine, dev: DeviceState) -> None:
        """hw/mem/pc-dimm.c pc_dimm_pre_plug: the slot, then the address."""
        slot = dev.props["slot"]
        assert isinstance(slot, int)
        ram_slots = machine.ram_slots
        if (slot < 0 or slot >= ram_slots) and slot != PC_DIMM_UNASSIGNED_SLOT:
            # ram_slots - 1 is printed as a uint64_t.
            raise GenericError(
                f"invalid slot number {slot}, valid range is [0-{(ram_slots - 1) % (1 << 64)}]"
            )
        dev.props["slot"] = self._get_free_slot(
            machine, None if slot == PC_DIMM_UNASSIGNED_SLOT else slot
        )
        legacy = None if machine.mc.enforce_aligned_dimm else TARGET_PAGE_SIZE
        memory_device_pre_plug(machine, dev, legacy)

    @staticmethod
    def _get_free_slot(machine: Machine, hint: int | None) -> int:
        """hw/mem/pc-dimm.c pc_dimm_get_free_slot."""
        max_slots = machine.ram_slots
        if max_slots <= 0:
            # sic: "where"
            raise GenericError("no slots where allocated, please specify the 'slots' option")
        used = dimm_slots(machine)
        if hint is not None:
            if hint >= max_slots:
                raise GenericError(f"invalid slot# {hint}, should be less than {max_slots}")
            if hint in used:
                raise GenericError(f"slot {hint} is busy")
            return hint
        free = next((s for s in range(max_slots) if s not in used), None)
        if free is None:
            raise GenericError("no free slots available")
        return free

    def realize(self, machine: Machine, dev: DeviceState) -> None:
        """hw/mem/pc-dimm.c pc_dimm_realize's checks."""
        node = dev.props["node"]
        assert isinstance(node, int)
        numa = machine.numa
        if numa is not None:
            nb_nodes = numa.num_nodes
            if (nb_nodes > 0 and node >= nb_nodes) or (not nb_nodes and node):
                raise GenericError(
                    f"'DIMM property node has value {node}' which exceeds the number of "
                    f"numa nodes: {nb_nodes or 1}"
                )
        elif node > 0:
            raise GenericError("machine doesn't support NUMA")
        backend = self.memdev(machine, dev)
        if backend is None:
            raise GenericError("'memdev' property is not set")
        if machine.is_mapped(backend.id):
            raise GenericError(f"can't use already busy memdev: {backend.id}")

    def plug(self, machine: Machine, dev: DeviceState) -> None:
        """pc_dimm_realize's mapping, then pc_memory_plug (region, ACPI slot)."""
        backend = self.memdev(machine, dev)
        assert backend is not None
        machine.user_objects.set_mapped(backend.id, True)
        memory_device_plug(machine, dev)

    def unplug_request(self, machine: Machine, dev: DeviceState) -> None:
        """hw/i386/pc.c pc_memory_unplug_request: the guest is asked (ACPI)."""
        if not _acpi_enabled(machine):
            raise GenericError(
                "memory hotplug is not enabled: missing acpi device or acpi disabled"
            )
        self.check_unpluggable()
        if machine.mc.version < _MEMORY_HOTPLUG_SINCE:
            # hw/acpi/piix4.c piix4_device_unplug_request_cb
            raise GenericError(
                f"acpi: device unplug request for not supported device type: {dev.dc.name}"
            )

    def check_unpluggable(self) -> None:
        """The device kind's own refusal (nvdimm's)."""

    def unplug(self, machine: Machine, dev: DeviceState) -> None:
        """pc_memory_unplug, then pc_dimm_unrealize: the backend is free again."""
        backend = self.memdev(machine, dev)
        assert backend is not None
        memory_device_unplug(machine, dev)
        machine.user_objects.set_mapped(backend.id, False)

    def get_property(self, machine: Machine, dev: DeviceState, name: str) -> object:
        if name == "size":
            return self.get_region_size(machine, dev)
        if name == "memdev":
            backend = self.memdev(machine, dev)
            return "" if backend is None else f"{OBJECTS_ROOT}/{backend.id}"
        return dev.props[name]

    def fill_device_info(self, machine: Machine, dev: DeviceState) -> dict[str, object]:
        """hw/mem/pc-dimm.c pc_dimm_md_fill_device_info (PCDIMMDeviceInfo)."""
        info: dict[str, object] = {}
        if dev.id is not None:
            info["id"] = dev.id
        info.update(
            {
                "addr": dev.props["addr"],
                "size": self.get_region_size(machine, dev),
                "slot": dev.props["slot"],
                "node": dev.props["node"],
                "memdev": self.get_property(machine, dev, "memdev"),
                "hotplugged": dev.hotplugged,
                "hotpluggable": dev.dc.hotpluggable,
            }
        )
        return info


PC_DIMM = DeviceClass(
    "pc-dimm", PCDIMMKind(), properties=PC_DIMM_PROPERTIES, qom_order=PC_DIMM_QOM_ORDER
)
