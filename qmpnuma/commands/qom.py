"""qom-list and qom-get for the objects management software reads.

QEMU counterparts: qom/qom-qmp-cmds.c (qmp_qom_list, qmp_qom_get) and
qom/object.c (object_resolve_path, object_property_find_err).

Scope: the QOM tree is modelled where the NUMA model can answer truthfully:
``/``, ``/objects`` and its children, ``/machine`` and its containers, and
the devices (boot CPUs included).  Properties are listed in QEMU 7.2's order (its property
hash-table order, as observed on qemu-system-x86_64), restricted to the
properties we model.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import DeviceNotFound, GenericError
from qmpnuma.machine.backends import MemoryBackend, UserObject
from qmpnuma.machine.machine import OBJECTS_ROOT, UNATTACHED, Machine
from qmpnuma.machine.qdev import PERIPHERAL, PERIPHERAL_ANON, DeviceState, qdev_set_property

__all__ = [
    "qmp_qom_list",
    "qmp_qom_get",
    "qmp_qom_set",
    "qmp_object_add",
    "qmp_object_del",
    "QomNode",
    "qom_objects",
    "qom_tree",
    "qom_path_exists",
]

#: Memory backend properties in 7.2's qom-list order, with their QOM types.
_BACKEND_PROPS = (
    ("share", "bool"), ("size", "int"), ("dump", "bool"), ("prealloc-threads", "int"),
    ("x-use-canonical-path-for-ramblock-id", "bool"), ("policy", "HostMemPolicy"),
    ("prealloc-context", "link<thread-context>"), ("prealloc", "bool"),
    ("reserve", "bool"), ("host-nodes", "int"), ("merge", "bool"),
)  # fmt: skip
#: Type-specific properties, listed after the common ones (7.2 order);
#: memory-backend-file's are the profile's (Profile.file_backend_properties).
_BACKEND_TYPE_PROPS = {
    "memory-backend-ram": (),
    "memory-backend-memfd": (("hugetlb", "bool"), ("seal", "bool"), ("hugetlbsize", "int")),
}  # fmt: skip
#: The machine properties we answer, in 7.2's qom-list order (pc).
_MACHINE_PROPS = (
    ("memory", "MemorySizeConfiguration"), ("smp", "SMPConfiguration"),
    ("dump-guest-core", "bool"), ("memory-backend", "link<memory-backend>"),
    ("mem-merge", "bool"), ("device-memory-region-size", "int"),
    ("unattached", "child<container>"), ("peripheral-anon", "child<container>"),
    ("nvdimm", "bool"), ("peripheral", "child<container>"), ("hmat", "bool"),
)  # fmt: skip
_PC_ONLY = ("device-memory-region-size", "nvdimm", "hmat")


@dataclass(frozen=True)
class QomNode:
    """One object of the modelled QOM tree."""

    #: Canonical path.
    path: str
    #: QOM type name (the ``type`` property).
    qom_type: str
    #: (name, type) pairs after ``type``, in qom-list order.
    properties: tuple[tuple[str, str], ...]
    #: Reads a property other than ``type``; KeyError when it is not modelled.
    get: Callable[[str], object]


def _no_props(name: str) -> object:
    raise KeyError(name)


def _container(path: str, children: list[tuple[str, str]]) -> QomNode:
    return QomNode(path, "container", tuple(children), _no_props)


def _backend_node(machine: Machine, backend: MemoryBackend) -> QomNode:
    def get(name: str) -> object:
        if name == "x-use-canonical-path-for-ramblock-id":
            return False
        if name == "prealloc-context":
            return ""
        return backend.property_value(name)

    if backend.qom_type == "memory-backend-file":
        own = machine.profile.file_backend_properties
    else:
        own = _BACKEND_TYPE_PROPS[backend.qom_type]
    props = (*_BACKEND_PROPS, *own, (f"{backend.id}[0]", "child<memory-region>"))
    return QomNode(f"{OBJECTS_ROOT}/{backend.id}", backend.qom_type, props, get)


def _machine_node(machine: Machine) -> QomNode:
    smp = machine.smp
    memory: dict[str, object] = {"size": machine.ram_size}
    if machine.ram_slots:
        memory.update({"max-size": machine.maxram_size, "slots": machine.ram_slots})
    device_memory = machine.device_memory
    values: dict[str, object] = {
        "memory": memory,
        # machine_get_smp: every SMPConfiguration member of the release.
        "smp": {
            member: getattr(smp, "max_cpus" if member == "maxcpus" else member)
            for member in machine.profile.smp_members
        },
        "dump-guest-core": machine.properties["dump-guest-core"],
        "memory-backend": f"{OBJECTS_ROOT}/{machine.memdev.id}" if machine.memdev else "",
        "mem-merge": machine.properties["mem-merge"],
        "device-memory-region-size": device_memory.size if device_memory else 0,
        "nvdimm": machine.properties["nvdimm"],
        "hmat": machine.hmat_enabled,
    }
    pc = machine.mc.family != "none"
    props = tuple(p for p in _MACHINE_PROPS if pc or p[0] not in _PC_ONLY)
    return QomNode("/machine", machine.mc.qom_type, props, values.__getitem__)


def _device_node(machine: Machine, dev: DeviceState) -> QomNode:
    generic: dict[str, object] = {
        "parent_bus": dev.dc.kind.parent_bus(machine, dev),
        "realized": True,
        "hotplugged": dev.hotplugged,
        "hotpluggable": dev.dc.hotpluggable,
    }

    def get(name: str) -> object:
        prop = dev.dc.find_property(name)
        if prop is not None and not prop.readable:
            # qom/object.c object_property_get; an alias reads its target,
            # so the virtio device names itself.
            owner = prop.alias_type or dev.dc.name
            raise GenericError(f"Property '{owner}.{name}' is not readable")
        if name in generic:
            return generic[name]
        return dev.dc.kind.get_property(machine, dev, name)

    return QomNode(dev.qom_path, dev.dc.name, dev.dc.kind.qom_list(machine, dev), get)


def _device_container(machine: Machine, path: str, names: list[str]) -> QomNode:
    types = {d.name: d.dc.name for d in machine.qdev.devices if d.qom_path.startswith(path + "/")}
    # qmp_qom_list prepends: the children come out reversed.
    return _container(path, [(name, f"child<{types[name]}>") for name in reversed(names)])


def _object_node(machine: Machine, obj: MemoryBackend | UserObject) -> QomNode:
    if isinstance(obj, MemoryBackend):
        return _backend_node(machine, obj)
    return QomNode(f"{OBJECTS_ROOT}/{obj.id}", obj.qom_type, (), _no_props)


#: A canonical QOM path as its components; ``()`` is the root.
QomPath = tuple[str, ...]


def _components(path: str) -> QomPath:
    # qom/object.c object_resolve_abs_path skips empty components.
    return tuple(part for part in path.split("/") if part)


def _device_components(dev: DeviceState) -> QomPath:
    # A 10.0 device_add id is not checked: it may hold a "/" or be empty,
    # and is still one child of its container.
    return (*_components(dev.container), dev.name)


def qom_objects(machine: Machine) -> dict[QomPath, Callable[[], QomNode]]:
    """The modelled QOM objects by canonical path, each built when asked for.

    Building every node is costly on a machine of many CPUs (each lists
    hundreds of properties); resolving a path needs only the paths.
    """
    objects = machine.objects
    root_children = [("machine", f"child<{machine.mc.qom_type}>")]
    found: dict[QomPath, Callable[[], QomNode]] = {
        ("machine",): lambda: _machine_node(machine),
        _components(PERIPHERAL): lambda: _device_container(
            machine, PERIPHERAL, list(machine.qdev.peripheral)),
        _components(PERIPHERAL_ANON): lambda: _device_container(
            machine, PERIPHERAL_ANON, list(machine.qdev.peripheral_anon)),
    }
    unattached = []
    for dev in machine.qdev.devices:
        found[_device_components(dev)] = functools.partial(_device_node, machine, dev)
        # Boot CPUs are the board's devices, in /machine/unattached.
        if dev.qom_path.startswith(UNATTACHED + "/"):
            unattached.append((dev.name, f"child<{dev.dc.name}>"))
    found[_components(UNATTACHED)] = lambda: _container(UNATTACHED, unattached)
    if machine.has_objects_root:
        root_children.insert(0, ("objects", "child<container>"))
        # qmp_qom_list prepends: the children come out reversed.
        children = [(i, f"child<{o.qom_type}>") for i, o in reversed(objects.items())]
        found[_components(OBJECTS_ROOT)] = lambda: _container(OBJECTS_ROOT, children)
    for ident, obj in objects.items():
        found[(*_components(OBJECTS_ROOT), ident)] = functools.partial(_object_node, machine, obj)
    found[()] = lambda: _container("/", root_children)
    return found


def qom_tree(machine: Machine) -> dict[str, QomNode]:
    """Every modelled QOM object, built, by canonical path."""
    return {node.path: node for node in (build() for build in qom_objects(machine).values())}


def _matching(path: str, objects: Iterable[QomPath]) -> list[QomPath]:
    """qom/object.c object_resolve_path: an absolute path names itself; a
    partial one every object whose path ends with its components (the root
    excepted).  More than one is QEMU's "ambiguous"."""
    parts = _components(path)
    if path.startswith("/"):
        return [parts] if parts in objects else []
    return [c for c in objects if c and c[len(c) - len(parts) :] == parts]


def qom_path_exists(machine: Machine, path: str) -> bool:
    """Whether an absolute ``path`` names a modelled QOM object."""
    return _components(path) in qom_objects(machine)


def _resolve(machine: Machine, path: str, report_ambiguous: bool) -> QomNode:
    """qom/object.c object_resolve_path: absolute, or a unique partial path.

    Raises:
        DeviceNotFound: nothing matches (or, for qom-get, several objects).
        GenericError: a partial path matches several objects (qom-list).
    """
    objects = qom_objects(machine)
    found = _matching(path, objects)
    if len(found) > 1 and report_ambiguous:
        # qom/qom-qmp-cmds.c qmp_qom_list; qmp_qom_get does not ask.
        raise GenericError(f"Path '{path}' is ambiguous")
    if len(found) != 1:
        raise DeviceNotFound(f"Device '{path}' not found")
    return objects[found[0]]()


def qmp_qom_list(ctx: CommandContext, args: dict[str, object]) -> object:
    """The properties of the object at ``path`` (name and type)."""
    node = _resolve(ctx.vm.machine, str(args["path"]), report_ambiguous=True)
    props = (("type", "string"), *node.properties)
    return [{"name": name, "type": qom_type} for name, qom_type in props]


def qmp_qom_get(ctx: CommandContext, args: dict[str, object]) -> object:
    """One property value of the object at ``path``.

    Raises:
        DeviceNotFound, GenericError: QEMU's path and property texts.
    """
    node = _resolve(ctx.vm.machine, str(args["path"]), report_ambiguous=False)
    name = str(args["property"])
    if name == "type":
        return node.qom_type
    kinds = dict(node.properties)
    if name not in kinds:
        # qom/object.c object_property_find_err
        raise GenericError(f"Property '{node.qom_type}.{name}' not found")
    if kinds[name].startswith("child<"):
        # A child property reads as the child's canonical path.
        return f"{node.path.rstrip('/')}/{name}"
    return node.get(name)


def qmp_qom_set(ctx: CommandContext, args: dict[str, object]) -> None:
    """qom-set (qom/qom-qmp-cmds.c): a device property, typed from JSON.

    Raises:
        DeviceNotFound: nothing (or several objects) at ``path``.
        GenericError: QEMU's property texts; for an object that is not a
            device, qmpnuma's own text (docs/emulated.md).
    """
    machine = ctx.vm.machine
    node = _resolve(machine, str(args["path"]), report_ambiguous=False)
    dev = machine.qdev.by_path(node.path)
    if dev is None:
        raise GenericError(f"qom-set of {node.qom_type} objects is not emulated")
    qdev_set_property(machine, dev, str(args["property"]), args["value"])


def qmp_object_add(ctx: CommandContext, args: dict[str, object]) -> None:
    """object-add (qom/qom-qmp-cmds.c): the same path as -object."""
    props = dict(args)
    qom_type = props.pop("qom-type")
    assert isinstance(qom_type, str)
    machine = ctx.vm.machine
    machine.object_add(qom_type, props, lambda path: bool(_matching(path, qom_objects(machine))))


def qmp_object_del(ctx: CommandContext, args: dict[str, object]) -> None:
    ident = args["id"]
    assert isinstance(ident, str)
    ctx.vm.machine.object_del(ident)
