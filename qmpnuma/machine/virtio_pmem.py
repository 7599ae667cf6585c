"""virtio-pmem-pci: a backend exposed to the guest as persistent memory.

QEMU counterparts (7.2): hw/virtio/virtio-pmem.c (virtio_pmem_realize,
fill_device_info), hw/virtio/virtio-pmem-pci.c (the memory-device hooks:
the whole region is plugged, no minimum alignment beyond the region's) and
hw/i386/pc.c (pc_virtio_md_pci_unplug_request).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from qmpnuma.errors import GenericError
from qmpnuma.machine.backends import MemoryBackend
from qmpnuma.machine.objects import OBJECTS_ROOT
from qmpnuma.machine.qdev import DeviceClass, DeviceState, PropertyInfo, PropType, RealizedSet
from qmpnuma.machine.virtio_pci import VirtioMDPCIKind, legacy_memdev, proxy_properties
from qmpnuma.profile import Profile, PropFact

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine

__all__ = [
    "virtio_pmem_pci_class",
    "VirtioPMEMPCIKind",
    "TYPE_VIRTIO_PMEM_PCI",
    "TYPE_VIRTIO_PMEM",
    "QOM_OWN_PROPS",
    "VirtioPMEM",
    "virtio_pmem_realize",
    "fill_device_info",
    "qom_get",
    "PMEM_NODE",
]

TYPE_VIRTIO_PMEM_PCI = "virtio-pmem-pci"
#: The virtio device inside the proxy, which owns the aliased properties.
TYPE_VIRTIO_PMEM = "virtio-pmem"
#: virtio_pmem_properties, aliased onto the proxy in array order.
QOM_OWN_PROPS: tuple[PropFact, ...] = (
    ("memaddr", "uint64", 0), ("memdev", "link<memory-backend>", None),
)  # fmt: skip
#: hw/core/numa.c numa_stat_memory_devices counts virtio-pmem on node 0
#: ("TODO: once we support numa, assign to right node").
PMEM_NODE = 0


@dataclass(frozen=True)
class VirtioPMEM:
    """The virtio-pmem device state (VirtIOPMEM)."""

    #: Backend id (the ``memdev`` link), None when not set.
    memdev: str | None = None
    #: ``memaddr`` (pmem->start): the guest-physical base, 0 until placed.
    memaddr: int = 0
    #: The backend's size, fixed at realize; all of it is plugged.
    region_size: int = 0


def virtio_pmem_realize(dev: VirtioPMEM, backend: MemoryBackend, busy: bool) -> VirtioPMEM:
    """virtio_pmem_realize: the backend must not be mapped yet.

    (Its "virtio-pmem memdev not set" cannot happen: the memory-device
    pre-plug refuses a missing memdev first.)

    Raises:
        GenericError: ``can't use already busy memdev: ID``.
    """
    if busy:
        raise GenericError(f"can't use already busy memdev: {backend.id}")
    return replace(dev, region_size=backend.size)


def qom_get(dev: VirtioPMEM, name: str) -> object:
    """qom-get of a virtio-pmem property the proxy aliases.

    Raises:
        KeyError: not one of virtio-pmem's own properties.
    """
    memdev = f"{OBJECTS_ROOT}/{dev.memdev}"
    values: dict[str, object] = {"memaddr": dev.memaddr, "memdev": memdev}
    return values[name]


def fill_device_info(dev: VirtioPMEM, ident: str | None) -> dict[str, object]:
    """VirtioPMEMDeviceInfo in schema member order."""
    info: dict[str, object] = {} if ident is None else {"id": ident}
    memdev = f"{OBJECTS_ROOT}/{dev.memdev}"
    info.update({"memaddr": dev.memaddr, "size": dev.region_size, "memdev": memdev})
    return info


# -- the device type ---------------------------------------------------------

def _properties(profile: Profile) -> tuple[PropertyInfo, ...]:
    """virtio-pmem-pci's properties: the proxy's, then virtio-pmem's (aliases
    of the anonymous virtio-pmem child)."""
    return (
        *proxy_properties(TYPE_VIRTIO_PMEM, profile),
        PropertyInfo("memaddr", PropType.UINT64, 0, alias_type=TYPE_VIRTIO_PMEM),
        *legacy_memdev(TYPE_VIRTIO_PMEM, profile),
        PropertyInfo("memdev", PropType.MEMDEV, None, realized_set=RealizedSet.LINK,
                     alias_type=TYPE_VIRTIO_PMEM),
    )  # fmt: skip


class VirtioPMEMPCIKind(VirtioMDPCIKind):
    """virtio-pmem-pci's hooks: the VirtioPMEM state lives in ``dev.state``."""

    info_type = "virtio-pmem"
    vdev_type = TYPE_VIRTIO_PMEM

    def own_facts(self, profile: Profile) -> tuple[PropFact, ...]:
        return QOM_OWN_PROPS

    @staticmethod
    def pmem(dev: DeviceState) -> VirtioPMEM:
        pmem = dev.state["pmem"]
        assert isinstance(pmem, VirtioPMEM)
        return pmem

    def get_min_alignment(self, machine: Machine, dev: DeviceState) -> int:
        # No get_min_alignment hook: the region's own alignment decides.
        return self.region(machine, dev).block_align

    def realize_vdev(self, machine: Machine, dev: DeviceState, backend: MemoryBackend) -> None:
        memaddr = dev.props["memaddr"]
        assert isinstance(memaddr, int)
        config = VirtioPMEM(memdev=backend.id, memaddr=memaddr)
        dev.state["pmem"] = virtio_pmem_realize(config, backend, machine.is_mapped(backend.id))

    def numa_node(self, machine: Machine, dev: DeviceState) -> int:
        return PMEM_NODE

    def fill_device_info(self, machine: Machine, dev: DeviceState) -> dict[str, object]:
        return fill_device_info(self.pmem(dev), dev.id)

    def own_property(self, machine: Machine, dev: DeviceState, name: str) -> object:
        return qom_get(self.pmem(dev), name)


@functools.cache
def virtio_pmem_pci_class(profile: Profile) -> DeviceClass:
    """The virtio-pmem-pci type of ``profile``'s release."""
    return DeviceClass(
        TYPE_VIRTIO_PMEM_PCI,
        VirtioPMEMPCIKind(),
        properties=_properties(profile),
        bus_type="PCI",
    )
