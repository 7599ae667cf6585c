"""virtio-mem-pci and virtio-pmem-pci as PCI devices and memory devices.

QEMU counterparts (7.2): hw/i386/pc.c pc_virtio_md_pci_pre_plug / plug /
unplug_request, the flow both kinds share: the memory-device pre-plug
(address in the device-memory region), then the proxy's realize
(hw/pci/pci.c pci_qdev_realize: ROM size, PCI slot), then the virtio
device's realize.  Their QOM face: hw/virtio/virtio-pci.c
(virtio_pci_properties, virtio_pci_generic_properties, the memory regions
virtio_pci_realize and virtio_pci_device_plugged create), hw/pci/pci.c
(pci_props and the bus master regions), hw/virtio/virtio.c
(virtio_properties) and qdev_alias_all_properties, which copies the virtio
device's properties onto the proxy as aliases.

qom-list walks the object's own property table, then each class's from the
leaf up, and prepends each property to its reply: the reply is that walk
reversed.  The instance table is a GHashTable, so its order follows from
the names and the order they were added in, which is modelled here (and
differs between cold plug, where the bus master region comes last, and
hotplug).  The class tables never change, so their order is QEMU's, as
observed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from qmpnuma.errors import GenericError
from qmpnuma.hashorder import GStrHashSet
from qmpnuma.machine.backends import MemoryBackend
from qmpnuma.machine.memory_device import (
    MemoryDeviceKind,
    memory_device_plug,
    memory_device_pre_plug,
    memory_device_unplug,
)
from qmpnuma.machine.objects import OBJECTS_ROOT
from qmpnuma.machine.pci import PCIBus, PCIFunction, board_pci_bus, devfn_str
from qmpnuma.machine.qdev import DeviceState, PropertyInfo, PropType

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine

__all__ = [
    "VirtioMDPCIKind",
    "pci_bus",
    "proxy_properties",
    "proxy_qom_properties",
    "proxy_qom_get",
    "VIRTIO_DEVICE_PROPS",
    "MEMORY_REGION",
]

MEMORY_REGION = "child<memory-region>"

#: Class properties in qom-list order: object and device (the generic
#: layer's), then pci-device, virtio-pci and the generic (non-transitional)
#: virtio-*-pci class.
_DEVICE_CLASS_PROPS: tuple[tuple[str, str], ...] = (
    ("type", "string"),
    ("parent_bus", "link<bus>"), ("realized", "bool"), ("hotplugged", "bool"),
    ("hotpluggable", "bool"),
)  # fmt: skip
_PROXY_CLASS_PROPS: tuple[tuple[str, str], ...] = (
    ("failover_pair_id", "str"), ("romfile", "str"), ("addr", "int32"), ("romsize", "uint32"),
    ("x-pcie-lnksta-dllla", "bool"), ("rombar", "uint32"), ("x-pcie-extcap-init", "bool"),
    ("acpi-index", "uint32"), ("multifunction", "bool"), ("legacy-addr", "str"),
    ("migrate-extra", "bool"), ("ats", "bool"), ("x-ignore-backend-features", "bool"),
    ("x-pcie-pm-init", "bool"), ("aer", "bool"), ("x-pcie-flr-init", "bool"),
    ("x-pcie-lnkctl-init", "bool"), ("x-ats-page-aligned", "bool"), ("page-per-vq", "bool"),
    ("x-pcie-deverr-init", "bool"), ("virtio-pci-bus-master-bug-migration", "bool"),
    ("modern-pio-notify", "bool"), ("x-disable-pcie", "bool"),
    ("disable-legacy", "OnOffAuto"), ("disable-modern", "bool"),
)  # fmt: skip
_CLASS_PROPS = (*_DEVICE_CLASS_PROPS, *_PROXY_CLASS_PROPS)
#: hw/virtio/virtio.c virtio_properties, aliased after the device's own.
VIRTIO_DEVICE_PROPS: tuple[tuple[str, str], ...] = (
    ("indirect_desc", "bool"), ("event_idx", "bool"), ("notify_on_empty", "bool"),
    ("any_layout", "bool"), ("iommu_platform", "bool"), ("packed", "bool"),
    ("queue_reset", "bool"), ("use-started", "bool"), ("use-disabled-flag", "bool"),
    ("x-disable-legacy-check", "bool"),
)  # fmt: skip
#: The modern BAR's regions, in virtio_pci_modern_regions_init's order.
_MODERN_REGIONS = ("common", "isr", "device", "notify", "notify-pio")
_BUS_MASTER = "bus master[0]"

#: The defaults of the properties every such proxy has.
_DEFAULTS: dict[str, object] = {
    "realized": True, "hotpluggable": True, "failover_pair_id": "", "romfile": "",
    "romsize": 0xFFFFFFFF, "x-pcie-lnksta-dllla": True, "rombar": 1,
    "x-pcie-extcap-init": True, "acpi-index": 0, "multifunction": False,
    "migrate-extra": True, "ats": False,
    "x-ignore-backend-features": False, "x-pcie-pm-init": True, "aer": False,
    "x-pcie-flr-init": True, "x-pcie-lnkctl-init": True, "x-ats-page-aligned": True,
    "page-per-vq": False, "x-pcie-deverr-init": True,
    "virtio-pci-bus-master-bug-migration": False, "modern-pio-notify": False,
    "x-disable-pcie": False, "disable-legacy": "auto", "disable-modern": False,
    "indirect_desc": True, "event_idx": True, "notify_on_empty": True, "any_layout": True,
    "iommu_platform": False, "packed": False, "queue_reset": True, "use-started": True,
    "use-disabled-flag": True, "x-disable-legacy-check": False,
}  # fmt: skip


def proxy_qom_get(
    name: str,
    path: str,
    types: Mapping[str, str],
    bus_path: str,
    props: Mapping[str, object],
    hotplugged: bool,
) -> object:
    """qom-get of a proxy property that is not its virtio device's own.

    ``props`` are the device's property values.  A child property reads as
    the child's canonical path; virtio_pci_force_virtio_1 has made the
    device modern-only whatever was asked.

    Raises:
        KeyError: not a proxy property.
    """
    if types.get(name, "").startswith("child<"):
        return f"{path}/{name}"
    devfn = props["addr"]
    assert isinstance(devfn, int)
    computed: dict[str, object] = {
        "parent_bus": bus_path, "legacy-addr": devfn_str(devfn), "hotplugged": hotplugged,
        "disable-legacy": "on", "disable-modern": False,
    }  # fmt: skip
    if name in computed:
        return computed[name]
    return props[name] if name in props else _DEFAULTS[name]


def proxy_qom_properties(
    vdev_type: str,
    own: tuple[tuple[str, str], ...],
    aliases: tuple[tuple[str, str], ...],
    hotplugged: bool,
) -> tuple[tuple[str, str], ...]:
    """qom-list of a proxy whose virtio device is ``vdev_type``.

    ``own`` are the virtio device's qdev properties (aliased first, in its
    property array's order), ``aliases`` the proxy's explicit
    object_property_add_alias() ones.
    """
    instance: list[tuple[str, str]] = [
        ("virtio-backend", f"child<{vdev_type}>"), *own, *VIRTIO_DEVICE_PROPS, *aliases,
        ("bus master container[0]", MEMORY_REGION),
    ]
    # pci_init_bus_master runs at once for a hotplugged device, and at
    # machine-done time for a cold-plugged one.
    if hotplugged:
        instance.append((_BUS_MASTER, MEMORY_REGION))
    instance += [("virtio-pci[0]", MEMORY_REGION), ("virtio-bus", "child<virtio-pci-bus>")]
    instance += [(f"virtio-pci-{r}-{vdev_type}[0]", MEMORY_REGION) for r in _MODERN_REGIONS]
    if not hotplugged:
        instance.append((_BUS_MASTER, MEMORY_REGION))
    table = GStrHashSet()
    for name, _ in instance:
        table.add(name)
    types = dict(instance)
    walked = [(name, types[name]) for name in table]
    return (*_CLASS_PROPS, *reversed(walked))


#: DeviceClass.bus_type of every PCI device (virtio proxies, piix3-usb-uhci...).
PCI_BUS_TYPE = "PCI"
#: The root buses' canonical paths (the host bridge's child bus).
_BUS_PATHS = {"i440fx": "/machine/i440fx/pci.0", "q35": "/machine/q35/pcie.0"}
#: pci_qdev_realize: romsize -1 (unset) is the only non-power of two allowed.
_ROMSIZE_UNSET = 0xFFFFFFFF


def pci_bus(machine: Machine) -> PCIBus | None:
    """The root bus with the board's functions and every plugged virtio proxy."""
    props = machine.properties
    switches = {
        "usb": props.get("usb") is True,
        "acpi": props.get("acpi") != "off",
        "sata": props.get("sata") is not False,
        "smbus": props.get("smbus") is not False,
    }
    bus = board_pci_bus(machine.mc.family, switches, machine.default_devices)
    if bus is None:
        return None
    for dev in machine.qdev.devices:
        if dev.dc.bus_type == PCI_BUS_TYPE:
            bus.register(_devfn(dev), _pci_function(dev))
    return bus


def _devfn(dev: DeviceState) -> int:
    devfn = dev.props["addr"]
    assert isinstance(devfn, int)
    return devfn


def _pci_function(dev: DeviceState) -> PCIFunction:
    return PCIFunction(dev.dc.name, dev.id, bool(dev.props["multifunction"]))


def proxy_properties(vdev_type: str) -> tuple[PropertyInfo, ...]:
    """The properties every virtio memory proxy takes, defaults as QEMU's.

    The virtio device's common properties are aliases of the anonymous
    ``virtio-backend`` child, whose type QEMU's errors name.
    """
    generic = tuple(
        PropertyInfo(name, PropType(qom), _DEFAULTS[name])
        for name, qom in _PROXY_CLASS_PROPS
        if name not in ("addr", "legacy-addr")
    )
    aliases = tuple(
        PropertyInfo(name, PropType.BOOL, _DEFAULTS[name], alias_type=vdev_type)
        for name, _ in VIRTIO_DEVICE_PROPS
    )
    children = tuple(
        PropertyInfo(name, PropType.CHILD, writable=False, qom_type=qom)
        for name, qom in _children(vdev_type)
    )
    return (
        *generic,
        PropertyInfo("addr", PropType.PCI_DEVFN, -1, qom_type="int32"),
        PropertyInfo("legacy-addr", PropType.STR, writable=False, qom_type="str"),
        *aliases,
        *children,
    )


def _children(vdev_type: str) -> list[tuple[str, str]]:
    return [
        ("virtio-backend", f"child<{vdev_type}>"),
        ("virtio-bus", "child<virtio-pci-bus>"),
        ("bus master container[0]", MEMORY_REGION),
        (_BUS_MASTER, MEMORY_REGION),
        ("virtio-pci[0]", MEMORY_REGION),
        *((f"virtio-pci-{r}-{vdev_type}[0]", MEMORY_REGION) for r in _MODERN_REGIONS),
    ]


#: hw/acpi/pcihp.c ONBOARD_INDEX_MAX: systemd's limit for acpi-index.
ONBOARD_INDEX_MAX = 16 * 1024 - 1


def _has_acpi_pcihp(machine: Machine) -> bool:
    """Whether the root bus has ACPI PCI hotplug as its hotplug handler.

    PIIX4 PM gives pci.0 one unless acpi=off; ICH9 LPC gives pcie.0 one
    until the first reset (so for -device only: q35 takes no hotplug).
    """
    family = machine.mc.family
    return family == "q35" or (family == "i440fx" and machine.properties.get("acpi") != "off")


def _acpi_pcihp_device_pre_plug(machine: Machine, dev: DeviceState) -> None:
    """hw/acpi/pcihp.c acpi_pcihp_device_pre_plug_cb: a unique acpi-index.

    The index is taken here, before the device's realize, and QEMU never
    gives it back when the realize then fails: the one change a failed
    device_add leaves behind.

    Raises:
        GenericError: the index is too large or already taken.
    """
    index = dev.props["acpi-index"]
    assert isinstance(index, int)
    if index > ONBOARD_INDEX_MAX:
        raise GenericError(f"acpi-index should be less or equal to {ONBOARD_INDEX_MAX}")
    if index:
        if index in machine.pci_acpi_indexes:
            raise GenericError(f"a PCI device with acpi-index = {index} already exist")
        machine.pci_acpi_indexes.add(index)


class VirtioMDPCIKind(MemoryDeviceKind):
    """pc_virtio_md_pci_*: what virtio-mem-pci and virtio-pmem-pci share.

    A kind names its virtio device's type and answers ``own_props``,
    ``aliases`` and ``realize``; the address property is ``memaddr``.
    """

    #: The virtio device's QOM type (the proxy's ``virtio-backend`` child).
    vdev_type = ""
    own_props: tuple[tuple[str, str], ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()

    def has_hotplug_handler(self, machine: Machine) -> bool:
        # pc_get_hotplug_handler claims both proxies on pc and q35.
        return machine.mc.family != "none"

    def get_addr(self, dev: DeviceState) -> int:
        value = dev.props["memaddr"]
        assert isinstance(value, int)
        return value

    def set_addr(self, dev: DeviceState, addr: int) -> None:
        dev.props["memaddr"] = addr

    def memdev(self, machine: Machine, dev: DeviceState) -> MemoryBackend | None:
        ident = dev.props["memdev"]
        return None if ident is None else machine.user_objects.backend(str(ident))

    def get_region_size(self, machine: Machine, dev: DeviceState) -> int:
        return self.region(machine, dev).size

    def get_region_alignment(self, machine: Machine, dev: DeviceState) -> int:
        return self.region(machine, dev).block_align

    def region(self, machine: Machine, dev: DeviceState) -> MemoryBackend:
        """get_memory_region: the backend.

        Raises:
            GenericError: ``'memdev' property must be set``.
        """
        backend = self.memdev(machine, dev)
        if backend is None:
            raise GenericError("'memdev' property must be set")
        return backend

    def pre_plug(self, machine: Machine, dev: DeviceState) -> None:
        """pc_virtio_md_pci_pre_plug, then pci_qdev_realize and the virtio realize."""
        memory_device_pre_plug(machine, dev, None)
        if machine.profile.acpi_index_everywhere or _has_acpi_pcihp(machine):
            _acpi_pcihp_device_pre_plug(machine, dev)
        romsize = dev.props["romsize"]
        assert isinstance(romsize, int)
        if romsize != _ROMSIZE_UNSET and (not romsize or romsize & (romsize - 1)):
            raise GenericError(f"ROM size {romsize} is not a power of two")
        bus = pci_bus(machine)
        assert bus is not None
        devfn = dev.props["addr"]
        assert isinstance(devfn, int)
        dev.props["addr"] = bus.check_register(
            _pci_function(dev), None if devfn == -1 else devfn, dev.hotplugged
        )
        self.realize_vdev(machine, dev, self.region(machine, dev))

    def realize_vdev(self, machine: Machine, dev: DeviceState, backend: MemoryBackend) -> None:
        """The virtio device's realize checks; records its state (and warnings) on ``dev``."""
        raise NotImplementedError

    def plug(self, machine: Machine, dev: DeviceState) -> None:
        """The virtio realize maps the backend, then memory_device_plug."""
        machine.user_objects.set_mapped(self.region(machine, dev).id, True)
        memory_device_plug(machine, dev)

    def unpluggable(self, machine: Machine) -> bool:
        """Whether the kind has an unplug_request_check (virtio-mem, 10.0)."""
        return False

    def unplug_request_check(self, machine: Machine, dev: DeviceState) -> None:
        """The kind's refusal of the unplug (VirtIOMDPCIClass::unplug_request_check)."""

    def unplug_request(self, machine: Machine, dev: DeviceState) -> None:
        """virtio_md_pci_unplug_request: the kind's check, then the bus's request.

        7.2's pc_virtio_md_pci_unplug_request refuses every kind.  (A bus
        without ACPI PCI hotplug refused before, in qdev_unplug.)  The
        request goes to ACPI PCI hotplug (acpi_pcihp_device_unplug_request_cb),
        which marks the unplug as pending; the guest completes it.
        """
        if not self.unpluggable(machine):
            raise GenericError(machine.profile.virtio_md_unplug_error)
        self.unplug_request_check(machine, dev)
        # The request expires at the virtual clock's now, which reads as
        # "never" (0) before the VM first ran: device_del then refuses again.
        dev.pending_deleted_event = True
        dev.pending_deleted_forever = not machine.virtual_clock_started

    def unplug(self, machine: Machine, dev: DeviceState) -> None:
        """virtio_md_pci_unplug: the memory leaves, then the PCI function.

        acpi_pcihp_device_unplug_cb frees the acpi-index; the virtio
        device's unrealize unmaps the backend.
        """
        memory_device_unplug(machine, dev)
        index = dev.props["acpi-index"]
        machine.pci_acpi_indexes.discard(index if isinstance(index, int) else 0)
        machine.user_objects.set_mapped(self.region(machine, dev).id, False)
        # hw/core/qdev.c device_unparent: the proxy's virtio device goes first.
        machine.emit("DEVICE_DELETED", {"path": f"{dev.qom_path}/virtio-backend"})

    def parent_bus(self, machine: Machine, dev: DeviceState) -> str:
        return _BUS_PATHS[machine.mc.family]

    def qom_list(self, machine: Machine, dev: DeviceState) -> tuple[tuple[str, str], ...]:
        listed = proxy_qom_properties(self.vdev_type, self.own_props, self.aliases, dev.hotplugged)
        return listed[1:]

    def get_property(self, machine: Machine, dev: DeviceState, name: str) -> object:
        """The proxy's properties; the kind's own come from ``own_property``."""
        if name == "memdev":
            ident = dev.props["memdev"]
            return "" if ident is None else f"{OBJECTS_ROOT}/{ident}"
        if name in dict(self.own_props) or name in dict(self.aliases):
            return self.own_property(machine, dev, name)
        types = dict(self.qom_list(machine, dev))
        bus = self.parent_bus(machine, dev)
        return proxy_qom_get(name, dev.qom_path, types, bus, dev.props, dev.hotplugged)

    def own_property(self, machine: Machine, dev: DeviceState, name: str) -> object:
        return dev.props[name]
