"""The PCI devices of libvirt's domain command line: piix3-usb-uhci, virtio-balloon-pci.

libvirt puts a USB controller and a memory balloon on every domain it
starts (``-device {"driver":"piix3-usb-uhci",...,"addr":"0x1.0x2"}`` and
``-device {"driver":"virtio-balloon-pci",...,"addr":"0x2"}``).  Neither
takes part in NUMA, but both show on QMP: in /machine/peripheral, on the
PCI root bus (their slots are taken), and for the balloon in
``query-balloon`` and the ``guest-stats`` property that ``virsh dommemstat``
reads.

QEMU counterparts (7.2): hw/pci/pci.c (pci_qdev_realize: the slot),
hw/usb/hcd-uhci.c (piix3-usb-uhci), hw/virtio/virtio-balloon.c
(virtio_balloon_stat, balloon_stats_get_all, get_current_ram_size) and
softmmu/balloon.c (qmp_balloon, qmp_query_balloon).  Their properties are
the ones a launcher sets (the PCI address, and the balloon's switches);
qom-list lists those, in QEMU 7.2's order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qmpnuma.machine.pci import PCIFunction
from qmpnuma.machine.qdev import DeviceClass, DeviceKind, DeviceState, PropertyInfo, PropType

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine

__all__ = [
    "PCIDeviceKind",
    "BalloonKind",
    "PIIX3_USB_UHCI",
    "VIRTIO_BALLOON_PCI",
    "find_balloon",
    "device_alias",
    "get_current_ram_size",
    "GUEST_STATS_UNSET",
]

#: hw/virtio/virtio-balloon.c: a statistic the guest never reported.
GUEST_STATS_UNSET = (1 << 64) - 1
#: hw/mem/pc-dimm.c TYPE_PC_DIMM: the balloon counts these (not nvdimm).
_PC_DIMM = "pc-dimm"


class PCIDeviceKind(DeviceKind):
    """A PCI function on the board's root bus: its realize takes a slot."""

    def pre_plug(self, machine: Machine, dev: DeviceState) -> None:
        # Imported here: virtio_pci reconstructs the bus from every PCI device.
        from qmpnuma.machine.virtio_pci import pci_bus

        bus = pci_bus(machine)
        assert bus is not None  # the qdev layer found the bus already
        addr = dev.props["addr"]
        assert isinstance(addr, int)
        func = PCIFunction(dev.dc.name, dev.id, bool(dev.props["multifunction"]))
        dev.props["addr"] = bus.check_register(func, None if addr < 0 else addr, dev.hotplugged)


class BalloonKind(PCIDeviceKind):
    """virtio-balloon-pci: ``guest-stats`` as a guest without a driver leaves them."""

    def get_property(self, machine: Machine, dev: DeviceState, name: str) -> object:
        if name == "guest-stats":
            # balloon_stats_get_all: last-update, then every statistic.
            stats = dict.fromkeys(machine.profile.balloon_stat_names, GUEST_STATS_UNSET)
            return {"last-update": 0, "stats": stats}
        return super().get_property(machine, dev, name)


def _pci_properties() -> tuple[PropertyInfo, ...]:
    """hw/pci/pci.c pci_props: what launchers set on any PCI device."""
    return (
        PropertyInfo("addr", PropType.PCI_DEVFN, -1, qom_type="int32"),
        PropertyInfo("romfile", PropType.STR, qom_type="str"),
        PropertyInfo("rombar", PropType.UINT32, 1),
        PropertyInfo("multifunction", PropType.BOOL, False),
        PropertyInfo("failover_pair_id", PropType.STR, qom_type="str"),
        PropertyInfo("acpi-index", PropType.UINT32, 0),
    )


#: hw/usb/hcd-uhci.c uhci_properties_standalone, and the PCI properties.
PIIX3_USB_UHCI = DeviceClass(
    "piix3-usb-uhci",
    kind=PCIDeviceKind(),
    properties=(
        *_pci_properties(),
        PropertyInfo("masterbus", PropType.STR, qom_type="str"),
        PropertyInfo("firstport", PropType.UINT32, 0),
        PropertyInfo("bandwidth", PropType.UINT32, 1280),
        PropertyInfo("maxframes", PropType.UINT32, 128),
    ),
    qom_order=(
        "type", "parent_bus", "realized", "hotplugged", "hotpluggable", "failover_pair_id",
        "romfile", "addr", "rombar", "acpi-index", "multifunction", "masterbus",
        "firstport", "bandwidth", "maxframes",
    ),
    bus_type="PCI",
)  # fmt: skip

#: hw/virtio/virtio-balloon.c virtio_balloon_properties (aliased onto the
#: proxy), the virtio-pci switches, and the QOM properties of the balloon.
VIRTIO_BALLOON_PCI = DeviceClass(
    "virtio-balloon-pci",
    kind=BalloonKind(),
    properties=(
        *_pci_properties(),
        PropertyInfo("disable-legacy", PropType.ON_OFF_AUTO, "auto", qom_type="OnOffAuto"),
        PropertyInfo("disable-modern", PropType.BOOL, False),
        PropertyInfo("iommu_platform", PropType.BOOL, False),
        PropertyInfo("ats", PropType.BOOL, False),
        PropertyInfo("packed", PropType.BOOL, False),
        PropertyInfo("deflate-on-oom", PropType.BOOL, False),
        PropertyInfo("free-page-hint", PropType.BOOL, False),
        PropertyInfo("free-page-reporting", PropType.BOOL, False),
        PropertyInfo("page-poison", PropType.BOOL, True),
        PropertyInfo("guest-stats-polling-interval", PropType.INT32, 0, qom_type="int"),
        PropertyInfo("guest-stats", PropType.STR, writable=False, qom_type="guest statistics"),
    ),
    qom_order=(
        "type", "parent_bus", "realized", "hotplugged", "hotpluggable", "failover_pair_id",
        "romfile", "addr", "rombar", "acpi-index", "multifunction", "ats", "disable-legacy",
        "disable-modern", "free-page-reporting", "iommu_platform", "deflate-on-oom",
        "page-poison", "guest-stats-polling-interval", "guest-stats", "packed",
        "free-page-hint",
    ),
    bus_type="PCI",
)  # fmt: skip


#: softmmu/qdev-monitor.c qdev_alias_table, for the PCI boards' devices.
_ALIASES = {"virtio-balloon": VIRTIO_BALLOON_PCI}


def device_alias(name: str) -> DeviceClass | None:
    """find_typename_by_alias: ``-device virtio-balloon`` is virtio-balloon-pci."""
    return _ALIASES.get(name)


def find_balloon(machine: Machine) -> DeviceState | None:
    """softmmu/balloon.c have_balloon: the first balloon device realized."""
    return next((d for d in machine.qdev.devices if isinstance(d.dc.kind, BalloonKind)), None)


def get_current_ram_size(machine: Machine) -> int:
    """virtio-balloon.c get_current_ram_size: RAM plus every pc-dimm (not nvdimm)."""
    size = machine.ram_size
    for dev in machine.qdev.devices:
        if dev.dc.name == _PC_DIMM:
            dimm_size = dev.dc.kind.get_property(machine, dev, "size")
            assert isinstance(dimm_size, int)
            size += dimm_size
    return size
