"""virtio-mem-pci: memory that the guest plugs and unplugs in blocks.

QEMU counterparts (7.2): hw/virtio/virtio-mem.c (the block-size and
requested-size setters, virtio_mem_device_realize, the usable region),
hw/virtio/virtio-mem-pci.c (the memory-device hooks and the
MEMORY_DEVICE_SIZE_CHANGE notifier) and hw/i386/pc.c
(pc_virtio_md_pci_unplug_request).  QEMU 10.0 (by the profile): the
device can be unplugged once empty (virtio_mem_unplug_request_check),
refuses a preallocating backend, and has dynamic-memslots, x-early-migration
and, on the proxy, MSI-X.

The device keeps QEMU's split between the host's request and the guest's
answer: ``requested-size`` is what management asks for (qom-set), ``size``
is what the guest has plugged.  Without a guest driver ``size`` stays 0, as
with a guest that ignores the device; ``guest_resize`` is the completion a
scripted guest performs, one block at a time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from qmpnuma.errors import GenericError
from qmpnuma.machine.backends import HOST_PAGE_SIZE, MemoryBackend
from qmpnuma.machine.memory import MiB
from qmpnuma.machine.objects import OBJECTS_ROOT
from qmpnuma.machine.qdev import DeviceClass, DeviceState, PropertyInfo, PropType, RealizedSet
from qmpnuma.machine.virtio_pci import VirtioMDPCIKind, legacy_memdev, proxy_properties
from qmpnuma.profile import Profile, PropFact

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine

__all__ = [
    "virtio_mem_pci_class",
    "virtio_mem_facts",
    "VirtioMEMPCIKind",
    "TYPE_VIRTIO_MEM_PCI",
    "TYPE_VIRTIO_MEM",
    "QOM_OWN_PROPS",
    "QOM_ALIASES",
    "VIRTIO_MEM_MIN_BLOCK_SIZE",
    "THP_SIZE",
    "VIRTIO_MEM_USABLE_EXTENT",
    "VirtioMEM",
    "default_block_size",
    "check_block_size",
    "virtio_mem_get_min_alignment",
    "virtio_mem_realize",
    "set_requested_size",
    "guest_resize",
    "unplug_request_check",
    "fill_device_info",
    "size_change_event",
    "qom_get",
]

TYPE_VIRTIO_MEM_PCI = "virtio-mem-pci"
#: The QOM type of the virtio device inside the proxy (its "virtio-backend"
#: child), which owns the aliased properties and names them in errors.
TYPE_VIRTIO_MEM = "virtio-mem"
#: hw/virtio/virtio-mem.c VIRTIO_MEM_MIN_BLOCK_SIZE: keeps the bitmap small.
VIRTIO_MEM_MIN_BLOCK_SIZE = 1 * MiB
#: virtio_mem_thp_size(): /sys/kernel/mm/transparent_hugepage/hpage_pmd_size
#: on x86_64 hosts (and QEMU's fallback there), the default block size.
THP_SIZE = 2 * MiB
#: hw/virtio/virtio-mem.c VIRTIO_MEM_USABLE_EXTENT for x86 targets: how far
#: the usable region reaches beyond the requested size (two 128 MiB sections).
VIRTIO_MEM_USABLE_EXTENT = 2 * 128 * MiB
#: virtio_mem_properties of 7.2 (aliased onto the proxy, in array order);
#: a profile may add more (virtio_mem_facts).  Then the proxy's own aliases
#: of virtio_mem_instance_init's properties.
QOM_OWN_PROPS: tuple[PropFact, ...] = (
    ("memaddr", "uint64", 0), ("node", "uint32", 0), ("prealloc", "bool", False),
    ("memdev", "link<memory-backend>", None), ("unplugged-inaccessible", "OnOffAuto", "auto"),
)  # fmt: skip
QOM_ALIASES: tuple[tuple[str, str], ...] = (
    ("block-size", "size"), ("size", "size"), ("requested-size", "size"),
)  # fmt: skip
#: hw/virtio/virtio-pci.h DEV_NVECTORS_UNSPECIFIED: ``vectors`` not set.
DEV_NVECTORS_UNSPECIFIED = 0xFFFFFFFF
#: Machine.warned_once's key for ram_block_discard_range's warn_report_once.
PRIVATE_DISCARD_WARNING = "ram_block_discard_range"
#: ON_OFF_AUTO values of ``unplugged-inaccessible``.
_ON, _OFF, _AUTO = "on", "off", "auto"


@dataclass(frozen=True)
class VirtioMEM:
    """The virtio-mem device state (VirtIOMEM), before and after realize."""

    #: Backend id (the ``memdev`` link), None when not set.
    memdev: str | None = None
    node: int = 0
    #: ``memaddr``: the guest-physical base, 0 until placed.
    memaddr: int = 0
    #: 0 until set by the user or chosen at realize.
    block_size: int = 0
    requested_size: int = 0
    prealloc: bool = False
    unplugged_inaccessible: str = _AUTO
    #: ``dynamic-memslots`` (10.0): map the memory in several memslots.
    dynamic_memslots: bool = False
    #: What the guest has plugged (the ``size`` property).
    size: int = 0
    #: The part of the region the guest may plug in (usable_region_size).
    usable_region_size: int = 0
    #: The backend's size, fixed at realize (memory_region_size of memdev).
    region_size: int = 0


def _page_size(backend: MemoryBackend) -> int:
    """qemu_ram_pagesize(): huge pages are not modelled, so the host's."""
    return HOST_PAGE_SIZE


def default_block_size(backend: MemoryBackend) -> int:
    """virtio_mem_default_block_size: the THP size for normal pages."""
    return max(_page_size(backend), THP_SIZE)


def _has_shared_zeropage(backend: MemoryBackend) -> bool:
    """Private anonymous RAM of base pages (virtio_mem_has_shared_zeropage)."""
    return backend.qom_type == "memory-backend-ram" and not backend.share


def _private_file_mapping(backend: MemoryBackend) -> bool:
    """A RAM block with a file descriptor, mapped private (share=off)."""
    has_fd = backend.qom_type in ("memory-backend-file", "memory-backend-memfd")
    return has_fd and not backend.share


def check_block_size(value: int) -> None:
    """The ``block-size`` setter's checks before realize (virtio_mem_set_block_size).

    (After realize it refuses any value: "'block-size' cannot be changed".)

    Raises:
        GenericError: below 1 MiB, or not a power of two.
    """
    if value < VIRTIO_MEM_MIN_BLOCK_SIZE:
        raise GenericError(
            f"'block-size' property has to be at least 0x{VIRTIO_MEM_MIN_BLOCK_SIZE:x}"
        )
    if value & (value - 1):
        raise GenericError("'block-size' property has to be a power of two")


def virtio_mem_get_min_alignment(dev: VirtioMEM, backend: MemoryBackend) -> int:
    """memory_device_pre_plug's alignment for the device.

    The larger of the block size (get_min_alignment: the one set, or the
    default it will get) and the region's own alignment.
    """
    block = dev.block_size or default_block_size(backend)
    return max(block, backend.block_align)


def virtio_mem_realize(
    dev: VirtioMEM,
    backend: MemoryBackend,
    busy: bool,
    num_nodes: int,
    warnings: list[str],
    mlock: bool = False,
    warn_private_discard: bool = False,
    refuse_prealloc_memdev: bool = False,
) -> VirtioMEM:
    """virtio_mem_device_realize's checks and defaults, in its order.

    ``busy`` is host_memory_backend_is_mapped(memdev); ``num_nodes`` counts
    the NUMA nodes (0 without any); warn_report()s go to ``warnings`` as
    they happen, so a later failure keeps them.  ``mlock`` is
    ``-overcommit mem-lock=on``, which cannot leave blocks unplugged;
    ``warn_private_discard`` lets the discard of the whole backend warn
    about a private file mapping (ram_block_discard_range);
    ``refuse_prealloc_memdev`` refuses a backend that preallocates.  The
    memory-device pre-plug has run before.

    Raises:
        GenericError: QEMU's busy-memdev, node and alignment texts.
    """
    if busy:
        raise GenericError(f"'memdev' property specifies a busy memdev: {backend.id}")
    if refuse_prealloc_memdev and backend.prealloc:
        # Sic: the trailing space.
        raise GenericError(
            f"'memdev' property specifies a memdev with preallocation enabled: {backend.id}. "
            "Instead, specify 'prealloc=on' for the virtio-mem device. "
        )
    if (num_nodes and dev.node >= num_nodes) or (not num_nodes and dev.node):
        # Sic: no space between "exceeds" and "the".
        raise GenericError(
            f"'node' property has value '{dev.node}', which exceedsthe number of numa nodes: "
            f"{num_nodes or 1}"
        )
    if mlock:
        raise GenericError("Incompatible with mlock")
    if dev.dynamic_memslots and dev.unplugged_inaccessible != _ON:
        raise GenericError(
            "'dynamic-memslots' property set to 'on' requires 'unplugged-inaccessible' to be 'on'"
        )
    inaccessible = dev.unplugged_inaccessible
    if inaccessible == _AUTO:
        inaccessible = _OFF if _has_shared_zeropage(backend) else _ON
    elif inaccessible == _OFF and not _has_shared_zeropage(backend):
        warnings.append(
            "'unplugged-inaccessible' property set to 'off' with a memdev that does"
            " not support the shared zeropage."
        )
    default = default_block_size(backend)
    block = dev.block_size or default
    page = _page_size(backend)
    if block < page:
        raise GenericError(f"'block-size' property has to be at least the page size (0x{page:x})")
    if block < default:
        warnings.append(
            f"'block-size' property is smaller than the default block size ({default // MiB:x} MiB)"
        )
    if dev.requested_size % block:
        raise GenericError(
            f"'requested-size' property has to be multiples of 'block-size' (0x{block:x})"
        )
    # The address is block-aligned already (the pre-plug aligned it); the
    # size is too where the pre-plug checked it against the block (7.2),
    # not where it checks it against the backend's alignment only (10.0).
    if backend.size % block:
        # Sic: no space before 'block-size'.
        raise GenericError(
            f"'memdev' property memdev size has to be multiples of'block-size' (0x{block:x})"
        )
    if warn_private_discard and _private_file_mapping(backend):
        warnings.append(
            "ram_block_discard_range: Discarding RAM in private file mappings is possibly "
            "dangerous, because it will modify the underlying file and will affect other "
            "users of the file"
        )
    realized = replace(
        dev,
        block_size=block,
        unplugged_inaccessible=inaccessible,
        region_size=backend.size,
    )
    return _resize_usable_region(realized, dev.requested_size, can_shrink=True)


def _resize_usable_region(dev: VirtioMEM, requested: int, can_shrink: bool) -> VirtioMEM:
    """virtio_mem_resize_usable_region: requested size plus the extent, in blocks."""
    new = min(dev.region_size, requested + VIRTIO_MEM_USABLE_EXTENT)
    new = -(-new // dev.block_size) * dev.block_size
    if not requested:
        new = 0
    if new < dev.usable_region_size and not can_shrink:
        return dev
    return replace(dev, usable_region_size=new)


def set_requested_size(dev: VirtioMEM, value: int) -> VirtioMEM:
    """The ``requested-size`` setter on a realized device (virtio_mem_set_requested_size).

    The value is checked and the usable region grows to cover it; the
    guest is notified of the request, which a silent guest ignores.  (Before
    realize the value is only stored, and realize checks it.)

    Raises:
        GenericError: not a multiple of the block size, or beyond the backend.
    """
    if value % dev.block_size:
        raise GenericError(
            f"'requested-size' has to be multiples of 'block-size' (0x{dev.block_size:x})"
        )
    if value > dev.region_size:
        # Sic: no space before the parenthesis.
        raise GenericError(
            f"'requested-size' cannot exceed the memory backend size(0x{dev.region_size:x})"
        )
    if value == dev.requested_size:
        return dev
    return replace(_resize_usable_region(dev, value, can_shrink=False), requested_size=value)


def unplug_request_check(dev: VirtioMEM) -> None:
    """hw/virtio/virtio-mem.c virtio_mem_unplug_request_check (10.0).

    Raises:
        GenericError: the device may still hold guest memory.
    """
    refusal = "virtio-mem device cannot get unplugged while "
    if dev.unplugged_inaccessible == _OFF:
        raise GenericError(refusal + "'unplugged-inaccessible' != 'on'")
    if dev.size:
        raise GenericError(refusal + "some of its memory is still plugged")
    if dev.requested_size:
        raise GenericError(refusal + "'requested-size' != '0'")


def guest_resize(dev: VirtioMEM) -> list[VirtioMEM]:
    """A cooperative guest driving ``size`` to ``requested-size``, block by block.

    Each plug or unplug request the guest sends changes ``size`` by one
    block and fires the size-change notifier, so each returned state is one
    MEMORY_DEVICE_SIZE_CHANGE (virtio_mem_state_change_request).  The guest
    can only plug inside the usable region, so it stops there.
    """
    target = min(dev.requested_size, dev.usable_region_size)
    states: list[VirtioMEM] = []
    current = dev
    while current.size != target:
        step = dev.block_size if current.size < target else -dev.block_size
        current = replace(current, size=current.size + step)
        states.append(current)
    return states


def size_change_event(ident: str | None, qom_path: str, size: int) -> dict[str, object]:
    """MEMORY_DEVICE_SIZE_CHANGE's data (virtio_mem_pci_size_change_notify).

    QEMU's monitor throttles this event to one per second and QOM path
    (monitor/monitor.c), keeping the last size: whoever delivers a burst
    of guest steps applies that.
    """
    data: dict[str, object] = {} if ident is None else {"id": ident}
    data.update({"size": size, "qom-path": qom_path})
    return data


def fill_device_info(dev: VirtioMEM, ident: str | None) -> dict[str, object]:
    """VirtioMEMDeviceInfo in schema member order (virtio_mem_pci_fill_device_info)."""
    info: dict[str, object] = {} if ident is None else {"id": ident}
    info.update(
        {
            "memaddr": dev.memaddr,
            "requested-size": dev.requested_size,
            "size": dev.size,
            "max-size": dev.region_size,
            "block-size": dev.block_size,
            "node": dev.node,
            "memdev": f"{OBJECTS_ROOT}/{dev.memdev}",
        }
    )
    return info


def qom_get(dev: VirtioMEM, name: str) -> object:
    """qom-get of a virtio-mem property the proxy aliases.

    Raises:
        KeyError: not one of virtio-mem's own properties.
    """
    values: dict[str, object] = {
        "memaddr": dev.memaddr, "node": dev.node, "prealloc": dev.prealloc,
        "memdev": f"{OBJECTS_ROOT}/{dev.memdev}",
        "unplugged-inaccessible": dev.unplugged_inaccessible,
        "block-size": dev.block_size, "size": dev.size, "requested-size": dev.requested_size,
    }  # fmt: skip
    return values[name]


# -- the device type ---------------------------------------------------------


def _check_block_size(type_name: str, value: object) -> None:
    assert isinstance(value, int)
    check_block_size(value)


def virtio_mem_facts(profile: Profile) -> tuple[PropFact, ...]:
    """virtio_mem_properties, in array order."""
    return (*QOM_OWN_PROPS, *profile.virtio_mem_new_props)


def _properties(profile: Profile) -> tuple[PropertyInfo, ...]:
    """virtio-mem-pci's properties: the proxy's, then virtio-mem's (aliases
    of the anonymous virtio-mem child, which QEMU's errors name)."""
    new = tuple(
        PropertyInfo(name, PropType(qom), default, alias_type=TYPE_VIRTIO_MEM)
        for name, qom, default in profile.virtio_mem_new_props
    )
    return (
        *proxy_properties(TYPE_VIRTIO_MEM, profile, profile.virtio_mem_pci_props),
        PropertyInfo("memaddr", PropType.UINT64, 0, alias_type=TYPE_VIRTIO_MEM),
        PropertyInfo("node", PropType.UINT32, 0, alias_type=TYPE_VIRTIO_MEM),
        PropertyInfo("prealloc", PropType.BOOL, False, alias_type=TYPE_VIRTIO_MEM),
        PropertyInfo("memdev", PropType.MEMDEV, None, realized_set=RealizedSet.LINK,
                     alias_type=TYPE_VIRTIO_MEM),
        *legacy_memdev(TYPE_VIRTIO_MEM, profile),
        PropertyInfo("unplugged-inaccessible", PropType.ON_OFF_AUTO, _AUTO,
                     alias_type=TYPE_VIRTIO_MEM),
        *new,
        PropertyInfo("block-size", PropType.SIZE, 0, check=_check_block_size,
                     realized_set=RealizedSet.LOCKED, locked_error="'block-size' cannot be changed",
                     alias_type=TYPE_VIRTIO_MEM),
        PropertyInfo("size", PropType.SIZE, writable=False, alias_type=TYPE_VIRTIO_MEM),
        PropertyInfo("requested-size", PropType.SIZE, 0, realized_set=RealizedSet.ALLOWED,
                     alias_type=TYPE_VIRTIO_MEM),
    )  # fmt: skip


class VirtioMEMPCIKind(VirtioMDPCIKind):
    """virtio-mem-pci's hooks: the VirtioMEM state lives in ``dev.state``."""

    info_type = "virtio-mem"
    vdev_type = TYPE_VIRTIO_MEM
    aliases = QOM_ALIASES

    def own_facts(self, profile: Profile) -> tuple[PropFact, ...]:
        return virtio_mem_facts(profile)

    def pci_own_facts(self, profile: Profile) -> tuple[PropFact, ...]:
        return profile.virtio_mem_pci_props

    def msix_bar(self, dev: DeviceState) -> str | None:
        # hw/pci/msix.c msix_init_exclusive_bar names it after the device;
        # none without vectors (or the property: 7.2).
        return f"{TYPE_VIRTIO_MEM_PCI}-msix" if dev.props.get("vectors", 0) else None

    @staticmethod
    def config(dev: DeviceState) -> VirtioMEM:
        """The device as its properties describe it (before realize)."""
        props = dev.props
        memdev = props["memdev"]
        return VirtioMEM(
            memdev=None if memdev is None else str(memdev),
            node=_int(props["node"]),
            memaddr=_int(props["memaddr"]),
            block_size=_int(props["block-size"]),
            requested_size=_int(props["requested-size"]),
            prealloc=bool(props["prealloc"]),
            unplugged_inaccessible=str(props["unplugged-inaccessible"]),
            # Only releases with the property have it.
            dynamic_memslots=bool(props.get("dynamic-memslots", False)),
        )

    @staticmethod
    def vmem(dev: DeviceState) -> VirtioMEM:
        """The realized device's state."""
        vmem = dev.state["vmem"]
        assert isinstance(vmem, VirtioMEM)
        return vmem

    def compat_props(self, machine: Machine) -> dict[str, object]:
        return {"unplugged-inaccessible": machine.mc.virtio_mem_unplugged_inaccessible}

    def get_min_alignment(self, machine: Machine, dev: DeviceState) -> int:
        return virtio_mem_get_min_alignment(self.config(dev), self.region(machine, dev))

    def realize_vdev(self, machine: Machine, dev: DeviceState, backend: MemoryBackend) -> None:
        if dev.props.get("vectors") == DEV_NVECTORS_UNSPECIFIED:
            # hw/virtio/virtio-mem-pci.c virtio_mem_pci_realize (10.0).
            dev.props["vectors"] = 2
        num_nodes = machine.numa.num_nodes if machine.numa is not None else 0
        busy = machine.is_mapped(backend.id)
        warn = (
            machine.profile.discard_private_file_warning
            and PRIVATE_DISCARD_WARNING not in machine.warned_once
        )
        done = virtio_mem_realize(
            self.config(dev), backend, busy, num_nodes, dev.warnings, machine.mem_lock, warn,
            machine.profile.virtio_mem_refuses_prealloc_memdev,
        )  # fmt: skip
        dev.state["vmem"] = done

    def plug(self, machine: Machine, dev: DeviceState) -> None:
        # The discard warning is the realize's last word: printed, it is done.
        if any(w.startswith(PRIVATE_DISCARD_WARNING) for w in dev.warnings):
            machine.warned_once.add(PRIVATE_DISCARD_WARNING)
        super().plug(machine, dev)

    def unpluggable(self, machine: Machine) -> bool:
        return machine.profile.virtio_mem_unplug

    def unplug_request_check(self, machine: Machine, dev: DeviceState) -> None:
        """virtio_mem_unplug_request_check: only an empty device leaves.

        Raises:
            GenericError: legacy guests' mode, memory still plugged, or
            some still requested.
        """
        unplug_request_check(self.vmem(dev))

    def get_plugged_size(self, machine: Machine, dev: DeviceState) -> int:
        return self.vmem(dev).size

    def numa_node(self, machine: Machine, dev: DeviceState) -> int:
        return self.vmem(dev).node

    def fill_device_info(self, machine: Machine, dev: DeviceState) -> dict[str, object]:
        return fill_device_info(self.vmem(dev), dev.id)

    def own_property(self, machine: Machine, dev: DeviceState, name: str) -> object:
        try:
            return qom_get(self.vmem(dev), name)
        except KeyError:
            # A property the model keeps as set (x-early-migration ...).
            return dev.props[name]

    def check_set(self, machine: Machine, dev: DeviceState, name: str) -> None:
        # hw/virtio/virtio-mem-pci.c virtio_mem_pci_set_requested_size: the
        # unplug check saw 0 requested; the guest must not plug meanwhile.
        if dev.pending_deleted_event:
            raise GenericError(
                f"'{name}' cannot be changed if the device is in the process of unplug"
            )

    def set_property(self, machine: Machine, dev: DeviceState, name: str, value: object) -> None:
        """qom-set requested-size: the request the guest is told about."""
        assert name == "requested-size" and isinstance(value, int)
        dev.state["vmem"] = set_requested_size(self.vmem(dev), value)

    def guest_resize(self, machine: Machine, dev: DeviceState) -> None:
        """A cooperative guest plugs or unplugs blocks up to the request.

        Each step is one MEMORY_DEVICE_SIZE_CHANGE (not rate-limited here).
        """
        for state in guest_resize(self.vmem(dev)):
            dev.state["vmem"] = state
            machine.emit("MEMORY_DEVICE_SIZE_CHANGE",
                         size_change_event(dev.id, dev.qom_path, state.size))  # fmt: skip


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


@functools.cache
def virtio_mem_pci_class(profile: Profile) -> DeviceClass:
    """The virtio-mem-pci type of ``profile``'s release."""
    return DeviceClass(
        TYPE_VIRTIO_MEM_PCI,
        VirtioMEMPCIKind(),
        properties=_properties(profile),
        bus_type="PCI",
    )
