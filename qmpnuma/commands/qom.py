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

from collections.abc import Callable
from dataclasses import dataclass

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import DeviceNotFound, GenericError
from qmpnuma.machine.backends import MemoryBackend, UserObject
from qmpnuma.machine.machine import OBJECTS_ROOT, UNATTACHED, Machine
from qmpnuma.machine.objects import qom_path_matches
from qmpnuma.machine.qdev import PERIPHERAL, PERIPHERAL_ANON, DeviceState, qdev_set_property

__all__ = [
    "qmp_qom_list",
    "qmp_qom_get",
    "qmp_qom_set",
    "qmp_object_add",
    "qmp_object_del",
    "QomNode",
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
        "smp": {
            "cpus": smp.cpus,
            "sockets": smp.sockets,
            "dies": smp.dies,
            "clusters": smp.clusters,
            "cores": smp.cores,
            "threads": smp.threads,
            "maxcpus": smp.max_cpus,
        },  # fmt: skip
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
            # qom/object.c object_property_get
            raise GenericError(f"Property '{dev.dc.name}.{name}' is not readable")
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


def qom_tree(machine: Machine) -> dict[str, QomNode]:
    """The modelled QOM objects by canonical path."""
    objects = machine.objects
    root_children = [("machine", f"child<{machine.mc.qom_type}>")]
    tree = {
        "/machine": _machine_node(machine),
        PERIPHERAL: _device_container(machine, PERIPHERAL, list(machine.qdev.peripheral)),
        PERIPHERAL_ANON: _device_container(
            machine, PERIPHERAL_ANON, list(machine.qdev.peripheral_anon)
        ),
    }
    unattached = []
    for dev in machine.qdev.devices:
        tree[dev.qom_path] = _device_node(machine, dev)
        # Boot CPUs are the board's devices, in /machine/unattached.
        if dev.qom_path.startswith(UNATTACHED + "/"):
            unattached.append((dev.name, f"child<{dev.dc.name}>"))
    tree["/machine/unattached"] = _container("/machine/unattached", unattached)
    if machine.has_objects_root:
        root_children.insert(0, ("objects", "child<container>"))
        tree[OBJECTS_ROOT] = _container(
            # qmp_qom_list prepends: the children come out reversed.
            OBJECTS_ROOT,
            [(i, f"child<{o.qom_type}>") for i, o in reversed(objects.items())],
        )
    for ident, obj in objects.items():
        tree[f"{OBJECTS_ROOT}/{ident}"] = _object_node(machine, obj)
    tree["/"] = _container("/", root_children)
    return tree


def qom_path_exists(machine: Machine, path: str) -> bool:
    """Whether an absolute ``path`` names a modelled QOM object."""
    parts = [part for part in path.split("/") if part]
    return any([x for x in p.split("/") if x] == parts for p in qom_tree(machine))


def _resolve(machine: Machine, path: str, report_ambiguous: bool) -> QomNode:
    """qom/object.c object_resolve_path: absolute, or a unique partial path.

    Raises:
        DeviceNotFound: nothing matches (or, for qom-get, several objects).
        GenericError: a partial path matches several objects (qom-list).
    """
    tree = qom_tree(machine)
    found = [tree[p] for p in qom_path_matches(path, tree)]
    if len(found) > 1 and report_ambiguous:
        # qom/qom-qmp-cmds.c qmp_qom_list; qmp_qom_get does not ask.
        raise GenericError(f"Path '{path}' is ambiguous")
    if len(found) != 1:
        raise DeviceNotFound(f"Device '{path}' not found")
    return found[0]


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
    machine.object_add(
        qom_type, props, lambda path: bool(qom_path_matches(path, qom_tree(machine)))
    )


def qmp_object_del(ctx: CommandContext, args: dict[str, object]) -> None:
    ident = args["id"]
    assert isinstance(ident, str)
    ctx.vm.machine.object_del(ident)
