"""/objects: the user-creatable objects, their RAM blocks and who maps them.

QEMU counterparts: qom/object.c object_get_objects_root and
object_resolve_path_type, qom/object_interfaces.c user_creatable_add_type /
user_creatable_del, backends/hostmem.c host_memory_backend_is_mapped /
set_mapped (a backend a node or a device maps is busy).

Every memory backend owns one RAM block, added to the machine's RAMList
when the backend completes and freed when the last reference goes: a NUMA
node that named the backend keeps it alive after object-del.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping

from qmpnuma.errors import GenericError
from qmpnuma.hashorder import GStrHashSet
from qmpnuma.machine.backends import (
    BackendDefaults,
    MemoryBackend,
    UserObject,
    user_creatable_add_type,
)
from qmpnuma.machine.memory import RAMList
from qmpnuma.profile import Profile

__all__ = ["OBJECTS_ROOT", "ObjectsRoot", "qom_path_matches"]

#: qom/object.c object_get_objects_root(): where -object / object-add live.
OBJECTS_ROOT = "/objects"


class ObjectsRoot:
    """The /objects container and the mapping state of its backends."""

    def __init__(self, ram_list: RAMList, made: bool = False) -> None:
        self.ram_list = ram_list
        self._objects: dict[str, MemoryBackend | UserObject] = {}
        #: 7.2's QOM makes /objects on first use (object_get_objects_root),
        #: not at start; 10.0 has it from the start (``made``).
        self.made = made
        #: The container's children as QOM keeps them (a GHashTable), whose
        #: iteration order QEMU's listings follow.
        self._table = GStrHashSet()
        #: Backends a node references stay alive after object-del (object_ref).
        self._node_backends: dict[str, MemoryBackend] = {}
        #: Backends whose memory is mapped into the guest.
        self._mapped: set[str] = set()

    @property
    def objects(self) -> dict[str, MemoryBackend | UserObject]:
        """Children in QOM's iteration order (object_child_foreach)."""
        return {ident: self._objects[ident] for ident in self._table}

    def ids(self) -> Collection[str]:
        """object_get_objects_root: the ids, making the container."""
        self.made = True
        return self._objects

    def is_mapped(self, backend_id: str) -> bool:
        """host_memory_backend_is_mapped."""
        return backend_id in self._mapped

    def set_mapped(self, backend_id: str, mapped: bool) -> None:
        """host_memory_backend_set_mapped: a device maps or unmaps the backend."""
        if mapped:
            self._mapped.add(backend_id)
        else:
            self._mapped.discard(backend_id)

    def consume(self, backend: MemoryBackend, at_allocation: bool = False) -> None:
        """hw/core/machine.c machine_consume_memdev.

        ``at_allocation``: the seed's numa.c, which maps the nodes' backends
        when RAM is allocated (memory_region_allocate_system_memory), says
        it in its own words.

        Raises:
            GenericError: the backend is mapped already.
        """
        if backend.id in self._mapped:
            if at_allocation:
                raise GenericError(
                    f"memory backend {backend.id} is used multiple times. "
                    "Each -numa option must use a different memdev value."
                )
            raise GenericError(f"memory backend {backend.id} can't be used multiple times.")
        self._mapped.add(backend.id)

    def backend(self, ident: str) -> MemoryBackend | None:
        """The backend named ``ident``, also one a node still holds after object-del."""
        obj = self._objects.get(ident, self._node_backends.get(ident))
        return obj if isinstance(obj, MemoryBackend) else None

    def node_backend(self, ident: str) -> MemoryBackend:
        return self._node_backends[ident]

    def names_other_object(self, path: str) -> bool:
        """Whether an absolute ``path`` names a modelled object that is no backend."""
        parts = [part for part in path.split("/") if part]
        if not path.startswith("/") or len(parts) > 2:
            return False
        if len(parts) < 2:
            return parts in ([], ["machine"]) or (parts == ["objects"] and self.made)
        obj = self._objects.get(parts[1])
        return parts[0] == OBJECTS_ROOT.strip("/") and isinstance(obj, UserObject)

    def add(
        self,
        qom_type: str,
        props: Mapping[str, object],
        defaults: BackendDefaults,
        host_numa_nodes: Collection[int],
        qom_resolves: Callable[[str], bool] | None = None,
        *,
        profile: Profile,
    ) -> MemoryBackend | UserObject:
        """qom/object_interfaces.c user_creatable_add_type; a backend gets its block.

        ``qom_resolves`` tells whether a QOM path names some object, for
        link properties; by default only the containers and /objects are known.

        Raises:
            GenericError: QEMU's id, property and completion texts.
        """
        obj = user_creatable_add_type(
            qom_type, props, self.ids, defaults, host_numa_nodes, qom_resolves or self._known_path,
            profile=profile,
        )
        self._objects[obj.id] = obj
        self._table.add(obj.id)
        if isinstance(obj, MemoryBackend):
            self.ram_list.add(obj.id, obj.size)
        return obj

    def _known_path(self, path: str) -> bool:
        """object_resolve_path over the containers and /objects only."""
        known = ["/", "/machine", OBJECTS_ROOT, *(f"{OBJECTS_ROOT}/{i}" for i in self._objects)]
        return bool(qom_path_matches(path, known))

    def delete(self, ident: str) -> None:
        """qom/object_interfaces.c user_creatable_del.

        Raises:
            GenericError: ``object 'x' not found`` / ``... is in use, can not be deleted``.
        """
        if ident not in self.ids():
            raise GenericError(f"object '{ident}' not found")
        obj = self._objects[ident]
        if ident in self._mapped:
            raise GenericError(f"object '{ident}' is in use, can not be deleted")
        del self._objects[ident]
        self._table.discard(ident)
        # A node that named the backend holds a reference: its RAM stays.
        if isinstance(obj, MemoryBackend) and ident not in self._node_backends:
            self.ram_list.remove(ident)

    def resolve_memory_backend(self, path: str) -> MemoryBackend | None:
        """object_resolve_path_type(path, TYPE_MEMORY_BACKEND, &ambiguous).

        An absolute path must name /objects/<id>; a partial path matches
        backends whose canonical path ends with it (the empty path matches
        all).  None when nothing or more than one backend matches.
        """
        parts = [part for part in path.split("/") if part]
        matches = []
        # Which backends match does not depend on QOM's iteration order.
        backends = (o for o in self._objects.values() if isinstance(o, MemoryBackend))
        for backend in backends:
            canonical = [OBJECTS_ROOT.strip("/"), backend.id]
            if path.startswith("/"):
                if parts == canonical:
                    matches.append(backend)
            elif canonical[len(canonical) - len(parts) :] == parts and len(parts) <= 2:
                matches.append(backend)
        return matches[0] if len(matches) == 1 else None

    def resolve_node_memdev(self, path: str) -> MemoryBackend | None:
        """A node's memdev: resolved, and held by the node from now on."""
        backend = self.resolve_memory_backend(path)
        if backend is not None:
            self._node_backends[backend.id] = backend
        return backend


def qom_path_matches(path: str, canonical_paths: Iterable[str]) -> list[str]:
    """qom/object.c object_resolve_path, over the given canonical paths.

    An absolute path matches itself; a partial one every object whose path
    ends with its components (the root excepted).  More than one match is
    QEMU's "ambiguous".
    """
    parts = [part for part in path.split("/") if part]
    found = []
    for canonical in canonical_paths:
        components = [part for part in canonical.split("/") if part]
        if path.startswith("/"):
            if components == parts:
                found.append(canonical)
        elif canonical != "/" and components[len(components) - len(parts) :] == parts:
            found.append(canonical)
    return found
