"""The device types qmpnuma's qemu-system-x86_64 offers to -device / device_add.

One place lists them: a device kind module defines its DeviceClass (or a
family resolver for a whole family of type names) and adds it here.
"""

from __future__ import annotations

from qmpnuma.machine.nvdimm import NVDIMM
from qmpnuma.machine.pc_dimm import PC_DIMM
from qmpnuma.machine.pci_devices import PIIX3_USB_UHCI, VIRTIO_BALLOON_PCI, device_alias
from qmpnuma.machine.qdev import DeviceClass, DeviceRegistry
from qmpnuma.machine.virtio_mem import VIRTIO_MEM_PCI
from qmpnuma.machine.virtio_pmem import VIRTIO_PMEM_PCI
from qmpnuma.machine.x86_cpu import X86_CPU_TYPES

__all__ = ["DEVICE_TYPES"]

#: hw/core/qdev.c TYPE_DEVICE: abstract, so device_add refuses it by name.
_DEVICE = DeviceClass("device", abstract=True)

DEVICE_TYPES = DeviceRegistry.of(
    [_DEVICE, *X86_CPU_TYPES, PC_DIMM, NVDIMM, VIRTIO_MEM_PCI, VIRTIO_PMEM_PCI,
     PIIX3_USB_UHCI, VIRTIO_BALLOON_PCI],
    [device_alias],
)  # fmt: skip
