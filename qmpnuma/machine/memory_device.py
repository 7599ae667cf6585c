"""Memory devices: the device-memory region, address allocation, plugged sums.

QEMU counterpart: hw/mem/memory-device.c (7.2): memory_device_pre_plug,
memory_device_get_free_addr, memory_device_check_addable,
qmp_memory_device_list, get_plugged_memory_size; and hw/core/numa.c's
numa_stat_memory_devices / query_numa_node_mem, the one source of the
per-node figures.

A memory device kind subclasses :class:`MemoryDeviceKind` and answers the
MemoryDeviceClass questions (address, region size, plugged size, its
query-memory-devices entry, the node it counts on).  Everything here reads
the devices the QdevTree holds: a device is in the region exactly while it
is plugged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from qmpnuma.errors import GenericError
from qmpnuma.machine.qdev import DeviceKind, DeviceState

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine
    from qmpnuma.machine.memory import DeviceMemory

__all__ = [
    "MemoryDeviceKind",
    "MemoryDeviceNotifier",
    "memory_device_plug",
    "memory_device_unplug",
    "memory_devices",
    "memory_device_get_free_addr",
    "memory_device_pre_plug",
    "get_plugged_memory_size",
    "qmp_memory_device_list",
    "query_numa_node_mem",
]


class MemoryDeviceNotifier(Protocol):
    """Beyond QEMU: hears where memory devices are placed in the guest.

    ``ident`` is the device's id (None for an anonymous device), ``path``
    its QOM path, ``node`` the NUMA node it counts on, ``addr`` and
    ``size`` its range in guest-physical memory.
    """

    def memory_device_plugged(
        self, ident: str | None, path: str, node: int, addr: int, size: int
    ) -> None: ...

    def memory_device_unplugged(
        self, ident: str | None, path: str, node: int, addr: int, size: int
    ) -> None: ...


class MemoryDeviceKind(DeviceKind):
    """The MemoryDeviceClass callbacks of one memory device kind."""

    #: MemoryDeviceInfoKind: the ``type`` of its query-memory-devices entry.
    info_type: str = ""

    def get_addr(self, dev: DeviceState) -> int:
        """The device's guest-physical address (0 before pre_plug: no hint)."""
        value = dev.props["addr"]
        assert isinstance(value, int)
        return value

    def set_addr(self, dev: DeviceState, addr: int) -> None:
        dev.props["addr"] = addr

    def get_region_size(self, machine: Machine, dev: DeviceState) -> int:
        """The size the device takes in the region (memory_device_get_region_size)."""
        raise NotImplementedError

    def get_plugged_size(self, machine: Machine, dev: DeviceState) -> int:
        """What the guest can use now (get_plugged_size)."""
        return self.get_region_size(machine, dev)

    def get_min_alignment(self, machine: Machine, dev: DeviceState) -> int:
        """The device's own alignment (get_min_alignment), at least its block's."""
        raise NotImplementedError

    def get_region_alignment(self, machine: Machine, dev: DeviceState) -> int:
        """memory_region_get_alignment of the device's region (its backend's block)."""
        raise NotImplementedError

    def fill_device_info(self, machine: Machine, dev: DeviceState) -> dict[str, object]:
        """The ``data`` of the device's query-memory-devices entry, in member order."""
        raise NotImplementedError

    def numa_node(self, machine: Machine, dev: DeviceState) -> int:
        """The node numa_stat_memory_devices counts the device's memory on."""
        value = dev.props["node"]
        assert isinstance(value, int)
        return value


def _kind(dev: DeviceState) -> MemoryDeviceKind:
    kind = dev.dc.kind
    assert isinstance(kind, MemoryDeviceKind)
    return kind


def memory_devices(machine: Machine) -> list[DeviceState]:
    """The plugged memory devices by address (memory_device_build_list)."""
    devices = [d for d in machine.qdev.devices if isinstance(d.dc.kind, MemoryDeviceKind)]
    return sorted(devices, key=lambda d: _kind(d).get_addr(d))


def _used_region_size(machine: Machine) -> int:
    return sum(_kind(d).get_region_size(machine, d) for d in memory_devices(machine))


def _check_addable(machine: Machine, size: int) -> None:
    """memory_device_check_addable: the device fits in maxmem - ram_size.

    (TCG has no KVM memory slots, and we have no vhost backends.)
    """
    used = _used_region_size(machine)
    total = machine.maxram_size - machine.ram_size
    if used + size > total:
        raise GenericError(
            f"not enough space, currently 0x{used:x} in use of total space for "
            f"memory devices 0x{total:x}"
        )


def _align_up(value: int, align: int) -> int:
    return (value + align - 1) // align * align


def _device_memory(machine: Machine) -> DeviceMemory:
    """The device-memory region, or the machine's refusal of memory devices."""
    region = machine.device_memory
    prechecks = machine.profile.memory_device_prechecks
    if region is None or (prechecks and region.size == 0):
        # 10.0's pc makes no region without maxmem: one text for both.
        raise GenericError(
            machine.profile.no_device_memory_error
            or "memory devices (e.g. for memory hotplug) are not supported by the machine"
        )
    if region.size == 0:
        raise GenericError(
            "memory devices (e.g. for memory hotplug) are not enabled, "
            "please specify the maxmem option"
        )
    return region


def memory_device_get_free_addr(
    machine: Machine, hint: int | None, align: int, size: int, warnings: list[str] | None = None
) -> int:
    """memory_device_get_free_addr: the hint checked, or the first fit.

    ``warnings`` hears its warn_report() (an alignment beyond the region
    base's, which only a large virtio-mem block size reaches).  Where the
    profile has memory_device_prechecks, memory_device_pre_plug has checked
    the region, the space and the size before.

    Raises:
        GenericError: QEMU's texts, in its order.
    """
    region = _device_memory(machine)
    if region.base % align and warnings is not None:
        warnings.append(
            f"the alignment (0x{align:x}) exceeds the expected maximum alignment, memory will "
            "get fragmented and not all 'maxmem' might be usable for memory devices."
        )
    prechecked = machine.profile.memory_device_prechecks
    if not prechecked:
        _check_addable(machine, size)
    if hint is not None and hint % align:
        raise GenericError(f"address must be aligned to 0x{align:x} bytes")
    if not prechecked and size % align:
        raise GenericError(f"backend memory size must be multiple of 0x{align:x}")
    region_end = region.base + region.size
    if hint is not None:
        if hint + size > region_end or hint < region.base or hint + size > 1 << 64:
            raise GenericError(
                f"can't add memory device [0x{hint:x}:0x{size:x}], usable range for memory "
                f"devices [0x{region.base:x}:0x{region.size:x}]"
            )
        start = hint
    else:
        start = _align_up(region.base, align)
        if start + size > 1 << 64:
            raise GenericError("can't add memory device, device too big")
    for dev in memory_devices(machine):
        kind = _kind(dev)
        lob = kind.get_addr(dev)
        upb = lob + kind.get_region_size(machine, dev)
        if lob < start + size and start < upb:
            if hint is not None:
                name = dev.id if dev.id is not None else "(unnamed)"
                raise GenericError(f"address range conflicts with memory device id='{name}'")
            start = _align_up(upb, align)
        elif lob >= start + size:
            break
    if start + size > region_end:
        raise GenericError(
            "could not find position in guest address space for "
            "memory device - memory fragmented due to alignments"
        )
    return start


def memory_device_pre_plug(machine: Machine, dev: DeviceState, legacy_align: int | None) -> None:
    """memory_device_pre_plug: choose the address and record it on ``dev``.

    ``legacy_align`` replaces the device's alignment on old machine types.

    Raises:
        GenericError: QEMU's texts.
    """
    kind = _kind(dev)
    if machine.profile.memory_device_prechecks:
        _device_memory(machine)
    size = kind.get_region_size(machine, dev)
    if machine.profile.memory_device_prechecks:
        _check_addable(machine, size)
        region_align = kind.get_region_alignment(machine, dev)
        if size % region_align:
            raise GenericError(f"backend memory size must be multiple of 0x{region_align:x}")
    align = legacy_align if legacy_align is not None else kind.get_min_alignment(machine, dev)
    addr = kind.get_addr(dev)
    free = memory_device_get_free_addr(machine, addr or None, align, size, dev.warnings)
    kind.set_addr(dev, free)


def _placement(machine: Machine, dev: DeviceState) -> tuple[str | None, str, int, int, int]:
    kind = _kind(dev)
    return (
        dev.id,
        dev.qom_path,
        kind.numa_node(machine, dev),
        kind.get_addr(dev),
        kind.get_region_size(machine, dev),
    )


def memory_device_plug(machine: Machine, dev: DeviceState) -> None:
    """memory_device_plug: the device's memory appears at its address.

    The device is in the region from now on (it is in the QdevTree); the
    placement notifiers are told, newest first.
    """
    for notifier in list(machine.memory_device_notifiers):
        notifier.memory_device_plugged(*_placement(machine, dev))


def memory_device_unplug(machine: Machine, dev: DeviceState) -> None:
    """memory_device_unplug: the device's memory leaves the guest."""
    for notifier in list(machine.memory_device_notifiers):
        notifier.memory_device_unplugged(*_placement(machine, dev))


def get_plugged_memory_size(machine: Machine) -> int:
    """get_plugged_memory_size: the sum over every plugged memory device."""
    return sum(_kind(d).get_plugged_size(machine, d) for d in memory_devices(machine))


def qmp_memory_device_list(machine: Machine) -> list[dict[str, object]]:
    """MemoryDeviceInfo of every memory device, by address."""
    return [
        {"type": _kind(d).info_type, "data": _kind(d).fill_device_info(machine, d)}
        for d in memory_devices(machine)
    ]


def query_numa_node_mem(machine: Machine) -> list[tuple[int, int]]:
    """(node memory, plugged memory) of each node (query_numa_node_mem).

    Empty without NUMA nodes.  Memory devices count on the node their kind
    names (virtio-pmem always on node 0, as 7.2 does).
    """
    numa = machine.numa
    if numa is None or numa.num_nodes <= 0:
        return []
    nodes = [[info.node_mem, 0] for _, info in numa.present_nodes()]
    for dev in memory_devices(machine):
        kind = _kind(dev)
        size = kind.get_plugged_size(machine, dev)
        node = nodes[kind.numa_node(machine, dev)]
        node[0] += size
        node[1] += size
    return [(mem, plugged) for mem, plugged in nodes]
