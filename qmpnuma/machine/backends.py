"""User-creatable objects, chiefly memory backends (``-object`` / ``object-add``).

QEMU counterparts: backends/hostmem.c (property setters and
host_memory_backend_memory_complete), backends/hostmem-ram.c,
hostmem-file.c, hostmem-memfd.c, and qom/object_interfaces.c
user_creatable_add_type (the order: id check, property setters, adding the
child to /objects, completion).

Property setters run in QDict order, which is hash order rather than the
order given; ``qdict_order`` reproduces it so that a request with several
bad values reports the same one QEMU does.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from qmpnuma.cutils import id_wellformed
from qmpnuma.errors import DeviceNotFound, GenericError
from qmpnuma.hashorder import qdict_order
from qmpnuma.profile import Profile

__all__ = [
    "MemoryBackend",
    "UserObject",
    "BackendDefaults",
    "MEMORY_BACKEND_TYPES",
    "USER_CREATABLE_TYPES",
    "MAX_HOST_NODES",
    "user_creatable_add_type",
]

#: The memory-backend-* types QEMU 7.2 offers on Linux hosts (qapi/qom.json).
MEMORY_BACKEND_TYPES = ("memory-backend-ram", "memory-backend-file", "memory-backend-memfd")
#: Every type object-add creates (the schema's ObjectType): the memory
#: backends and the secret libvirt passes (crypto/secret.c), whose data
#: qmpnuma never reads.
USER_CREATABLE_TYPES = (*MEMORY_BACKEND_TYPES, "secret")
#: include/sysemu/numa.h MAX_NODES bounds host-nodes too (backends/hostmem.c).
MAX_HOST_NODES = 128
#: qemu_real_host_page_size() on x86_64 Linux.  A mem-path on hugetlbfs has
#: its huge page size instead, which the model does not look up.
HOST_PAGE_SIZE = 4096
#: QEMU_VMALLOC_ALIGN on x86_64 Linux: how anonymous RAM (memory-backend-ram)
#: is aligned, and with it any device mapping the block.
VMALLOC_ALIGN = 2 << 20
_UINT64_MAX = (1 << 64) - 1
#: The largest off_t: ftruncate() refuses more with EINVAL.
_OFF_T_MAX = (1 << 63) - 1
#: qom/object_interfaces.c user_creatable_add_type hint for a bad id.
ID_HINT = "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter."

#: Memory backend members reported by query-memdev, plus the type-specific
#: ones we keep so that qom-get can answer them.
_MEMDEV_DEFAULTS: dict[str, object] = {
    "prealloc": False,
    "policy": "default",
    "host-nodes": [],
    "reserve": True,
}
#: Per-type defaults (hostmem-file.c, hostmem-memfd.c instance_init).
_TYPE_DEFAULTS: dict[str, dict[str, object]] = {
    "memory-backend-ram": {"share": False},
    "memory-backend-file": {
        "share": False, "align": 0, "discard-data": False, "pmem": False, "readonly": False,
        # 10.0 only (the 7.2 schema has neither).
        "offset": 0, "rom": "auto",
    },
    "memory-backend-memfd": {"share": True, "hugetlb": False, "hugetlbsize": 0, "seal": True},
}  # fmt: skip


@dataclass(frozen=True)
class BackendDefaults:
    """Machine-dependent defaults read by host_memory_backend_init."""

    #: -machine mem-merge.
    merge: bool = True
    #: -machine dump-guest-core.
    dump: bool = True
    #: -mem-prealloc.
    prealloc: bool = False
    #: prealloc-threads defaults to smp.cpus.
    prealloc_threads: int = 1


@dataclass(frozen=True)
class MemoryBackend:
    """A completed memory backend object under /objects."""

    id: str
    qom_type: str
    size: int
    merge: bool
    dump: bool
    prealloc: bool
    share: bool
    reserve: bool
    #: Sorted, without duplicates (QEMU keeps a bitmap).
    host_nodes: tuple[int, ...]
    policy: str
    prealloc_threads: int
    #: Type-specific properties (mem-path, align, hugetlb, ...), QAPI names.
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def block_align(self) -> int:
        """The RAM block's alignment (memory_region_get_alignment).

        Anonymous RAM gets QEMU_VMALLOC_ALIGN; a file or memfd block its
        page size (4 KiB off hugetlbfs) or the file backend's ``align``.
        """
        if self.qom_type == "memory-backend-file":
            return max(HOST_PAGE_SIZE, int(str(self.extra.get("align", 0))))
        if self.qom_type == "memory-backend-memfd":
            hugetlbsize = int(str(self.extra.get("hugetlbsize", 0)))
            return hugetlbsize if self.extra.get("hugetlb") and hugetlbsize else HOST_PAGE_SIZE
        return VMALLOC_ALIGN

    @property
    def readonly(self) -> bool:
        """A read-only file mapping (the block's region is ROM)."""
        return bool(self.extra.get("readonly", False))

    def property_value(self, name: str) -> object:
        """A QOM property value as qom-get reports it, KeyError if absent."""
        common: dict[str, object] = {
            "size": self.size, "merge": self.merge, "dump": self.dump,
            "prealloc": self.prealloc, "share": self.share, "reserve": self.reserve,
            "host-nodes": list(self.host_nodes), "policy": self.policy,
            "prealloc-threads": self.prealloc_threads,
        }  # fmt: skip
        if name in common:
            return common[name]
        return self.extra[name]


@dataclass(frozen=True)
class UserObject:
    """Any other user-created object (iothread, secret, ...): only its identity."""

    id: str
    qom_type: str


#: QOM link properties of a backend and the type they must point to.  No
#: object of that type can exist here (thread-context is not emulated), so
#: any path but "" (no link) is refused.
_LINKS = {"prealloc-context": "thread-context"}


def _resolves_nothing(path: str) -> bool:
    return False


def _check_link(name: str, path: str, qom_resolves: Callable[[str], bool]) -> None:
    """qom/object.c object_set_link_property -> object_resolve_link."""
    if not path:
        return
    if qom_resolves(path):
        # Some object, or several, but none of the link's type (QERR_INVALID_PARAMETER_TYPE).
        raise GenericError(f"Invalid parameter type for '{name}', expected: {_LINKS[name]}")
    raise DeviceNotFound(f"Device '{path}' not found")


def _check_setters(
    qom_type: str,
    props: Mapping[str, object],
    qom_resolves: Callable[[str], bool],
    prealloc: bool,
) -> None:
    """The property setters' own checks, in QDict order (backends/hostmem*.c).

    ``qom_resolves`` tells whether a QOM path names any object (or several);
    ``prealloc`` is the value before the setters run (-mem-prealloc).
    """
    reserve = True
    for name in qdict_order(props):
        value = props[name]
        if name in _LINKS:
            assert isinstance(value, str)
            _check_link(name, value, qom_resolves)
        if name in ("size", "prealloc-threads") and value == 0:
            # host_memory_backend_set_size / set_prealloc_threads
            raise GenericError(f"property '{name}' of {qom_type} doesn't take value '0'")
        if name == "hugetlbsize" and value == 0:
            # hostmem-memfd.c memfd_backend_set_hugetlbsize
            raise GenericError(f"Property '{qom_type}.{name}' doesn't take value '0'")
        if name == "host-nodes":
            assert isinstance(value, list)
            for node in value:
                if node >= MAX_HOST_NODES:
                    # host_memory_backend_set_host_nodes
                    raise GenericError(f"Invalid host-nodes value: {node}")
        if name in ("prealloc", "reserve"):
            prealloc = bool(value) if name == "prealloc" else prealloc
            reserve = bool(value) if name == "reserve" else reserve
            if prealloc and not reserve:
                # host_memory_backend_set_prealloc / set_reserve
                raise GenericError("'prealloc=on' and 'reserve=off' are incompatible")


def _memory_complete(
    ident: str,
    qom_type: str,
    props: Mapping[str, object],
    host_numa_nodes: Collection[int],
    profile: Profile,
) -> None:
    """host_memory_backend_memory_complete's checks after allocation."""
    if not props.get("size"):
        # ram/file/memfd_backend_memory_alloc
        raise GenericError("can't create backend with size 0")
    if qom_type == "memory-backend-file" and not props.get("mem-path"):
        # file_backend_memory_alloc
        raise GenericError("mem-path property not set")
    if qom_type == "memory-backend-file" and props.get("rom") == "on" and not props.get("readonly"):
        # hostmem-file.c file_backend_memory_alloc (10.0: ROM needs a read-only file)
        raise GenericError("property 'rom' = 'on' is not supported with 'readonly' = 'off'")
    if qom_type == "memory-backend-file":
        _check_file_align(_as_int(props.get("align", 0)))
        offset = _as_int(props.get("offset", 0))
        if offset % HOST_PAGE_SIZE:
            # softmmu/physmem.c file_ram_alloc (10.0)
            raise GenericError(
                f"offset 0x{offset:x} must be multiples of page size 0x{HOST_PAGE_SIZE:x}"
            )
    size = _as_int(props["size"])
    # The RAM block is the size rounded up to a page, in uint64 arithmetic.
    block = (-(-size // HOST_PAGE_SIZE) * HOST_PAGE_SIZE) & _UINT64_MAX
    if qom_type == "memory-backend-memfd" and size > _OFF_T_MAX:
        # util/memfd.c qemu_memfd_create: ftruncate() takes a signed off_t.
        raise GenericError(f"failed to resize memfd to {size}: Invalid argument")
    if qom_type == "memory-backend-file" and block < HOST_PAGE_SIZE:
        # softmmu/physmem.c file_ram_alloc
        raise GenericError(
            f"memory size 0x{block:x} must be equal to or larger than page size "
            f"0x{HOST_PAGE_SIZE:x}"
        )
    if qom_type == "memory-backend-ram" and block == 0:
        # QEMU 7.2 aborts here (find_ram_offset: Assertion `size != 0'); a
        # monitor command must not end the process, so this is refused.
        raise GenericError(
            f"memory size 0x{size:x} overflows when rounded up to the page size "
            f"0x{HOST_PAGE_SIZE:x}"
        )
    if qom_type == "memory-backend-memfd" and not props.get("hugetlb"):
        # softmmu/physmem.c qemu_ram_alloc_from_fd: the memfd has the size
        # asked for, the RAM block that size rounded up to a page.
        block = -(-size // HOST_PAGE_SIZE) * HOST_PAGE_SIZE
        if size < block:
            raise GenericError(
                profile.backing_store_size_error.format(
                    name=ident, file_size=size, size=block, offset=0
                )
            )
    if (
        qom_type == "memory-backend-file"
        and profile.file_backend_size_page_multiple
        and size % HOST_PAGE_SIZE
    ):
        # backends/hostmem.c host_memory_backend_memory_complete (10.0);
        # size_to_str() names the page size.
        raise GenericError(
            f"backend '{qom_type}' memory size must be multiple of {HOST_PAGE_SIZE // 1024} KiB"
        )
    nodes = props.get("host-nodes", [])
    assert isinstance(nodes, list)
    policy = props.get("policy", "default")
    if nodes and policy == "default":
        raise GenericError(
            "host-nodes must be empty for policy default,"
            " or you should explicitly specify a policy other than default"
        )
    if not nodes and policy != "default":
        raise GenericError(f"host-nodes must be set for policy {policy}")
    if any(node not in host_numa_nodes for node in nodes):
        # mbind() fails with EINVAL for nodes the host does not have.
        raise GenericError("cannot bind memory to host NUMA nodes: Invalid argument")


def _check_file_align(align: int) -> None:
    """softmmu/physmem.c file_ram_alloc: the ``align`` property's checks."""
    if align % HOST_PAGE_SIZE:
        raise GenericError(
            f"alignment 0x{align:x} must be multiples of page size 0x{HOST_PAGE_SIZE:x}"
        )
    if align & (align - 1):
        raise GenericError(f"alignment 0x{align:x} must be a power of two")


def user_creatable_add_type(
    qom_type: str,
    props: Mapping[str, object],
    objects_root: Callable[[], Collection[str]],
    defaults: BackendDefaults,
    host_numa_nodes: Collection[int],
    qom_resolves: Callable[[str], bool] | None = None,
    *,
    profile: Profile,
) -> MemoryBackend | UserObject:
    """Create an object as qom/object_interfaces.c user_creatable_add_type does.

    ``props`` holds the QAPI members given, ``id`` included; ``profile``
    is the machine's release.
    ``objects_root`` is object_get_objects_root(): the ids under /objects,
    called once the property setters succeed (QEMU makes the container
    then).  ``qom_resolves`` resolves the paths of link properties (by
    default, no path names anything).
    Nothing is registered here: the caller adds the returned object.

    Raises:
        GenericError: QEMU's id, property-setter and completion texts.
    """
    ident = props["id"]
    assert isinstance(ident, str)
    if not id_wellformed(ident):
        raise GenericError("Parameter 'id' expects an identifier", hint=ID_HINT)
    settable = {k: v for k, v in props.items() if k != "id"}
    if qom_type in MEMORY_BACKEND_TYPES:
        _check_setters(qom_type, settable, qom_resolves or _resolves_nothing, defaults.prealloc)
    if ident in objects_root():
        # object_property_try_add_child on the /objects container
        raise GenericError(
            f"attempt to add duplicate property '{ident}' to object (type 'container')"
        )
    if qom_type not in MEMORY_BACKEND_TYPES:
        return UserObject(ident, qom_type)
    _memory_complete(ident, qom_type, settable, host_numa_nodes, profile)
    return _build_backend(ident, qom_type, settable, defaults)


def _build_backend(
    ident: str, qom_type: str, props: Mapping[str, object], defaults: BackendDefaults
) -> MemoryBackend:
    values: dict[str, object] = {
        "merge": defaults.merge,
        "dump": defaults.dump,
        "prealloc-threads": defaults.prealloc_threads,
        **_MEMDEV_DEFAULTS,
        **_TYPE_DEFAULTS[qom_type],
        # -mem-prealloc is a global property: after instance_init, before props.
        **({"prealloc": True} if defaults.prealloc else {}),
        **props,
    }
    common = {
        "size", "merge", "dump", "prealloc", "share", "reserve", "host-nodes", "policy",
        "prealloc-threads",
    }  # fmt: skip
    if qom_type == "memory-backend-file" and values["rom"] == "auto":
        # file_backend_memory_alloc: a read-only file has always been ROM.
        values["rom"] = "on" if values["readonly"] else "off"
    nodes = values["host-nodes"]
    assert isinstance(nodes, list)
    return MemoryBackend(
        id=ident,
        qom_type=qom_type,
        size=_as_int(values["size"]),
        merge=bool(values["merge"]),
        dump=bool(values["dump"]),
        prealloc=bool(values["prealloc"]),
        share=bool(values["share"]),
        reserve=bool(values["reserve"]),
        host_nodes=tuple(sorted(set(nodes))),
        policy=str(values["policy"]),
        prealloc_threads=_as_int(values["prealloc-threads"]),
        extra={k: v for k, v in values.items() if k not in common},
    )


def _as_int(value: object) -> int:
    assert isinstance(value, int)
    return value
