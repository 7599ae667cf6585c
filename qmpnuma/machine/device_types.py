"""The device types qmpnuma's qemu-system-x86_64 offers to -device / device_add.

One place lists them: a device kind module defines its DeviceClass (or a
family resolver for a whole family of type names) and adds it here.
"""

from __future__ import annotations

import functools

from qmpnuma.machine.cpu_models import x86_cpu_models
from qmpnuma.machine.nvdimm import NVDIMM
from qmpnuma.machine.pc_dimm import PC_DIMM
from qmpnuma.machine.pci_devices import PIIX3_USB_UHCI, VIRTIO_BALLOON_PCI, device_alias
from qmpnuma.machine.qdev import DeviceClass, DeviceRegistry
from qmpnuma.machine.virtio_mem import virtio_mem_pci_class
from qmpnuma.machine.virtio_pmem import virtio_pmem_pci_class
from qmpnuma.machine.x86_cpu import x86_cpu_types
from qmpnuma.profile import DEFAULT_PROFILE, Profile

__all__ = ["DEVICE_TYPES", "device_types"]

#: hw/core/qdev.c TYPE_DEVICE: abstract, so device_add refuses it by name.
_DEVICE = DeviceClass("device", abstract=True)


@functools.cache
def device_types(profile: Profile) -> DeviceRegistry:
    """The device types of ``profile``'s release: its CPU models and the
    properties of CPUs (module-id on 10.0) and virtio proxies differ."""
    cpus = x86_cpu_types(x86_cpu_models(profile), module_id=profile.x86_modules)
    return DeviceRegistry.of(
        [_DEVICE, *cpus, PC_DIMM, NVDIMM, virtio_mem_pci_class(profile),
         virtio_pmem_pci_class(profile), PIIX3_USB_UHCI, VIRTIO_BALLOON_PCI],
        [device_alias],
    )  # fmt: skip


#: The default profile's (7.2's) device types.
DEVICE_TYPES = device_types(DEFAULT_PROFILE)
