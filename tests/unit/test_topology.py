"""-smp parsing and x86 possible CPUs (hw/core/machine-smp.c, hw/i386/x86.c)."""

from __future__ import annotations

import pytest

from qmpnuma.errors import CollectingReporter, GenericError
from qmpnuma.machine.machine_types import MachineClass, find_machine_class
from qmpnuma.machine.topology import (
    SmpConfig,
    cpu_slot_to_string,
    machine_parse_smp_config,
    x86_possible_cpu_arch_ids,
)
from qmpnuma.profile import QEMU_7_2, QEMU_10_0

ZERO_WARNING = (
    "Deprecated CPU topology (considered invalid): "
    "CPU topology parameters must be greater than zero"
)


def mc(name: str = "pc") -> MachineClass:
    found = find_machine_class(name, QEMU_7_2)
    assert found is not None
    return found


def parse(config: dict[str, int], name: str = "pc") -> SmpConfig:
    return machine_parse_smp_config(mc(name), config, CollectingReporter(), QEMU_7_2)


def test_cpus_alone_means_one_socket_of_cores() -> None:
    assert parse({"cpus": 4}) == SmpConfig(4, 1, 1, 1, 4, 1, 4)


def test_before_6_2_sockets_are_preferred() -> None:
    assert parse({"cpus": 4}, "pc-i440fx-6.1") == SmpConfig(4, 4, 1, 1, 1, 1, 4)


def test_maxcpus_only() -> None:
    assert parse({"maxcpus": 4}) == SmpConfig(4, 1, 1, 1, 4, 1, 4)


def test_threads_computed_last() -> None:
    assert parse({"cpus": 8, "sockets": 2, "cores": 2}) == SmpConfig(8, 2, 1, 1, 2, 2, 8)


def test_zero_warns_and_continues() -> None:
    reporter = CollectingReporter()
    smp = machine_parse_smp_config(mc(), {"cpus": 0}, reporter, QEMU_7_2)
    assert smp == SmpConfig()
    assert reporter.messages == [("warning", ZERO_WARNING)]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"cpus": 4, "sockets": 3},
            "Invalid CPU topology: product of the hierarchy must match maxcpus: "
            "sockets (3) * dies (1) * cores (1) * threads (1) != maxcpus (4)",
        ),
        (
            {"cpus": 4, "maxcpus": 2},
            "Invalid CPU topology: maxcpus must be equal to or greater than smp: "
            "sockets (1) * dies (1) * cores (2) * threads (1) == maxcpus (2) < smp_cpus (4)",
        ),
        (
            {"cpus": 256},
            "Invalid SMP CPUs 256. The max CPUs supported by machine 'pc-i440fx-7.2' is 255",
        ),
        ({"cpus": 4, "clusters": 2}, "clusters not supported by this machine's CPU topology"),
    ],
)
def test_topology_errors(config: dict[str, int], message: str) -> None:
    with pytest.raises(GenericError) as info:
        parse(config)
    assert info.value.desc == message


def test_q35_allows_288() -> None:
    assert parse({"cpus": 288}, "q35").max_cpus == 288


def test_dies_only_where_supported() -> None:
    with pytest.raises(GenericError, match="dies not supported by this machine's CPU topology"):
        parse({"cpus": 2, "dies": 2}, "none")


def test_possible_cpus_decomposition() -> None:
    smp = parse({"cpus": 2, "sockets": 2, "cores": 2, "maxcpus": 4})
    slots = x86_possible_cpu_arch_ids(smp, "qemu64-x86_64-cpu")
    assert [dict(s.props) for s in slots] == [
        {"socket-id": 0, "core-id": 0, "thread-id": 0},
        {"socket-id": 0, "core-id": 1, "thread-id": 0},
        {"socket-id": 1, "core-id": 0, "thread-id": 0},
        {"socket-id": 1, "core-id": 1, "thread-id": 0},
    ]
    assert [s.arch_id for s in slots] == [0, 1, 2, 3]


def test_die_id_only_with_dies_and_apic_packing() -> None:
    smp = parse({"cpus": 12, "sockets": 2, "dies": 2, "cores": 3})
    slots = x86_possible_cpu_arch_ids(smp, "qemu64-x86_64-cpu")
    assert dict(slots[5].props) == {"socket-id": 0, "die-id": 1, "core-id": 2, "thread-id": 0}
    # cores need 2 bits and dies 1 bit: socket 1 starts at APIC id 8.
    assert slots[6].arch_id == 8
    assert cpu_slot_to_string(slots[5]) == "socket-id: 0, die-id: 1, core-id: 2, thread-id: 0"


# -- QEMU 10.0: drawers, books and modules (hw/core/machine-smp.c) -----------


def parse10(config: dict[str, int], name: str = "pc") -> SmpConfig:
    found = find_machine_class(name, QEMU_10_0)
    assert found is not None
    return machine_parse_smp_config(found, config, CollectingReporter(), QEMU_10_0)


def test_modules_count_in_the_product() -> None:
    smp = parse10({"cpus": 8, "sockets": 2, "modules": 2})
    assert (smp.sockets, smp.modules, smp.cores, smp.threads, smp.max_cpus) == (2, 2, 2, 1, 8)


def test_7_2_has_no_modules() -> None:
    # The profile's SMPConfiguration has no such member: it is not read.
    assert parse({"cpus": 4, "modules": 4}) == SmpConfig(4, 1, 1, 1, 4, 1, 4)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        # machine_parse_smp_config checks modules, clusters, dies, books, drawers.
        ({"cpus": 8, "drawers": 2, "books": 2, "clusters": 2}, "clusters > 1"),
        ({"cpus": 8, "drawers": 2, "books": 2}, "books > 1"),
        ({"cpus": 8, "drawers": 2}, "drawers > 1"),
    ],
)
def test_unsupported_levels_in_10_0_order(config: dict[str, int], message: str) -> None:
    with pytest.raises(GenericError) as info:
        parse10(config)
    assert info.value.desc == f"{message} not supported by this machine's CPU topology"


def test_hierarchy_text_names_modules() -> None:
    with pytest.raises(GenericError) as info:
        parse10({"cpus": 6, "modules": 4})
    assert info.value.desc == (
        "Invalid CPU topology: product of the hierarchy must match maxcpus: "
        "sockets (1) * dies (1) * modules (4) * cores (1) * threads (1) != maxcpus (6)"
    )


def test_module_id_only_with_modules() -> None:
    smp = parse10({"cpus": 8, "sockets": 2, "modules": 2, "cores": 2})
    slots = x86_possible_cpu_arch_ids(smp, "qemu64-x86_64-cpu")
    assert dict(slots[6].props) == {"socket-id": 1, "module-id": 1, "core-id": 0, "thread-id": 0}
    # One core bit, one module bit: socket 1 starts at APIC id 4.
    assert [s.arch_id for s in slots] == list(range(8))
    assert cpu_slot_to_string(slots[6]) == "socket-id: 1, module-id: 1, core-id: 0, thread-id: 0"
    plain = x86_possible_cpu_arch_ids(parse10({"cpus": 2}), "qemu64-x86_64-cpu")
    assert "module-id" not in plain[1].props
