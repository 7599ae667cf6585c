"""Guest RAM: -m/memory.* configuration, the device-memory region, RAM blocks.

QEMU counterparts: hw/core/machine.c machine_set_mem (7.2), the RAM checks
of hw/i386/pc.c pc_memory_init and pc_piix.c / pc_q35.c (below/above 4 GiB
split), and the RAM-block notifier list of hw/core/numa.c and
softmmu/physmem.c (ram_block_add, qemu_ram_free).

RAM blocks stand for the host memory QEMU maps for each memory backend.
``host`` addresses are synthetic but stable for the life of a machine, so
that notifiers (QEMU's RAMBlockNotifier users: vfio, Xen, block-ram
registrar) can pair additions with removals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from qmpnuma.errors import GenericError
from qmpnuma.machine.machine_types import MachineClass

__all__ = [
    "KiB",
    "MiB",
    "GiB",
    "MemoryConfig",
    "DeviceMemory",
    "machine_set_mem",
    "pc_memory_init",
    "RAMBlock",
    "RAMBlockNotifier",
    "RAMList",
    "ACPI_MAX_RAM_SLOTS",
    "TARGET_PAGE_SIZE",
]

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30

#: hw/core/machine.c machine_set_mem: RAM sizes are rounded up to 8 KiB.
RAM_SIZE_ALIGN = 8 * KiB
#: include/hw/acpi/pc-hotplug.h (ACPI_MAX_RAM_SLOTS): the pc DIMM slot limit.
ACPI_MAX_RAM_SLOTS = 256
#: target/i386/cpu-param.h: TARGET_PAGE_BITS 12.
TARGET_PAGE_SIZE = 4 * KiB
#: hw/i386/pc_piix.c: default max-ram-below-4g (3.5 GiB).
I440FX_LOWMEM = 0xE0000000
#: hw/i386/pc_piix.c: lowmem with gigabyte_align once RAM reaches 3.5 GiB.
I440FX_LOWMEM_GB_ALIGNED = 0xC0000000
#: hw/i386/pc_q35.c: lowmem below and at/above the 0xb0000000 RAM threshold.
Q35_LOWMEM_SMALL = 0xB0000000
Q35_LOWMEM_LARGE = 0x80000000
#: hw/i386/x86.c: RAM above 4 GiB starts at 4 GiB (no AMD 1 TiB relocation modelled).
ABOVE_4G_MEM_START = 1 << 32
#: ram_addr_t is 64 bits wide on every host we emulate.
RAM_ADDR_MAX = (1 << 64) - 1
#: Where our synthetic host mappings start, and their alignment
#: (QEMU_VMALLOC_ALIGN: 2 MiB on x86_64 Linux).
HOST_MAPPING_BASE = 0x7F0000000000
HOST_MAPPING_ALIGN = 2 * MiB


@dataclass(frozen=True)
class MemoryConfig:
    """The machine's RAM configuration (ms->ram_size, maxram_size, ram_slots)."""

    ram_size: int
    maxram_size: int
    ram_slots: int = 0


@dataclass(frozen=True)
class DeviceMemory:
    """The guest-physical region for memory devices (ms->device_memory)."""

    base: int
    size: int


def _align_up(value: int, align: int) -> int:
    return (value + align - 1) // align * align


def machine_set_mem(
    mc: MachineClass, size: int | None, slots: int | None, maxmem: int | None
) -> MemoryConfig:
    """Validate a MemorySizeConfiguration (hw/core/machine.c machine_set_mem, 7.2).

    None means the member was not given.  The size is rounded up to 8 KiB
    (wrapping like the C uint64_t); an absent size is the machine default.

    Raises:
        GenericError: QEMU's maxmem / slots texts.
    """
    ram_size = mc.default_ram_size if size is None else size
    ram_size = _align_up(ram_size, RAM_SIZE_ALIGN) & RAM_ADDR_MAX
    if maxmem is None:
        if slots is not None:
            raise GenericError("slots specified but no max-size")
        return MemoryConfig(ram_size, ram_size, 0)
    if maxmem < ram_size:
        raise GenericError(
            "invalid value of maxmem: maximum memory size "
            f"(0x{maxmem:x}) must be at least the initial memory size (0x{ram_size:x})"
        )
    if slots and maxmem == ram_size:
        raise GenericError(
            "invalid value of maxmem: memory slots were specified but maximum "
            f"memory size (0x{maxmem:x}) is equal to the initial memory size (0x{ram_size:x})"
        )
    return MemoryConfig(ram_size, maxmem, slots or 0)


def _above_4g_mem_size(mc: MachineClass, ram_size: int) -> int:
    """RAM mapped above 4 GiB (pc_init1 / pc_q35_init lowmem split)."""
    if mc.family == "q35":
        lowmem = Q35_LOWMEM_LARGE if ram_size >= Q35_LOWMEM_SMALL else Q35_LOWMEM_SMALL
    else:
        lowmem = I440FX_LOWMEM
        if ram_size >= lowmem and mc.gigabyte_align:
            lowmem = I440FX_LOWMEM_GB_ALIGNED
    return ram_size - lowmem if ram_size >= lowmem else 0


def pc_memory_init(mc: MachineClass, mem: MemoryConfig) -> DeviceMemory:
    """The memory checks of hw/i386/pc.c pc_memory_init (7.2) and the region.

    The region is always allocated on pc; it is empty without maxmem > size.

    Raises:
        GenericError: no reserved memory, slots limit, maxmem alignment,
        address overflow.
    """
    if not mc.has_reserved_memory and (mem.ram_slots or mem.maxram_size > mem.ram_size):
        raise GenericError(f"\"-memory 'slots|maxmem'\" is not supported by: {mc.name}")
    if mem.ram_size >= mem.maxram_size:
        return DeviceMemory(base=0, size=0)
    if mem.ram_slots > ACPI_MAX_RAM_SLOTS:
        raise GenericError(f"unsupported amount of memory slots: {mem.ram_slots}")
    if _align_up(mem.maxram_size, TARGET_PAGE_SIZE) != mem.maxram_size:
        # sic: "must by aligned"
        raise GenericError(
            f"maximum memory size must by aligned to multiple of {TARGET_PAGE_SIZE} bytes"
        )
    base = _align_up(ABOVE_4G_MEM_START + _above_4g_mem_size(mc, mem.ram_size), GiB)
    size = mem.maxram_size - mem.ram_size
    if mc.enforce_aligned_dimm:
        # One GiB of slack per slot, for 1 GiB page alignment of each DIMM.
        size += GiB * mem.ram_slots
    if base + size > RAM_ADDR_MAX:
        raise GenericError(f"unsupported amount of maximum memory: 0x{mem.maxram_size:x}")
    return DeviceMemory(base=base, size=size)


@dataclass(frozen=True)
class RAMBlock:
    """One host mapping of guest RAM (softmmu RAMBlock)."""

    #: The block's name: the owning backend's id (idstr).
    idstr: str
    host: int
    used_length: int
    max_length: int


class RAMBlockNotifier(Protocol):
    """QEMU's RAMBlockNotifier (include/exec/ramlist.h)."""

    def ram_block_added(self, host: int, size: int, max_size: int) -> None: ...

    def ram_block_removed(self, host: int, size: int, max_size: int) -> None: ...


@dataclass
class RAMList:
    """The RAM blocks of one machine and the notifiers watching them.

    Blocks are kept biggest first, as ram_block_add inserts them; notifiers
    are called newest first, as QLIST_INSERT_HEAD leaves them.
    """

    blocks: list[RAMBlock] = field(default_factory=list)
    notifiers: list[RAMBlockNotifier] = field(default_factory=list)
    _next_host: int = HOST_MAPPING_BASE

    def ram_block_notifier_add(self, notifier: RAMBlockNotifier) -> None:
        """Register ``notifier`` and replay every existing block as added (7.2)."""
        self.notifiers.insert(0, notifier)
        for block in self.blocks:
            notifier.ram_block_added(block.host, block.used_length, block.max_length)

    def ram_block_notifier_remove(self, notifier: RAMBlockNotifier) -> None:
        """Unregister ``notifier``; 7.2 does not replay removals (master does)."""
        self.notifiers.remove(notifier)

    def add(self, idstr: str, size: int) -> RAMBlock:
        """Map a new block (ram_block_add) and tell every notifier."""
        block = RAMBlock(idstr, self._next_host, size, size)
        self._next_host += _align_up(max(size, 1), HOST_MAPPING_ALIGN)
        position = next(
            (i for i, old in enumerate(self.blocks) if old.max_length < size), len(self.blocks)
        )
        self.blocks.insert(position, block)
        for notifier in list(self.notifiers):
            notifier.ram_block_added(block.host, block.used_length, block.max_length)
        return block

    def remove(self, idstr: str) -> None:
        """Unmap the block named ``idstr`` (qemu_ram_free) and tell every notifier."""
        block = next(b for b in self.blocks if b.idstr == idstr)
        for notifier in list(self.notifiers):
            notifier.ram_block_removed(block.host, block.used_length, block.max_length)
        self.blocks.remove(block)
