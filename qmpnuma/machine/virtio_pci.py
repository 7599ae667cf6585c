"""virtio-mem-pci and virtio-pmem-pci as PCI devices and memory devices.

QEMU counterparts (7.2): hw/i386/pc.c pc_virtio_md_pci_pre_plug / plug /
unplug_request (10.0: hw/virtio/virtio-md-pci.c, which can unplug), the
flow both kinds share: the memory-device pre-plug
(address in the device-memory region), then the proxy's realize
(hw/pci/pci.c pci_qdev_realize: ROM size, PCI slot), then the virtio
device's realize.  Their QOM face: hw/virtio/virtio-pci.c
(virtio_pci_properties, virtio_pci_generic_properties, the memory regions
virtio_pci_realize and virtio_pci_device_plugged create), hw/pci/pci.c
(pci_props and the bus master regions), hw/virtio/virtio.c
(virtio_properties) and qdev_alias_all_properties, which copies the virtio
device's properties onto the proxy as aliases (the profile says which
properties each release has, and in which order 10.0 aliases them).

qom-list walks the object's own property table, then each class's from the
leaf up, and prepends each property to its reply: the reply is that walk
reversed.  The instance table is a GHashTable, so its order follows from
the names and the order they were added in, which is modelled here (and
differs between cold plug, where the bus master region comes last, and
hotplug).  The class tables never change, so their order is QEMU's, as
observed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
from qmpnuma.profile import Profile, PropFact

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine

__all__ = [
    "VirtioMDPCIKind",
    "pci_bus",
    "legacy_memdev",
    "proxy_properties",
    "proxy_qom_properties",
    "proxy_qom_get",
    "proxy_defaults",
    "aliased_props",
    "class_props",
    "MEMORY_REGION",
]

MEMORY_REGION = "child<memory-region>"

#: Class properties in qom-list order: object and device (the generic
#: layer's); the profile has pci-device's and virtio-pci's, and the generic
#: (non-transitional) virtio-*-pci class ends the list.
_DEVICE_CLASS_PROPS: tuple[tuple[str, str], ...] = (
    ("type", "string"),
    ("parent_bus", "link<bus>"), ("realized", "bool"), ("hotplugged", "bool"),
    ("hotpluggable", "bool"),
)  # fmt: skip
_GENERIC_PROPS: tuple[PropFact, ...] = (
    ("disable-legacy", "OnOffAuto", "auto"), ("disable-modern", "bool", False),
)  # fmt: skip
#: The modern BAR's regions, in virtio_pci_modern_regions_init's order.
_MODERN_REGIONS = ("common", "isr", "device", "notify", "notify-pio")
_BUS_MASTER = "bus master[0]"


def _pairs(facts: Iterable[PropFact]) -> list[tuple[str, str]]:
    return [(name, qom) for name, qom, _ in facts]


def class_props(profile: Profile, own: tuple[PropFact, ...] = ()) -> tuple[PropFact, ...]:
    """The proxy's class properties after the device layer's, in qom-list
    order; ``own`` are the proxy type's own (virtio-mem-pci's MSI-X ones)."""
    return (*profile.virtio_pci_props, *own, *_GENERIC_PROPS)


def _class_walk(props: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A class's property table in its hash order (object_class_property_iter)."""
    table = GStrHashSet()
    for name, _ in props:
        table.add(name)
    types = dict(props)
    return [(name, types[name]) for name in table]


def _with_legacy(props: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """qdev_class_add_legacy_property: a link also gets a "legacy-" string
    property, added just before it."""
    out: list[tuple[str, str]] = []
    for name, qom in props:
        if qom.startswith("link<"):
            out.append((f"legacy-{name}", "str"))
        out.append((name, qom))
    return out


def aliased_props(profile: Profile, own: tuple[PropFact, ...]) -> list[tuple[str, str]]:
    """The virtio device's properties qdev_alias_all_properties puts on the
    proxy, in the order it adds them.

    ``own`` is the virtio device type's property array; virtio-device's
    follows.  7.2 walks the arrays; 10.0 the class tables (legacy-* ones
    included), the device's, then virtio-device's.
    """
    virtio = _pairs(profile.virtio_device_props)
    if not profile.alias_class_properties:
        return [*_pairs(own), *virtio]
    return [*_class_walk(_with_legacy(_pairs(own))), *_class_walk(virtio)]


def proxy_defaults(profile: Profile, own: tuple[PropFact, ...] = ()) -> dict[str, object]:
    """The defaults of the proxy's properties and of the aliased virtio ones."""
    facts = (*class_props(profile, own), *profile.virtio_device_props)
    return {name: default for name, _, default in facts}


def proxy_qom_get(
    name: str,
    path: str,
    types: Mapping[str, str],
    bus_path: str,
    props: Mapping[str, object],
    hotplugged: bool,
    defaults: Mapping[str, object],
) -> object:
    """qom-get of a proxy property that is not its virtio device's own.

    ``props`` are the device's property values, ``defaults`` the type's.
    A child property reads as the child's canonical path;
    virtio_pci_force_virtio_1 has made the device modern-only whatever
    was asked.

    Raises:
        KeyError: not a proxy property.
    """
    if types.get(name, "").startswith("child<"):
        return f"{path}/{name}"
    devfn = props["addr"]
    assert isinstance(devfn, int)
    computed: dict[str, object] = {
        "parent_bus": bus_path, "legacy-addr": devfn_str(devfn), "hotplugged": hotplugged,
        "disable-legacy": "on", "disable-modern": False, "realized": True, "hotpluggable": True,
    }  # fmt: skip
    if name in computed:
        return computed[name]
    return props[name] if name in props else defaults[name]


def proxy_qom_properties(
    vdev_type: str,
    aliased: list[tuple[str, str]],
    aliases: tuple[tuple[str, str], ...],
    hotplugged: bool,
    classes: tuple[PropFact, ...],
    msix_bar: str | None = None,
) -> tuple[tuple[str, str], ...]:
    """qom-list of a proxy whose virtio device is ``vdev_type``.

    ``aliased`` are the virtio device's properties as qdev_alias_all_properties
    adds them, ``aliases`` the proxy's explicit object_property_add_alias()
    ones, ``classes`` its class properties after the device layer's and
    ``msix_bar`` the name of its MSI-X BAR region, if it has one.
    """
    instance: list[tuple[str, str]] = [
        ("virtio-backend", f"child<{vdev_type}>"), *aliased, *aliases,
        ("bus master container[0]", MEMORY_REGION),
    ]
    # pci_init_bus_master runs at once for a hotplugged device, and at
    # machine-done time for a cold-plugged one.
    if hotplugged:
        instance.append((_BUS_MASTER, MEMORY_REGION))
    instance += [("virtio-pci[0]", MEMORY_REGION), ("virtio-bus", "child<virtio-pci-bus>")]
    instance += [(f"virtio-pci-{r}-{vdev_type}[0]", MEMORY_REGION) for r in _MODERN_REGIONS]
    if msix_bar is not None:
        # hw/pci/msix.c msix_init_exclusive_bar, then msix_init's regions.
        instance += [(f"{msix_bar}[0]", MEMORY_REGION), ("msix-table[0]", MEMORY_REGION),
                     ("msix-pba[0]", MEMORY_REGION)]  # fmt: skip
    if not hotplugged:
        instance.append((_BUS_MASTER, MEMORY_REGION))
    walked = _class_walk(instance)
    return (*_DEVICE_CLASS_PROPS, *_pairs(classes), *reversed(walked))


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


def _proxy_property(name: str, qom: str, default: object) -> PropertyInfo:
    if name == "addr":
        return PropertyInfo("addr", PropType.PCI_DEVFN, default, qom_type=qom)
    if name == "legacy-addr":
        return PropertyInfo(name, PropType.STR, writable=False, qom_type=qom)
    if qom == "busnr":
        # hw/pci/pci.c qdev_prop_busnr: a getter only.
        return PropertyInfo(name, PropType.UINT32, default, writable=False, qom_type=qom)
    return PropertyInfo(name, PropType(qom), default)


def legacy_memdev(vdev_type: str, profile: Profile) -> tuple[PropertyInfo, ...]:
    """The virtio device's ``legacy-memdev`` as the proxy shows it, if it does.

    qdev_class_add_legacy_property gives the memdev link a string form,
    neither readable nor writable; 10.0 aliases it onto the proxy.
    """
    if not profile.alias_class_properties:
        return ()
    return (PropertyInfo("legacy-memdev", PropType.STR, writable=False, readable=False,
                         alias_type=vdev_type),)  # fmt: skip


def proxy_properties(
    vdev_type: str, profile: Profile, own: tuple[PropFact, ...] = ()
) -> tuple[PropertyInfo, ...]:
    """The properties every virtio memory proxy takes, defaults as QEMU's.

    ``own`` are the proxy type's own class properties.  The virtio
    device's common properties are aliases of the anonymous
    ``virtio-backend`` child, whose type QEMU's errors name.
    """
    generic = tuple(_proxy_property(*fact) for fact in class_props(profile, own))
    aliases = tuple(
        PropertyInfo(name, PropType(qom), default, alias_type=vdev_type)
        for name, qom, default in profile.virtio_device_props
    )
    children = tuple(
        PropertyInfo(name, PropType.CHILD, writable=False, qom_type=qom)
        for name, qom in _children(vdev_type)
    )
    return (*generic, *aliases, *children)


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

    A kind names its virtio device's type and answers ``own_facts``,
    ``aliases`` and ``realize``; the address property is ``memaddr``.
    """

    #: The virtio device's QOM type (the proxy's ``virtio-backend`` child).
    vdev_type = ""
    #: The proxy's explicit aliases of the virtio device's instance properties.
    aliases: tuple[tuple[str, str], ...] = ()

    def own_facts(self, profile: Profile) -> tuple[PropFact, ...]:
        """The virtio device type's property array."""
        raise NotImplementedError

    def pci_own_facts(self, profile: Profile) -> tuple[PropFact, ...]:
        """The proxy type's own class properties."""
        return ()

    def msix_bar(self, dev: DeviceState) -> str | None:
        """The proxy's MSI-X BAR region name, if it has MSI-X."""
        return None

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
        profile = machine.profile
        listed = proxy_qom_properties(
            self.vdev_type,
            aliased_props(profile, self.own_facts(profile)),
            self.aliases,
            dev.hotplugged,
            class_props(profile, self.pci_own_facts(profile)),
            self.msix_bar(dev),
        )
        return listed[1:]

    def get_property(self, machine: Machine, dev: DeviceState, name: str) -> object:
        """The proxy's properties; the kind's own come from ``own_property``."""
        if name == "memdev":
            ident = dev.props["memdev"]
            return "" if ident is None else f"{OBJECTS_ROOT}/{ident}"
        profile = machine.profile
        own = {fact[0] for fact in self.own_facts(profile)}
        if name in own or name in dict(self.aliases):
            return self.own_property(machine, dev, name)
        types = dict(self.qom_list(machine, dev))
        bus = self.parent_bus(machine, dev)
        defaults = proxy_defaults(profile, self.pci_own_facts(profile))
        return proxy_qom_get(name, dev.qom_path, types, bus, dev.props, dev.hotplugged, defaults)

    def own_property(self, machine: Machine, dev: DeviceState, name: str) -> object:
        return dev.props[name]
