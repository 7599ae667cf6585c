"""The generic device layer: device types, -device / device_add, device_del.

QEMU counterparts (7.2): softmmu/qdev-monitor.c (qdev_get_device_class,
qbus_find, qdev_set_id, qdev_device_add_from_qdict, find_device_state,
qdev_unplug, qmp_device_del), hw/core/qdev.c (device_set_realized: pre_plug,
realize, plug), hw/core/qdev-properties.c and qom/object.c (setting
properties, with the QObject input visitors' texts).

A device type is a :class:`DeviceClass`: its name, properties, hotplug flags,
bus, and a :class:`DeviceKind` holding the type's hooks, named after QEMU's
HotplugHandler callbacks.  ``qdev_device_add`` makes a :class:`DeviceState`
that belongs to nobody, sets its properties, and calls ``pre_plug``, which
checks everything and may fill in the new device (slot, address) but never
touches the machine; only then ``plug`` commits.  A failed device_add thus
leaves no trace but what QEMU itself keeps: the anonymous-device counter,
which counts every anonymous device that got as far as its name.

Unplug is a request (``unplug_request``: device_del accepted, the device
waits for the guest) and a completion (``unplug``: the device goes and
DEVICE_DELETED is raised), kept apart so that a guest model can complete.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from qmpnuma.cutils import StrtoxError, qapi_bool_parse, qemu_strtoi64, qemu_strtosz, qemu_strtou64
from qmpnuma.errors import (
    DeviceNotFound,
    GenericError,
    QMPError,
    Reporter,
    invalid_parameter_type,
    invalid_parameter_value,
    missing_parameter,
)
from qmpnuma.hashorder import GStrHashSet, qdict_order
from qmpnuma.machine.pci import parse_pci_devfn, parse_pci_devfn_int
from qmpnuma.machine.phase import Phase

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine

__all__ = [
    "PERIPHERAL",
    "PERIPHERAL_ANON",
    "PropType",
    "RealizedSet",
    "PropertyInfo",
    "DeviceKind",
    "DeviceClass",
    "DeviceState",
    "device_id_path",
    "DeviceRegistry",
    "DeviceOpts",
    "CliDeviceError",
    "Bus",
    "QdevTree",
    "qdev_device_add",
    "qdev_new",
    "qdev_realize",
    "qdev_unplug",
    "qdev_set_property",
    "qdev_unplug_complete",
]

#: softmmu/qdev-monitor.c qdev_get_peripheral / qdev_get_peripheral_anon.
PERIPHERAL = "/machine/peripheral"
PERIPHERAL_ANON = "/machine/peripheral-anon"


class PropType(enum.Enum):
    """A device property's QOM type, valued by the name qom-list shows."""

    UINT64 = "uint64"
    UINT32 = "uint32"
    INT32 = "int32"
    BOOL = "bool"
    STR = "str"
    SIZE = "size"
    #: DEFINE_PROP_LINK to a memory backend: set by QOM path.
    MEMDEV = "link<memory-backend>"
    #: DeviceState's parent_bus (read-only).
    BUS = "link<bus>"
    #: An OnOffAuto enum (DEFINE_PROP_ON_OFF_AUTO).
    ON_OFF_AUTO = "OnOffAuto"
    #: A PCI device's ``addr``: "SLOT[.FN]" text or a devfn (qdev_prop_pci_devfn).
    PCI_DEVFN = "pci-devfn"
    #: A child object (read-only; its value is the child's path).
    CHILD = "child"


#: visit_type_intN / visit_type_uintN: (low, high, name in the range error).
_INT_RANGES = {
    PropType.UINT32: (0, (1 << 32) - 1, "uint32_t"),
    PropType.INT32: (-(1 << 31), (1 << 31) - 1, "int32_t"),
}
_U64 = 1 << 64


class RealizedSet(enum.Enum):
    """What setting a property does once the device is realized (qom-set)."""

    #: A qdev property: qdev_prop_set_after_realize's error.
    QDEV = "qdev"
    #: A link: the target is resolved, then refused (qdev_prop_allow_set_link_before_realize).
    LINK = "link"
    #: The type's setter refuses: ``cannot change property value``.
    LOCKED = "locked"
    #: Allowed: the kind's set_property hook applies it.
    ALLOWED = "allowed"


@dataclass(frozen=True)
class PropertyInfo:
    """One property of a device type (a qdev Property, or a QOM one)."""

    name: str
    type: PropType
    default: object = None
    #: False for getter-only properties (``Property 'T.P' is not writable``).
    writable: bool = True
    #: False for setter-only ones (qdev's legacy-* string forms).
    readable: bool = True
    #: The type qom-list shows when it is not the visitor's (``int`` for a size).
    qom_type: str | None = None
    #: The setter's own check of a typed value: raises QMPError with its text.
    #: It gets the device type's name, for QEMU's ``Property 'T.P' ...`` texts.
    check: Callable[[str, object], None] | None = None
    #: qom-set on a realized device.
    realized_set: RealizedSet = RealizedSet.QDEV
    #: RealizedSet.LOCKED's text.
    locked_error: str = "cannot change property value"
    #: The property is an alias of the type named here, on the device's
    #: anonymous child (a virtio proxy's virtio device): errors name that.
    alias_type: str | None = None


class DeviceKind:
    """The hooks of one device type, after QEMU's HotplugHandler callbacks.

    ``pre_plug`` runs device_set_realized's checks (the machine's pre_plug,
    then the type's realize) and may assign the new device's slot or
    address; it must not change the machine.  ``plug`` commits and cannot
    fail.  ``unplug_request`` answers device_del; ``unplug`` completes it.
    The defaults describe a device no machine handler knows.
    """

    def has_hotplug_handler(self, machine: Machine) -> bool:
        """qdev_get_machine_hotplug_handler(dev) != NULL."""
        return False

    def compat_props(self, machine: Machine) -> dict[str, object]:
        """The machine type's compat defaults for the type's properties.

        qom/object.c object_apply_compat_props sets them on every new
        instance, before the user's values.
        """
        return {}

    def pre_plug(self, machine: Machine, dev: DeviceState) -> None:
        """Check everything about plugging ``dev``; raise QMPError, change nothing."""

    def realize(self, machine: Machine, dev: DeviceState) -> None:
        """The type's realize checks that run without a hotplug handler too.

        device_set_realized calls the type's realize whether or not a
        handler pre-plugged the device; raise QMPError, change nothing.
        """

    def plug(self, machine: Machine, dev: DeviceState) -> None:
        """Commit the plug that pre_plug accepted."""

    def unplug_request(self, machine: Machine, dev: DeviceState) -> None:
        """Ask the guest to let go of ``dev`` (device_del).

        Raises:
            QMPError: the machine refuses the unplug.
        """

    def unplug(self, machine: Machine, dev: DeviceState) -> None:
        """Undo plug: the guest has let go of ``dev``."""

    def get_property(self, machine: Machine, dev: DeviceState, name: str) -> object:
        """A property's value for qom-get (the type's computed ones included)."""
        return dev.props[name]

    def parent_bus(self, machine: Machine, dev: DeviceState) -> str:
        """The ``parent_bus`` link's target path ("" for a device on no bus)."""
        return ""

    def qom_list(self, machine: Machine, dev: DeviceState) -> tuple[tuple[str, str], ...]:
        """qom-list of the device: (name, type) pairs after ``type``.

        By default the class's fixed ``qom_order``; a kind whose order
        depends on the device overrides this.
        """
        dc = dev.dc
        return tuple((n, dc.qom_type_of(n)) for n in dc.qom_order if n != "type")

    def check_set(self, machine: Machine, dev: DeviceState, name: str) -> None:
        """The setter's refusal of a property allowed after realize, before
        it reads the value (raise QMPError)."""

    def set_property(self, machine: Machine, dev: DeviceState, name: str, value: object) -> None:
        """qom-set of a property allowed after realize (RealizedSet.ALLOWED).

        ``value`` is typed and has passed the property's check; raise QMPError
        to refuse it, leaving everything as it was.
        """
        dev.props[name] = value


@dataclass(frozen=True)
class DeviceClass:
    """A device type (QEMU's DeviceClass with its TypeInfo's facts)."""

    name: str
    kind: DeviceKind = field(default_factory=DeviceKind)
    #: The type's own properties (beyond DeviceState's), settable or not.
    properties: tuple[PropertyInfo, ...] = ()
    #: Every property name as qom-list lists it in QEMU 7.2 (its hash order),
    #: ``type`` and DeviceState's ones included.
    qom_order: tuple[str, ...] = ()
    abstract: bool = False
    user_creatable: bool = True
    hotpluggable: bool = True
    #: The bus type the device goes on (DeviceClass::bus_type), None: no bus.
    bus_type: str | None = None

    def find_property(self, name: str) -> PropertyInfo | None:
        return next((p for p in (*_DEVICE_PROPERTIES, *self.properties) if p.name == name), None)

    def qom_type_of(self, name: str) -> str:
        prop = self.find_property(name)
        if prop is None:
            return "string"
        return prop.qom_type or prop.type.value


#: hw/core/qdev.c device_class_init / device_initfn: every device has these.
_DEVICE_PROPERTIES = (
    PropertyInfo("type", PropType.STR, writable=False),
    PropertyInfo("parent_bus", PropType.BUS, writable=False),
    PropertyInfo("realized", PropType.BOOL, writable=False),
    PropertyInfo("hotplugged", PropType.BOOL, writable=False),
    PropertyInfo("hotpluggable", PropType.BOOL, writable=False),
)


@dataclass(eq=False)
class DeviceState:
    """One device: created by device_add or -device, then plugged."""

    dc: DeviceClass
    #: Property values by name (defaults first, then as set), typed.
    props: dict[str, object]
    id: str | None = None
    #: Canonical QOM path (/machine/peripheral/ID or .../peripheral-anon/device[N]).
    qom_path: str = ""
    #: Plugged after the machine was ready (DeviceState::hotplugged).
    hotplugged: bool = False
    #: device_del requests accepted so far; the device stays until unplug.
    unplug_requests: int = 0
    #: The name of the board bus it is plugged into (DeviceState::parent_bus).
    bus: str | None = None
    #: A PCI unplug request is out (DeviceState::pending_deleted_event).
    pending_deleted_event: bool = False
    #: ... and its expiry (the virtual clock when it was made) read 0: it
    #: never expires, and device_del refuses to repeat it.
    pending_deleted_forever: bool = False
    #: Per-kind state a kind module keeps on its devices.
    state: dict[str, object] = field(default_factory=dict)
    #: warn_report()s of its pre_plug / realize, in order.  The caller
    #: reports them, also when a later check fails, as QEMU has printed them.
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """Its child property's name in its container: the id, which 10.0
        does not check (it may hold a "/"), or the last path component."""
        if self.id is not None and self.qom_path == f"{PERIPHERAL}/{self.id}":
            return self.id
        return self.qom_path.rsplit("/", 1)[1]

    @property
    def container(self) -> str:
        """The canonical path of the container it is a child of."""
        return self.qom_path[: -len(self.name) - 1]


def device_id_path(ident: str) -> str:
    """The QOM path a device_del id names: itself if absolute, else under
    /machine/peripheral (qdev-monitor.c find_device_state)."""
    return ident if ident.startswith("/") else f"{PERIPHERAL}/{ident}"


#: Resolves a family of type names (say every ``*-x86_64-cpu``) to a class.
FamilyResolver = Callable[[str], "DeviceClass | None"]


@dataclass(frozen=True)
class DeviceRegistry:
    """The device types one binary offers: named classes, then families."""

    classes: Mapping[str, DeviceClass]
    families: tuple[FamilyResolver, ...] = ()

    @classmethod
    def of(
        cls, classes: Iterable[DeviceClass], families: Iterable[FamilyResolver] = ()
    ) -> DeviceRegistry:
        return cls({dc.name: dc for dc in classes}, tuple(families))

    def lookup(self, name: str) -> DeviceClass | None:
        """module_object_class_by_name restricted to devices."""
        dc = self.classes.get(name)
        if dc is not None:
            return dc
        return next((d for d in (family(name) for family in self.families) if d), None)

    def extended(
        self, classes: Iterable[DeviceClass] = (), families: Iterable[FamilyResolver] = ()
    ) -> DeviceRegistry:
        """A registry with more types (the ones given win)."""
        merged = dict(self.classes)
        merged.update({dc.name: dc for dc in classes})
        return DeviceRegistry(merged, (*self.families, *families))


@dataclass(frozen=True)
class Bus:
    """A bus of the board that -device bus= can name."""

    name: str
    #: The bus's QOM type name, as "can't go on %s bus" prints it.
    type: str
    #: Bus types it also is (a PCIe bus is a PCI bus).
    parents: tuple[str, ...] = ()
    hotpluggable: bool = True

    def is_a(self, bus_type: str | None) -> bool:
        return bus_type is not None and bus_type in (self.type, *self.parents)


#: The buses of the boards, with -nodefaults (hw/i386/pc_piix.c, pc_q35.c).
#: pci.0 takes hotplug through PIIX4 PM's ACPI PCI hotplug (so not with
#: acpi=off, see _board_buses); q35's root complex takes none (only root
#: ports do).
_BOARD_BUSES = {
    "i440fx": (
        Bus("main-system-bus", "System", hotpluggable=False),
        Bus("pci.0", "PCI"),
        Bus("isa.0", "ISA", hotpluggable=False),
    ),
    "q35": (
        Bus("main-system-bus", "System", hotpluggable=False),
        Bus("pcie.0", "PCIE", parents=("PCI",), hotpluggable=False),
        Bus("isa.0", "ISA", hotpluggable=False),
    ),
    "none": (Bus("main-system-bus", "System", hotpluggable=False),),
}


def _board_buses(machine: Machine) -> tuple[Bus, ...]:
    buses = _BOARD_BUSES[machine.mc.family]
    if machine.properties.get("acpi") == "off":
        return tuple(replace(b, hotpluggable=False) if b.name == "pci.0" else b for b in buses)
    return buses


@dataclass(frozen=True)
class DeviceOpts:
    """One -device waiting for board init (vl.c's device QemuOpts / device_opts).

    ``opts`` is the QDict qdev_device_add_from_qdict receives, in insertion
    order; ``location`` is the option as typed, for error messages.
    """

    opts: Mapping[str, object]
    from_json: bool
    location: str


class CliDeviceError(Exception):
    """A -device failed at board init: QEMU reports ``error`` at ``location``."""

    def __init__(self, error: QMPError, location: str) -> None:
        super().__init__(error.desc)
        self.error = error
        self.location = location


class QdevTree:
    """The devices: the user's, in /machine/peripheral and /machine/peripheral-anon,
    and the board's own that are modelled (boot CPUs, in /machine/unattached)."""

    def __init__(self, registry: DeviceRegistry) -> None:
        self.registry = registry
        #: Devices in creation order.
        self.devices: list[DeviceState] = []
        #: The containers' children as QOM keeps them (GHashTable order).
        self.peripheral = GStrHashSet()
        self.peripheral_anon = GStrHashSet()
        #: qdev_set_id's static anon_count: never goes back.
        self.anon_count = 0

    def by_path(self, path: str) -> DeviceState | None:
        return next((d for d in self.devices if d.qom_path == path), None)

    def find_device_state(self, ident: str) -> DeviceState | None:
        """object_resolve_path_at(peripheral, id), restricted to devices."""
        parts = [p for p in device_id_path(ident).split("/") if p]
        dev = self.by_path("/" + "/".join(parts))
        # A "/" in an id makes a child no path reaches (QOM splits paths).
        return dev if dev is None or dev.name == parts[-1] else None

    def _container(self, dev: DeviceState) -> GStrHashSet | None:
        containers = {PERIPHERAL: self.peripheral, PERIPHERAL_ANON: self.peripheral_anon}
        return containers.get(dev.container)

    def add(self, dev: DeviceState) -> None:
        container = self._container(dev)
        if container is not None:
            container.add(dev.name)
        self.devices.append(dev)

    def remove(self, dev: DeviceState) -> None:
        container = self._container(dev)
        if container is not None:
            container.discard(dev.name)
        self.devices.remove(dev)


def _qdev_get_device_class(machine: Machine, driver: str) -> DeviceClass:
    """softmmu/qdev-monitor.c qdev_get_device_class."""
    dc = machine.qdev.registry.lookup(driver)
    if dc is None:
        raise GenericError(f"'{driver}' is not a valid device model name")
    if dc.abstract:
        raise invalid_parameter_value("driver", "a non-abstract device type")
    if not dc.user_creatable or (machine.phase >= Phase.MACHINE_READY and not dc.hotpluggable):
        raise invalid_parameter_value("driver", "a pluggable device type")
    return dc


def _qbus_find(machine: Machine, path: str) -> Bus:
    """softmmu/qdev-monitor.c qbus_find, for the board's named buses."""
    buses = _board_buses(machine)
    found = next((b for b in buses if b.name == path.split("/", 1)[0]), None)
    if found is None:
        raise GenericError(f"Bus '{path.split('/', 1)[0]}' not found")
    return found


def _find_bus(machine: Machine, dc: DeviceClass, path: str | None) -> Bus | None:
    if path is not None:
        bus = _qbus_find(machine, path)
        if not bus.is_a(dc.bus_type):
            raise GenericError(f"Device '{dc.name}' can't go on {bus.type} bus")
        return bus
    if dc.bus_type is None:
        return None
    found = next((b for b in _board_buses(machine) if b.is_a(dc.bus_type)), None)
    if found is None:
        raise GenericError(f"No '{dc.bus_type}' bus found for device '{dc.name}'")
    return found


def _visit_int(prop: PropertyInfo, value: object, from_json: bool) -> int:
    """The QObject input visitors' integer rules (keyval: text; JSON: QNum)."""
    name = prop.type
    unsigned = name in (PropType.UINT64, PropType.UINT32, PropType.SIZE)
    if not from_json:
        assert isinstance(value, str)
        try:
            if name is PropType.SIZE:
                return qemu_strtosz(value)
            number = qemu_strtou64(value) if unsigned else qemu_strtoi64(value)
        except StrtoxError as e:
            # qapi/qobject-input-visitor.c qobject_input_type_{int64,uint64,size}_keyval
            expected = "size" if name is PropType.SIZE else "integer"
            raise invalid_parameter_value(prop.name, expected) from e
    elif unsigned:
        # qobject_input_type_uint64: negative numbers wrap, for compatibility.
        if isinstance(value, bool) or not isinstance(value, int) or not -(1 << 63) <= value < _U64:
            raise invalid_parameter_value(prop.name, "uint64")
        number = value % _U64
    else:
        # qobject_input_type_int64
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not -(1 << 63) <= value < 1 << 63
        ):
            raise invalid_parameter_type(prop.name, "integer")
        number = value
    if name in _INT_RANGES:
        low, high, c_name = _INT_RANGES[name]
        if not low <= number <= high:
            # qapi/qapi-visit-core.c visit_type_intN / visit_type_uintN
            raise invalid_parameter_value(prop.name, c_name)
    return number


_ON_OFF_AUTO = ("on", "off", "auto")


def _visit_property(
    prop: PropertyInfo, value: object, from_json: bool, type_name: str = ""
) -> object:
    """One property value through the visitor object_property_set uses.

    ``type_name`` is the device type's, for the ``addr`` parser's text.
    """
    if prop.type is PropType.ON_OFF_AUTO:
        if not isinstance(value, str):
            raise invalid_parameter_type(prop.name, "string")
        if value not in _ON_OFF_AUTO:
            # qapi/qapi-visit-core.c input_type_enum
            raise GenericError(f"Parameter '{prop.name}' does not accept value '{value}'")
        return value
    if prop.type is PropType.PCI_DEVFN:
        # hw/core/qdev-properties-system.c set_pci_devfn: text first, then a number.
        if isinstance(value, str):
            return parse_pci_devfn(type_name, prop.name, value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid_parameter_type(prop.name, "integer")
        return parse_pci_devfn_int(prop.name, value)
    if prop.type is PropType.BOOL:
        if not from_json:
            assert isinstance(value, str)
            return qapi_bool_parse(prop.name, value)
        if not isinstance(value, bool):
            raise invalid_parameter_type(prop.name, "boolean")
        return value
    if prop.type in (PropType.STR, PropType.MEMDEV):
        if not isinstance(value, str):
            raise invalid_parameter_type(prop.name, "string")
        return value
    return _visit_int(prop, value, from_json)


def _set_property(machine: Machine, dev: DeviceState, name: str, value: object, json: bool) -> None:
    """qom/object.c object_property_set, for one device property."""
    prop = dev.dc.find_property(name)
    if prop is None:
        # qom/object.c object_property_find_err
        raise GenericError(f"Property '{dev.dc.name}.{name}' not found")
    if not prop.writable:
        # qom/object.c object_property_set
        raise GenericError(f"Property '{prop.alias_type or dev.dc.name}.{name}' is not writable")
    typed = _visit_property(prop, value, json, dev.dc.name)
    if prop.type is PropType.MEMDEV:
        assert isinstance(typed, str)
        typed = _resolve_memdev_link(machine, prop.name, typed)
    if prop.check is not None:
        prop.check(dev.dc.name, typed)
    dev.props[name] = typed


def qdev_set_property(machine: Machine, dev: DeviceState, name: str, value: object) -> None:
    """qom-set of a realized device's property (object_property_set_qobject).

    Raises:
        QMPError: QEMU's texts: unknown or read-only property, set after
        realize, or the value's type or the setter's check.
    """
    prop = dev.dc.find_property(name)
    if prop is None:
        # qom/object.c object_property_find_err
        raise GenericError(f"Property '{dev.dc.name}.{name}' not found")
    # An alias sets its target: the anonymous child's property.
    owner = prop.alias_type or dev.dc.name
    owner_id = None if prop.alias_type else dev.id
    if not prop.writable:
        raise GenericError(f"Property '{owner}.{name}' is not writable")
    if prop.realized_set is RealizedSet.QDEV:
        # hw/core/qdev-properties.c qdev_prop_set_after_realize
        if owner_id is not None:
            raise GenericError(
                f"Attempt to set property '{name}' on device '{owner_id}' "
                f"(type '{owner}') after it was realized"
            )
        raise GenericError(
            f"Attempt to set property '{name}' on anonymous device "
            f"(type '{owner}') after it was realized"
        )
    if prop.realized_set is RealizedSet.LOCKED:
        raise GenericError(prop.locked_error)
    if prop.realized_set is RealizedSet.ALLOWED:
        dev.dc.kind.check_set(machine, dev, name)
    typed = _visit_property(prop, value, True, dev.dc.name)
    if prop.realized_set is RealizedSet.LINK:
        assert isinstance(typed, str)
        if typed:
            _resolve_memdev_link(machine, name, typed)
        # hw/core/qdev-properties.c qdev_prop_allow_set_link_before_realize;
        # an anonymous device's NULL id prints as glibc's "(null)".
        ident = owner_id if owner_id is not None else "(null)"
        raise GenericError(
            f"Attempt to set link property '{name}' on device '{ident}' "
            f"(type '{owner}') after it was realized"
        )
    if prop.check is not None:
        prop.check(dev.dc.name, typed)
    dev.dc.kind.set_property(machine, dev, name, typed)


def _resolve_memdev_link(machine: Machine, name: str, path: str) -> str:
    """qom/object.c object_resolve_link: the backend's id.

    Raises:
        GenericError: the path names an object that is no memory backend.
        DeviceNotFound: the path names nothing.
    """
    backend = machine.resolve_memory_backend(path)
    if backend is not None:
        return backend.id
    if machine.user_objects.names_other_object(path):
        raise invalid_parameter_type(name, "memory-backend")
    raise DeviceNotFound(f"Device '{path}' not found")


def _property_order(opts: Mapping[str, object]) -> list[str]:
    """The order object_set_properties_from_qdict walks dev->opts in.

    dev->opts is a shallow clone of the QDict given, so it iterates in the
    order of a QDict built by inserting the given QDict's iteration order.
    """
    return [k for k in qdict_order(qdict_order(list(opts))) if k not in ("driver", "bus", "id")]


def qdev_device_add(
    machine: Machine,
    opts: Mapping[str, object],
    from_json: bool,
    reporter: Reporter | None = None,
) -> DeviceState:
    """softmmu/qdev-monitor.c qdev_device_add_from_qdict, then realize.

    ``opts`` is the QDict in insertion order: strings for device_add and
    -device's QemuOpts (``from_json`` false, the keyval visitor types them),
    JSON values for -device's JSON form.  ``reporter`` hears the device's
    warnings as QEMU prints them, also when the device then fails.

    Raises:
        QMPError: QEMU's generic texts, then the device type's.
    """
    driver = opts.get("driver")
    if not isinstance(driver, str):
        raise missing_parameter("driver")
    dc = _qdev_get_device_class(machine, driver)
    bus_path = opts.get("bus")
    bus = _find_bus(machine, dc, bus_path if isinstance(bus_path, str) else None)
    ready = machine.phase >= Phase.MACHINE_READY
    if ready and bus is not None and not bus.hotpluggable:
        # QERR_BUS_NO_HOTPLUG
        raise GenericError(f"Bus '{bus.name}' does not support hotplugging")
    if ready and bus is None and not dc.kind.has_hotplug_handler(machine):
        raise GenericError(f"Device '{driver}' can not be hotplugged on this machine")
    ident = opts.get("id")
    dev = qdev_new(dc, hotplugged=ready)
    dev.props.update(dc.kind.compat_props(machine))
    _qdev_set_id(machine.qdev, dev, ident if isinstance(ident, str) else None)
    for key in _property_order(opts):
        _set_property(machine, dev, key, opts[key], from_json)
    qdev_realize(machine, dev, bus, reporter)
    return dev


def qdev_new(dc: DeviceClass, hotplugged: bool) -> DeviceState:
    """hw/core/qdev.c qdev_new: a device of type ``dc`` with its defaults, unnamed."""
    return DeviceState(dc, {p.name: p.default for p in dc.properties}, hotplugged=hotplugged)


def qdev_realize(
    machine: Machine, dev: DeviceState, bus: Bus | None = None, reporter: Reporter | None = None
) -> None:
    """hw/core/qdev.c device_set_realized: pre_plug, the type's realize, plug.

    ``dev`` is named (its QOM path set) and has its properties.  The board
    calls this for the devices it makes itself (boot CPUs).

    Raises:
        QMPError: the handler's or the type's refusal; nothing has changed.
    """
    kind = dev.dc.kind
    if bus is not None or kind.has_hotplug_handler(machine):
        try:
            kind.pre_plug(machine, dev)
        finally:
            if reporter is not None:
                for msg in dev.warnings:
                    reporter.warn(msg)
    kind.realize(machine, dev)
    dev.bus = None if bus is None else bus.name
    machine.qdev.add(dev)
    kind.plug(machine, dev)


def _qdev_set_id(tree: QdevTree, dev: DeviceState, ident: str | None) -> None:
    """softmmu/qdev-monitor.c qdev_set_id: name the device in its container."""
    if ident is not None:
        if f"{PERIPHERAL}/{ident}" in (d.qom_path for d in tree.devices):
            raise GenericError(f"Duplicate device ID '{ident}'")
        dev.id = ident
        dev.qom_path = f"{PERIPHERAL}/{ident}"
        return
    dev.qom_path = f"{PERIPHERAL_ANON}/device[{tree.anon_count}]"
    tree.anon_count += 1


def qdev_unplug(machine: Machine, dev: DeviceState, ident: str) -> None:
    """softmmu/qdev-monitor.c qdev_unplug: checks, then the unplug request.

    ``ident`` is how device_del named the device.

    Raises:
        GenericError: the type cannot be unplugged, or the machine refuses.
    """
    if dev.pending_deleted_forever:
        # softmmu/qdev-monitor.c qmp_device_del
        raise GenericError(f"Device {ident} is already in the process of unplug")
    bus = next((b for b in _board_buses(machine) if b.name == dev.bus), None)
    if bus is not None and not bus.hotpluggable:
        # QERR_BUS_NO_HOTPLUG
        raise GenericError(f"Bus '{bus.name}' does not support hotplugging")
    if not dev.dc.hotpluggable:
        # QERR_DEVICE_NO_HOTPLUG
        raise GenericError(f"Device '{dev.dc.name}' does not support hotplugging")
    dev.dc.kind.unplug_request(machine, dev)
    dev.unplug_requests += 1


def qdev_unplug_complete(machine: Machine, dev: DeviceState) -> None:
    """The guest let go of ``dev``: unplug it, drop it, say DEVICE_DELETED."""
    dev.dc.kind.unplug(machine, dev)
    machine.qdev.remove(dev)
    data: dict[str, object] = {"path": dev.qom_path}
    if dev.id is not None:
        data = {"device": dev.id, **data}
    machine.emit("DEVICE_DELETED", data)
