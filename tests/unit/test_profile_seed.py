"""The seed-era profile: hw/core/numa.c around QEMU 4.2/5.0.

No packaged QEMU is that old, so every expected value here is worked out by
hand from the seed's functions (../shared/reference/seed-numa-c.txt, cited
by function and line).
"""

from __future__ import annotations

import pytest

from qmpnuma.errors import CollectingReporter, QMPError
from qmpnuma.machine.machine import Machine
from qmpnuma.machine.machine_types import find_machine_class
from qmpnuma.profile import QEMU_7_2, SEED, Profile

MiB = 1 << 20
GiB = 1 << 30
SPLIT_WARNING = (
    "Default splitting of RAM between nodes is deprecated, Use '-numa node,memdev' "
    "to explictly define RAM allocation per node"
)
MEM_WARNING = "Parameter -numa node,mem is deprecated, use -numa node,memdev instead"
HMAT_OFF = (
    "ACPI Heterogeneous Memory Attribute Table (HMAT) is disabled, enable it with "
    "-machine hmat=on before using any of hmat specific options"
)


def machine(name: str, profile: Profile = SEED, ram: int = GiB, cpus: int = 1) -> Machine:
    mc = find_machine_class(name, profile)
    assert mc is not None
    m = Machine(mc, profile)
    m.set_memory(ram, None, None)
    m.set_smp({"cpus": cpus}, CollectingReporter())
    return m


def split(name: str, nodes: int, ram: int) -> tuple[list[int], list[tuple[str, str]]]:
    m = machine(name, ram=ram)
    reporter = CollectingReporter()
    for _ in range(nodes):
        m.set_numa_options({"type": "node"}, reporter)
    m.create(reporter)
    return m.node_memory(), reporter.messages


def error(call: object, *args: object) -> str:
    assert callable(call)
    with pytest.raises(QMPError) as info:
        call(*args)
    return info.value.desc


def test_seed_machine_types_stop_at_5_0() -> None:
    assert find_machine_class("pc", SEED) == find_machine_class("pc-i440fx-5.0", SEED)
    assert find_machine_class("pc-i440fx-5.1", SEED) is None


def test_default_split_carries_the_rounding_forward() -> None:
    # numa_default_auto_assign_ram (seed lines 368-384), align 8 MiB
    # (numa_mem_align_shift 23), 1 GiB over 3 nodes:
    #   granularity = 1073741824 // 3 = 357913941
    #   node 0: 357913941 & ~(8M-1) = 352321536 (336 MiB), carry 5592405
    #   node 1: 363506346 & ~(8M-1) = 360710144 (344 MiB), carry 2796202
    #   node 2: the rest, 1073741824 - 713031680 = 360710144 (344 MiB)
    # and numa_complete_configuration warns (lines 446-455).
    memory, messages = split("pc-i440fx-5.0", 3, GiB)
    assert memory == [336 * MiB, 344 * MiB, 344 * MiB]
    assert messages == [("warning", SPLIT_WARNING)]


def test_legacy_split_leaves_the_remainder_to_the_last_node() -> None:
    # numa_legacy_auto_assign_ram (seed lines 350-366), for pc 2.9 and older:
    #   each of nodes 0..3: (1073741824 // 5) & ~(8M-1)
    #                       = 214748364 & ~8388607 = 209715200 (200 MiB)
    #   node 4: 1024 MiB - 4 * 200 MiB = 224 MiB
    memory, _ = split("pc-i440fx-2.9", 5, GiB)
    assert memory == [200 * MiB, 200 * MiB, 200 * MiB, 200 * MiB, 224 * MiB]


def test_default_split_of_five_nodes() -> None:
    # numa_default_auto_assign_ram, granularity 214748364:
    #   node 0: 214748364 -> 209715200 (200 MiB), carry 5033164
    #   node 1: 219781528 -> 218103808 (208 MiB), carry 1677720
    #   node 2: 216426084 -> 209715200 (200 MiB), carry 6710884
    #   node 3: 221459248 -> 218103808 (208 MiB), carry 3355440
    #   node 4: 1024 - 816 = 208 MiB
    memory, _ = split("pc-q35-5.0", 5, GiB)
    assert memory == [200 * MiB, 208 * MiB, 200 * MiB, 208 * MiB, 208 * MiB]


def test_a_node_with_memory_stops_the_split() -> None:
    # numa_complete_configuration (lines 441-466): the split happens only
    # when no node has memory; then the sum must equal the RAM size.
    m = machine("pc-i440fx-5.0")
    reporter = CollectingReporter()
    m.set_numa_options({"type": "node", "mem": 256 * MiB}, reporter)
    m.set_numa_options({"type": "node"}, reporter)
    assert error(m.create, reporter) == (
        "total memory for NUMA nodes (0x10000000) should equal RAM size (0x40000000)"
    )


def test_mem_is_accepted_on_every_machine_type() -> None:
    # The seed's parse_numa_node (lines 117-123) has no per-type gate:
    # mem= only warns, even on a type that 7.2 refuses it for.
    mc = find_machine_class("pc-i440fx-7.2", QEMU_7_2)
    assert mc is not None
    m = Machine(mc, SEED)
    m.set_memory(GiB, None, None)
    reporter = CollectingReporter()
    m.set_numa_options({"type": "node", "mem": GiB}, reporter)
    assert reporter.messages == [("warning", MEM_WARNING)]
    m7 = Machine(mc, QEMU_7_2)
    assert error(m7.set_numa_options, {"type": "node", "mem": GiB}, CollectingReporter()) == (
        "Parameter -numa node,mem is not supported by this machine type"
    )


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        # Seed parse_numa_node: CPUs (lines 90-107) before the initiator (142-158).
        (SEED, "CPU index (4) should be smaller than maxcpus (1)"),
        # 7.2 checks the initiator first.
        (QEMU_7_2, HMAT_OFF),
    ],
)
def test_node_checks_cpus_then_memory_then_initiator(profile: Profile, expected: str) -> None:
    m = machine("pc-i440fx-5.0", profile)
    opts = {"type": "node", "cpus": [4], "initiator": 0}
    assert error(m.set_numa_options, opts, CollectingReporter()) == expected


def test_memory_mixing_is_reported_before_the_initiator() -> None:
    # Seed parse_numa_node: the mem=/memdev= mixing check (lines 109-115)
    # comes before the HMAT check of the initiator (lines 142-148).
    m = machine("pc-i440fx-5.0")
    m.object_add("memory-backend-ram", {"id": "m0", "size": GiB})
    m.set_numa_options({"type": "node", "memdev": "m0"}, CollectingReporter())
    assert error(
        m.set_numa_options, {"type": "node", "mem": GiB, "initiator": 0}, CollectingReporter()
    ) == "numa configuration should use either mem= or memdev=,mixing both is not allowed"


def two_nodes_on_one_backend(profile: Profile) -> Machine:
    m = machine("pc-i440fx-5.0", profile, ram=2 * GiB)
    m.object_add("memory-backend-ram", {"id": "m0", "size": GiB})
    for node in (0, 1):
        m.set_numa_options({"type": "node", "nodeid": node, "memdev": "m0"}, CollectingReporter())
    return m


def test_a_backend_used_twice_is_found_at_allocation() -> None:
    # memory_region_allocate_system_memory (seed lines 561-577), which
    # pc_memory_init calls after the CPUs are created.
    m = two_nodes_on_one_backend(SEED)
    assert error(m.create, CollectingReporter()) == (
        "memory backend m0 is used multiple times. Each -numa option must use a "
        "different memdev value."
    )
    assert error(two_nodes_on_one_backend(QEMU_7_2).create, CollectingReporter()) == (
        "memory backend m0 can't be used multiple times."
    )


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        # The seed allocates RAM after creating the CPUs: the CPU error wins.
        (SEED, "CPU model 'host' requires KVM or HVF"),
        (QEMU_7_2, "memory backend m0 can't be used multiple times."),
    ],
)
def test_the_reuse_check_comes_after_the_cpus(profile: Profile, expected: str) -> None:
    m = two_nodes_on_one_backend(profile)
    m.set_cpu_model("host")
    assert error(m.create, CollectingReporter()) == expected


class Notifier:
    """A RAMBlockNotifier that writes down what it is told."""

    def __init__(self) -> None:
        self.added: list[tuple[int, int]] = []

    def ram_block_added(self, host: int, size: int, max_size: int) -> None:
        self.added.append((size, max_size))

    def ram_block_removed(self, host: int, size: int, max_size: int) -> None:
        raise AssertionError("nothing is removed here")


@pytest.mark.parametrize("mem_path", [None, "/dev/hugepages"])
def test_ram_without_memdevs_is_no_backend_object(mem_path: str | None) -> None:
    # memory_region_allocate_system_memory (seed lines 554-557): no node has
    # a memdev, so allocate_system_memory_nonnuma (lines 512-544) makes one
    # RAM region of ram_size, from the -mem-path file or anonymous; no
    # memory backend exists, so query-memdev has nothing to list.
    m = machine("pc", ram=2 * GiB)
    m.mem_path = mem_path
    notifier = Notifier()
    m.ram_block_notifier_add(notifier)
    m.create(CollectingReporter())
    assert m.backends == [] and m.memdev is None
    assert [(b.idstr, b.used_length) for b in m.ram_list.blocks] == [("pc.ram", 2 * GiB)]
    assert notifier.added == [(2 * GiB, 2 * GiB)]


def test_legacy_node_memory_is_allocated_as_one_region() -> None:
    # Two -numa node,mem= nodes: have_memdevs is false, so the seed still
    # allocates one region of the whole ram_size (lines 554-557), not one per node.
    m = machine("pc", ram=GiB)
    reporter = CollectingReporter()
    for node in (0, 1):
        m.set_numa_options({"type": "node", "nodeid": node, "mem": GiB // 2}, reporter)
    m.create(reporter)
    assert m.node_memory() == [GiB // 2, GiB // 2]
    assert [(b.idstr, b.used_length) for b in m.ram_list.blocks] == [("pc.ram", GiB)]


def test_later_releases_make_the_ram_a_backend_object() -> None:
    # hw/core/machine.c create_default_memdev (7.2): memory-backend-file
    # under -mem-path, named after the RAM id.
    m = machine("pc", QEMU_7_2, ram=2 * GiB)
    m.mem_path = "/dev/hugepages"
    m.create(CollectingReporter())
    assert [(b.id, b.qom_type, b.extra["mem-path"]) for b in m.backends] == [
        ("pc.ram", "memory-backend-file", "/dev/hugepages")]
