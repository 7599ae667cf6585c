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
from qmpnuma.machine.x86_cpu import x86_cpu_types
from qmpnuma.profile import Profile

__all__ = ["DEVICE_TYPES", "device_types"]

#: hw/core/qdev.c TYPE_DEVICE: abstract, so device_add refuses it by name.
_DEVICE = DeviceClass("device", abstract=True)

#: QEMU 7.2's.
DEVICE_TYPES = DeviceRegistry.of(
    [_DEVICE, *x86_cpu_types(module_id=False), PC_DIMM, NVDIMM, VIRTIO_MEM_PCI, VIRTIO_PMEM_PCI,
     PIIX3_USB_UHCI, VIRTIO_BALLOON_PCI],
    [device_alias],
)  # fmt: skip
#: With the CPUs of a release whose x86 machines have modules (10.0).
_DEVICE_TYPES_X86_MODULES = DEVICE_TYPES.extended(x86_cpu_types(module_id=True))


def device_types(profile: Profile) -> DeviceRegistry:
    """The device types of the release ``profile`` emulates."""
    return _DEVICE_TYPES_X86_MODULES if profile.x86_modules else DEVICE_TYPES
