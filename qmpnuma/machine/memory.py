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
#: hw/i386/x86.c: RAM above 4 GiB starts at 4 GiB...
ABOVE_4G_MEM_START = 1 << 32
#: hw/i386/pc.c: ...unless it would reach AMD's HyperTransport hole, on AMD
#: CPUs, and then it starts at 1 TiB.
AMD_HT_START = 0xFD00000000
AMD_ABOVE_1TB_START = 1 << 40
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


def _device_memory_range(mc: MachineClass, mem: MemoryConfig, above_4g_start: int) -> DeviceMemory:
    """hw/i386/pc.c pc_get_device_memory_range: after the RAM above 4 GiB."""
    base = _align_up(above_4g_start + _above_4g_mem_size(mc, mem.ram_size), GiB)
    size = mem.maxram_size - mem.ram_size
    if mc.enforce_aligned_dimm:
        # One GiB of slack per slot, for 1 GiB page alignment of each DIMM.
        size += GiB * mem.ram_slots
    return DeviceMemory(base=base, size=size)


def _pc_max_used_gpa(
    mc: MachineClass, mem: MemoryConfig, above_4g_start: int, phys_bits: int, long_mode: bool
) -> int:
    """hw/i386/pc.c pc_max_used_gpa: the highest guest-physical address used.

    64-bit CPUs end with the 64-bit PCI hole.  A CPU without long mode
    (machine types with fixed_32bit_mem_addr_check) ends with device memory
    or the RAM above 4 GiB; in 7.2, any CPU with 32 phys-bits or less ends
    at 2^phys-bits, the others with the PCI hole.  The sums wrap like
    QEMU's 64-bit ones; pc_memory_init rejects a wrapped device-memory
    region later.
    """
    fixed = mc.fixed_32bit_mem_addr_check
    if fixed is not None and not long_mode:
        return _max_used_gpa_32bit(mc, mem, above_4g_start, phys_bits, fixed)
    if fixed is None and phys_bits <= 32:
        return (1 << phys_bits) - 1
    if mc.has_reserved_memory and mem.ram_size < mem.maxram_size:
        region = _device_memory_range(mc, mem, above_4g_start)
        hole64_start = region.base if mc.broken_reserved_end else region.base + region.size
    else:
        hole64_start = above_4g_start + _above_4g_mem_size(mc, mem.ram_size)
    hole64_start = _align_up(hole64_start & RAM_ADDR_MAX, GiB) & RAM_ADDR_MAX
    return (hole64_start + mc.pci_hole64_size - 1) & RAM_ADDR_MAX


def _max_used_gpa_32bit(
    mc: MachineClass, mem: MemoryConfig, above_4g_start: int, phys_bits: int, fixed: bool
) -> int:
    """pc_max_used_gpa for a CPU without long mode (8.2+): no 64-bit PCI hole."""
    if not fixed:
        return (1 << phys_bits) - 1
    if mc.has_reserved_memory and mem.ram_size < mem.maxram_size:
        region = _device_memory_range(mc, mem, above_4g_start)
        return (region.base + region.size - 1) & RAM_ADDR_MAX
    return above_4g_start + _above_4g_mem_size(mc, mem.ram_size) - 1


def pc_memory_init(
    mc: MachineClass,
    mem: MemoryConfig,
    *,
    phys_bits: int,
    amd_cpu: bool,
    long_mode: bool = True,
) -> DeviceMemory:
    """The memory checks of hw/i386/pc.c pc_memory_init (7.2) and the region.

    ``phys_bits``, ``amd_cpu`` and ``long_mode`` describe the first CPU
    (X86CPU::phys_bits, IS_AMD_CPU, CPUID_EXT2_LM).  The region is always
    allocated on pc; it is empty without maxmem > size.

    Raises:
        GenericError: address space beyond phys-bits, no reserved memory,
        slots limit, maxmem alignment, address overflow.
    """
    above_4g_start = ABOVE_4G_MEM_START
    if (
        mc.enforce_amd_1tb_hole
        and amd_cpu
        and _pc_max_used_gpa(mc, mem, above_4g_start, phys_bits, long_mode) >= AMD_HT_START
    ):
        above_4g_start = AMD_ABOVE_1TB_START
    max_used = _pc_max_used_gpa(mc, mem, above_4g_start, phys_bits, long_mode)
    max_phys = (1 << phys_bits) - 1
    if max_phys < max_used:
        raise GenericError(
            f"Address space limit 0x{max_phys:x} < 0x{max_used:x} phys-bits too low ({phys_bits})"
        )
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
    region = _device_memory_range(mc, mem, above_4g_start)
    if region.base + region.size > RAM_ADDR_MAX:
        # RAM_ADDR_FMT has no 0x prefix.
        raise GenericError(f"unsupported amount of maximum memory: {mem.maxram_size:x}")
    return region


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

    #: Registering and removing a notifier replay the existing blocks
    #: (7.2 and later; the seed's numa.c does not).
    replay: bool = True
    blocks: list[RAMBlock] = field(default_factory=list)
    notifiers: list[RAMBlockNotifier] = field(default_factory=list)
    _next_host: int = HOST_MAPPING_BASE

    def ram_block_notifier_add(self, notifier: RAMBlockNotifier) -> None:
        """Register ``notifier`` and replay every existing block as added."""
        self.notifiers.insert(0, notifier)
        for block in self.blocks if self.replay else ():
            notifier.ram_block_added(block.host, block.used_length, block.max_length)

    def ram_block_notifier_remove(self, notifier: RAMBlockNotifier) -> None:
        """Unregister ``notifier`` and tell it every existing block is removed.

        hw/core/numa.c ram_block_notifier_remove (7.2) walks the blocks with
        ram_block_notify_remove_single, in list order, as adding replays them;
        the seed's numa.c replays nothing (``replay`` off).
        """
        self.notifiers.remove(notifier)
        for block in self.blocks if self.replay else ():
            notifier.ram_block_removed(block.host, block.used_length, block.max_length)

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
