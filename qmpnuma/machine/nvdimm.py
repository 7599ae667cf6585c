"""nvdimm: a persistent-memory DIMM (needs ``-machine nvdimm=on``).

QEMU counterparts (7.2): hw/mem/nvdimm.c (label-size, uuid and unarmed,
nvdimm_prepare_memory_region), and the NVDIMM cases of hw/i386/pc.c
pc_memory_pre_plug / pc_memory_unplug_request and hw/acpi/piix4.c (an
NVDIMM takes no ACPI memory-hotplug slot: the NFIT describes it).

The device's region is its backend's memory without the label area at the
end, aligned down to the block's alignment.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from qmpnuma.errors import GenericError
from qmpnuma.machine.pc_dimm import PC_DIMM_PROPERTIES, PC_DIMM_QOM_ORDER, PCDIMMKind
from qmpnuma.machine.qdev import (
    DeviceClass,
    DeviceState,
    PropertyInfo,
    PropType,
    RealizedSet,
)

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine

__all__ = ["NVDIMMKind", "NVDIMM", "MIN_NAMESPACE_LABEL_SIZE"]

#: include/hw/mem/nvdimm.h MIN_NAMESPACE_LABEL_SIZE.
MIN_NAMESPACE_LABEL_SIZE = 128 << 10
#: util/uuid.c qemu_uuid_parse: 8-4-4-4-12 hex digits.
_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_NULL_UUID = "00000000-0000-0000-0000-000000000000"


def _check_label_size(type_name: str, value: object) -> None:
    """hw/mem/nvdimm.c nvdimm_set_label_size."""
    assert isinstance(value, int)
    if value < MIN_NAMESPACE_LABEL_SIZE:
        raise GenericError(
            f"Property '{type_name}.label-size' (0x{value:x}) is required at least "
            f"0x{MIN_NAMESPACE_LABEL_SIZE:x}"
        )


def _check_uuid(type_name: str, value: object) -> None:
    """hw/mem/nvdimm.c nvdimm_set_uuid."""
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise GenericError(f"Property '{type_name}.uuid' has invalid value")


#: nvdimm's properties: pc-dimm's, then nvdimm_properties and nvdimm_init's.
NVDIMM_PROPERTIES = (
    *PC_DIMM_PROPERTIES,
    PropertyInfo("unarmed", PropType.BOOL, False),
    # nvdimm_set_uuid takes a new uuid at any time.
    PropertyInfo(
        "uuid",
        PropType.STR,
        _NULL_UUID,
        qom_type="QemuUUID",
        check=_check_uuid,
        realized_set=RealizedSet.ALLOWED,
    ),
    # nvdimm_set_label_size refuses once the region is prepared.
    PropertyInfo(
        "label-size",
        PropType.SIZE,
        0,
        qom_type="int",
        check=_check_label_size,
        realized_set=RealizedSet.LOCKED,
    ),
    PropertyInfo("nvdimm-memory[0]", PropType.STR, writable=False, qom_type="child<memory-region>"),
)
#: qom-list order on QEMU 7.2 (the region child exists once realized).
NVDIMM_QOM_ORDER = (
    *PC_DIMM_QOM_ORDER[:-1], "unarmed", "uuid", "label-size", "size", "nvdimm-memory[0]",
)  # fmt: skip


class NVDIMMKind(PCDIMMKind):
    info_type = "nvdimm"

    def check_enabled(self, machine: Machine) -> None:
        # hw/i386/pc.c pc_memory_pre_plug
        if not machine.properties.get("nvdimm"):
            raise GenericError("nvdimm is not enabled: missing 'nvdimm' in '-M'")

    def uses_acpi_slot(self) -> bool:
        return False

    def check_unpluggable(self) -> None:
        # hw/i386/pc.c pc_memory_unplug_request
        raise GenericError("nvdimm device hot unplug is not supported yet.")

    def get_region_size(self, machine: Machine, dev: DeviceState) -> int:
        """nvdimm_prepare_memory_region: the PMEM part, label excluded.

        Raises:
            GenericError: no memdev; label and aligned PMEM do not fit; an
            armed NVDIMM on a read-only backend.
        """
        backend = self.memdev(machine, dev)
        if backend is None:
            raise GenericError("'memdev' property must be set")
        label_size = dev.props["label-size"]
        assert isinstance(label_size, int)
        align = backend.block_align
        pmem_size = (backend.size - label_size) // align * align
        if backend.size <= label_size or pmem_size <= 0:
            raise GenericError(
                f"the size of memdev {backend.id} (0x{backend.size:x}) is too small to "
                f"contain nvdimm label (0x{label_size:x}) and aligned PMEM (0x{align:x})"
            )
        if not dev.props["unarmed"] and backend.readonly:
            raise GenericError(
                f"'unarmed' property must be 'on' since memdev {backend.id} is read-only"
            )
        return pmem_size

    def get_property(self, machine: Machine, dev: DeviceState, name: str) -> object:
        if name == "uuid":
            return str(dev.props["uuid"]).lower()
        return super().get_property(machine, dev, name)


NVDIMM = DeviceClass(
    "nvdimm", NVDIMMKind(), properties=NVDIMM_PROPERTIES, qom_order=NVDIMM_QOM_ORDER
)
