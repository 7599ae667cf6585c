"""RAM configuration, the device-memory region and RAM-block notifiers."""

from __future__ import annotations

import pytest

from qmpnuma.errors import GenericError
from qmpnuma.machine.machine_types import MachineClass, find_machine_class
from qmpnuma.machine.memory import (
    GiB,
    MemoryConfig,
    MiB,
    RAMList,
    machine_set_mem,
    pc_memory_init,
)
from qmpnuma.profile import QEMU_7_2, QEMU_10_0, Profile


def mc(name: str = "pc", profile: Profile = QEMU_7_2) -> MachineClass:
    found = find_machine_class(name, profile)
    assert found is not None
    return found


def test_defaults_and_rounding() -> None:
    assert machine_set_mem(mc(), None, None, None) == MemoryConfig(128 * MiB, 128 * MiB, 0)
    assert machine_set_mem(mc(), 1, None, None).ram_size == 8192


@pytest.mark.parametrize(
    ("slots", "maxmem", "message"),
    [
        (2, None, "slots specified but no max-size"),
        (
            2,
            512 * MiB,
            "invalid value of maxmem: maximum memory size (0x20000000) must be at least "
            "the initial memory size (0x40000000)",
        ),
        (
            2,
            GiB,
            "invalid value of maxmem: memory slots were specified but maximum memory size "
            "(0x40000000) is equal to the initial memory size (0x40000000)",
        ),
    ],
)
def test_set_mem_errors(slots: int, maxmem: int | None, message: str) -> None:
    with pytest.raises(GenericError) as info:
        machine_set_mem(mc(), GiB, slots, maxmem)
    assert info.value.desc == message


def test_maxmem_without_slots() -> None:
    assert machine_set_mem(mc(), GiB, None, 2 * GiB) == MemoryConfig(GiB, 2 * GiB, 0)
    assert machine_set_mem(mc(), GiB, 0, GiB) == MemoryConfig(GiB, GiB, 0)


#: The default qemu64 CPU: 40 physical address bits under TCG, vendor AMD.
QEMU64 = {"phys_bits": 40, "amd_cpu": True}


def test_device_memory_region() -> None:
    region = pc_memory_init(mc(), MemoryConfig(GiB, 8 * GiB, 4), **QEMU64)
    assert (region.base, region.size) == (0x100000000, 7 * GiB + 4 * GiB)
    # 4 GiB of RAM: 1 GiB above 4 GiB with the gigabyte-aligned split.
    assert pc_memory_init(mc(), MemoryConfig(4 * GiB, 5 * GiB, 1), **QEMU64).base == 0x140000000
    assert pc_memory_init(mc(), MemoryConfig(GiB, GiB, 0), **QEMU64).size == 0


def test_amd_1tb_relocation() -> None:
    # The PCI hole would end at 1012 GiB: RAM above 4 GiB moves to 1 TiB on
    # AMD CPUs with 40 bits, and 40 bits then no longer reach the end.
    mem = MemoryConfig(4 * GiB, 994 * GiB, 16)
    with pytest.raises(GenericError) as info:
        pc_memory_init(mc(), mem, **QEMU64)
    assert info.value.desc == (
        "Address space limit 0xffffffffff < 0x1fc3fffffff phys-bits too low (40)"
    )
    # Not on Intel CPUs, nor on machine types older than 7.1.
    assert pc_memory_init(mc(), mem, phys_bits=40, amd_cpu=False).base == 5 * GiB
    assert pc_memory_init(mc("pc-i440fx-7.0"), mem, **QEMU64).base == 5 * GiB
    # 32 physical address bits cover no 64-bit PCI hole at all.
    assert pc_memory_init(mc(), mem, phys_bits=32, amd_cpu=False).base == 5 * GiB


@pytest.mark.parametrize(
    ("name", "mem", "message"),
    [
        ("pc", MemoryConfig(GiB, 2 * GiB, 300), "unsupported amount of memory slots: 300"),
        (
            "pc",
            MemoryConfig(GiB, 2 * GiB + 1024, 2),
            "maximum memory size must by aligned to multiple of 4096 bytes",
        ),
        (
            "pc-i440fx-2.0",
            MemoryConfig(GiB, 2 * GiB, 0),
            "\"-memory 'slots|maxmem'\" is not supported by: pc-i440fx-2.0",
        ),
        # The device-memory end wraps: no 0x, as RAM_ADDR_FMT.
        (
            "pc",
            MemoryConfig(GiB, (1 << 64) - GiB, 1),
            "unsupported amount of maximum memory: ffffffffc0000000",
        ),
        # The phys-bits check comes first; the q35 PCI hole is 32 GiB.
        (
            "q35",
            MemoryConfig(4 * GiB, 975 * GiB, 16),
            "Address space limit 0xffffffffff < 0x1003fffffff phys-bits too low (40)",
        ),
    ],
)
def test_pc_memory_init_errors(name: str, mem: MemoryConfig, message: str) -> None:
    with pytest.raises(GenericError) as info:
        pc_memory_init(mc(name), mem, phys_bits=40, amd_cpu=False)
    assert info.value.desc == message


#: A CPU without long mode: pentium3 (PSE36), or qemu32 with 10.0's PAE rule.
NO_LM_36 = {"phys_bits": 36, "amd_cpu": False, "long_mode": False}
TOO_LOW = "Address space limit 0x{:x} < 0x{:x} phys-bits too low ({})"


def test_32bit_cpu_ends_with_the_pci_hole_in_7_2() -> None:
    # 7.2 pc_max_used_gpa: 36 phys-bits are not <= 32, so the 64-bit PCI
    # hole counts: (5 GiB + 73 GiB of device memory) + 2 GiB of hole.
    with pytest.raises(GenericError) as info:
        pc_memory_init(mc(), MemoryConfig(4 * GiB, 61 * GiB, 16), **NO_LM_36)
    assert info.value.desc == TOO_LOW.format(2**36 - 1, 80 * GiB - 1, 36)


def test_32bit_cpu_ends_with_device_memory_in_10_0() -> None:
    with pytest.raises(GenericError) as info:
        pc_memory_init(mc("pc", QEMU_10_0), MemoryConfig(4 * GiB, 61 * GiB, 16), **NO_LM_36)
    assert info.value.desc == TOO_LOW.format(2**36 - 1, 78 * GiB - 1, 36)
    # One slot: device memory ends at 4 + 1 + (62 - 4) + 1 = 64 GiB, just within 36 bits.
    pc_memory_init(mc("pc", QEMU_10_0), MemoryConfig(4 * GiB, 62 * GiB, 1), **NO_LM_36)
    # Without hotplug, RAM above 4 GiB is the end: 5 GiB is past 32 bits.
    with pytest.raises(GenericError) as info:
        pc_memory_init(
            mc("pc", QEMU_10_0),
            MemoryConfig(4 * GiB, 4 * GiB, 0),
            phys_bits=32,
            amd_cpu=False,
            long_mode=False,
        )
    assert info.value.desc == TOO_LOW.format(2**32 - 1, 5 * GiB - 1, 32)


def test_32bit_check_is_old_for_8_1_types() -> None:
    # pc_*_8_1_machine_options: the limit stays 2^phys-bits, never exceeded.
    old = mc("pc-i440fx-8.1", QEMU_10_0)
    assert old.fixed_32bit_mem_addr_check is False
    assert pc_memory_init(old, MemoryConfig(4 * GiB, 61 * GiB, 16), **NO_LM_36).size == 73 * GiB
    assert mc("pc-q35-8.2", QEMU_10_0).fixed_32bit_mem_addr_check is True
    assert mc("pc").fixed_32bit_mem_addr_check is None


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int, int]] = []

    def ram_block_added(self, host: int, size: int, max_size: int) -> None:
        self.calls.append(("added", host, size, max_size))

    def ram_block_removed(self, host: int, size: int, max_size: int) -> None:
        self.calls.append(("removed", host, size, max_size))


def test_seed_notifiers_replay_nothing() -> None:
    # The seed's hw/core/numa.c ram_block_notifier_add/remove only link and
    # unlink the notifier.
    ram = RAMList(replay=False)
    ram.add("a", MiB)
    recorder = Recorder()
    ram.ram_block_notifier_add(recorder)
    ram.ram_block_notifier_remove(recorder)
    assert recorder.calls == []


def test_notifier_add_replays_blocks_biggest_first() -> None:
    ram = RAMList()
    small = ram.add("a", MiB)
    big = ram.add("b", GiB)
    recorder = Recorder()
    ram.ram_block_notifier_add(recorder)
    assert recorder.calls == [
        ("added", big.host, GiB, GiB),
        ("added", small.host, MiB, MiB),
    ]
    assert small.host != big.host


def test_notifiers_see_changes_and_removal_replays() -> None:
    # hw/core/numa.c ram_block_notifier_remove (7.2): each existing block is
    # reported removed to the notifier going away.
    ram = RAMList()
    first, second = Recorder(), Recorder()
    ram.ram_block_notifier_add(first)
    ram.ram_block_notifier_add(second)
    block = ram.add("m0", 2 * MiB)
    ram.remove("m0")
    expected = [("added", block.host, 2 * MiB, 2 * MiB), ("removed", block.host, 2 * MiB, 2 * MiB)]
    assert first.calls == second.calls == expected
    m1 = ram.add("m1", MiB)
    ram.ram_block_notifier_remove(first)
    assert first.calls[2:] == [("added", m1.host, MiB, MiB), ("removed", m1.host, MiB, MiB)]
    assert len(second.calls) == 3
    assert ram.blocks and ram.blocks[0].idstr == "m1"
