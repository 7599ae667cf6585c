"""The QOM face of a virtio PCI proxy (virtio-mem-pci, virtio-pmem-pci).

QEMU counterparts (7.2): hw/virtio/virtio-pci.c (virtio_pci_properties,
virtio_pci_generic_properties, the memory regions virtio_pci_realize and
virtio_pci_device_plugged create), hw/pci/pci.c (pci_props and the bus
master regions), hw/virtio/virtio.c (virtio_properties) and
qdev_alias_all_properties, which copies the virtio device's properties onto
the proxy as aliases.

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
from typing import NoReturn

from qmpnuma.errors import GenericError
from qmpnuma.hashorder import GStrHashSet
from qmpnuma.machine.pci import devfn_str

__all__ = [
    "proxy_qom_properties",
    "proxy_qom_get",
    "refuse_qom_set",
    "VIRTIO_DEVICE_PROPS",
    "MEMORY_REGION",
]

MEMORY_REGION = "child<memory-region>"

#: Class properties in qom-list order: object, device, pci-device,
#: virtio-pci and the generic (non-transitional) virtio-*-pci class.
_CLASS_PROPS: tuple[tuple[str, str], ...] = (
    ("type", "string"),
    ("parent_bus", "link<bus>"), ("realized", "bool"), ("hotplugged", "bool"),
    ("hotpluggable", "bool"),
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

#: What qom-get answers for the properties every such proxy has, at their
#: defaults (virtio_pci_force_virtio_1 turns legacy off).
_DEFAULTS: dict[str, object] = {
    "realized": True, "hotpluggable": True, "failover_pair_id": "", "romfile": "",
    "romsize": 0xFFFFFFFF, "x-pcie-lnksta-dllla": True, "rombar": 1,
    "x-pcie-extcap-init": True, "acpi-index": 0, "migrate-extra": True, "ats": False,
    "x-ignore-backend-features": False, "x-pcie-pm-init": True, "aer": False,
    "x-pcie-flr-init": True, "x-pcie-lnkctl-init": True, "x-ats-page-aligned": True,
    "page-per-vq": False, "x-pcie-deverr-init": True,
    "virtio-pci-bus-master-bug-migration": False, "modern-pio-notify": False,
    "x-disable-pcie": False, "disable-legacy": "on", "disable-modern": False,
    "indirect_desc": True, "event_idx": True, "notify_on_empty": True, "any_layout": True,
    "iommu_platform": False, "packed": False, "queue_reset": True, "use-started": True,
    "use-disabled-flag": True, "x-disable-legacy-check": False,
}  # fmt: skip


def proxy_qom_get(
    name: str,
    path: str,
    types: Mapping[str, str],
    bus_path: str,
    devfn: int,
    multifunction: bool,
    hotplugged: bool,
) -> object:
    """qom-get of a proxy property that is not its virtio device's own.

    A child property reads as the child's canonical path.

    Raises:
        KeyError: not a proxy property.
    """
    if types.get(name, "").startswith("child<"):
        return f"{path}/{name}"
    values: dict[str, object] = {
        "parent_bus": bus_path, "addr": devfn, "legacy-addr": devfn_str(devfn),
        "multifunction": multifunction, "hotplugged": hotplugged,
    }  # fmt: skip
    if name in values:
        return values[name]
    return _DEFAULTS[name]


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


#: Class properties without a setter (qom/object.c: "is not writable").
_READ_ONLY = ("type", "parent_bus", "hotplugged", "hotpluggable", "legacy-addr")


def refuse_qom_set(
    name: str,
    proxy_type: str,
    vdev_type: str,
    ident: str | None,
    listed: tuple[tuple[str, str], ...],
    own: tuple[tuple[str, str], ...],
) -> NoReturn:
    """qom-set of a realized proxy's property that neither kind lets change.

    ``listed`` is the proxy's qom-list, ``own`` the virtio device's aliased
    qdev properties.  A qdev property is fixed once realized; the aliased
    ones are the virtio device's, which is anonymous.  (``realized`` is
    the device layer's: setting it runs device_set_realized.)

    Raises:
        GenericError: always, with QEMU's text for the property.
    """
    types = dict(listed)
    if name not in types:
        raise GenericError(f"Property '{proxy_type}.{name}' not found")
    if name == "memdev":
        raise GenericError(
            f"Attempt to set link property 'memdev' on device '(null)' (type '{vdev_type}')"
            " after it was realized"
        )
    if name in dict(own) or name in dict(VIRTIO_DEVICE_PROPS):
        raise GenericError(
            f"Attempt to set property '{name}' on anonymous device (type '{vdev_type}')"
            " after it was realized"
        )
    if name in _READ_ONLY or types[name].startswith("child<"):
        raise GenericError(f"Property '{proxy_type}.{name}' is not writable")
    device = "anonymous device" if ident is None else f"device '{ident}'"
    raise GenericError(
        f"Attempt to set property '{name}' on {device} (type '{proxy_type}') after it was realized"
    )
