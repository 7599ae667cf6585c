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
from qmpnuma.profile import QEMU_7_2


def mc(name: str = "pc") -> MachineClass:
    found = find_machine_class(name, QEMU_7_2)
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


def test_device_memory_region() -> None:
    region = pc_memory_init(mc(), MemoryConfig(GiB, 8 * GiB, 4))
    assert (region.base, region.size) == (0x100000000, 7 * GiB + 4 * GiB)
    # 4 GiB of RAM: 1 GiB above 4 GiB with the gigabyte-aligned split.
    assert pc_memory_init(mc(), MemoryConfig(4 * GiB, 5 * GiB, 1)).base == 0x140000000
    assert pc_memory_init(mc(), MemoryConfig(GiB, GiB, 0)).size == 0


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
    ],
)
def test_pc_memory_init_errors(name: str, mem: MemoryConfig, message: str) -> None:
    with pytest.raises(GenericError) as info:
        pc_memory_init(mc(name), mem)
    assert info.value.desc == message


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int, int]] = []

    def ram_block_added(self, host: int, size: int, max_size: int) -> None:
        self.calls.append(("added", host, size, max_size))

    def ram_block_removed(self, host: int, size: int, max_size: int) -> None:
        self.calls.append(("removed", host, size, max_size))


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


def test_notifiers_see_changes_and_removal_does_not_replay() -> None:
    ram = RAMList()
    first, second = Recorder(), Recorder()
    ram.ram_block_notifier_add(first)
    ram.ram_block_notifier_add(second)
    block = ram.add("m0", 2 * MiB)
    ram.remove("m0")
    expected = [("added", block.host, 2 * MiB, 2 * MiB), ("removed", block.host, 2 * MiB, 2 * MiB)]
    assert first.calls == second.calls == expected
    ram.add("m1", MiB)
    ram.ram_block_notifier_remove(first)
    assert len(first.calls) == 3
    assert ram.blocks and ram.blocks[0].idstr == "m1"
