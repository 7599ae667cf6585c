"""Query commands, qom-list/qom-get and HMP info texts for the NUMA model."""

from __future__ import annotations

import os

import pytest

from qmpnuma.commands.context import CommandContext
from qmpnuma.commands.hmp import qmp_human_monitor_command
from qmpnuma.commands.hmp_info import INFO_COMMANDS
from qmpnuma.commands.machine import (
    qmp_query_cpus_fast,
    qmp_query_hotpluggable_cpus,
    qmp_x_query_numa,
)
from qmpnuma.commands.memory import (
    qmp_query_acpi_ospm_status,
    qmp_query_memdev,
    qmp_query_memory_devices,
    qmp_query_memory_size_summary,
)
from qmpnuma.commands.qom import qmp_qom_get, qmp_qom_list
from qmpnuma.errors import CollectingReporter, DeviceNotFound, GenericError
from qmpnuma.machine.machine import Machine
from qmpnuma.machine.machine_types import find_machine_class
from qmpnuma.profile import QEMU_7_2, QEMU_10_0, Profile
from tests.unit.contexts import command_context

MiB = 1 << 20
GiB = 1 << 30


def context(m: Machine) -> CommandContext:
    return command_context(m)


def two_node_machine(create: bool = True) -> CommandContext:
    """-smp 2,maxcpus=3 -m 1G,slots=2,maxmem=2G, two 512M nodes, CPU 0 on node 0."""
    mc = find_machine_class("pc", QEMU_7_2)
    assert mc is not None
    m = Machine(mc, QEMU_7_2)
    m.set_smp({"cpus": 2, "maxcpus": 3}, CollectingReporter())
    m.set_memory(GiB, 2, 2 * GiB)
    m.object_add(
        "memory-backend-ram",
        {"id": "m0", "size": 512 * MiB, "host-nodes": [0], "policy": "bind"},
    )
    m.object_add("memory-backend-memfd", {"id": "m1", "size": 512 * MiB})
    m.set_numa_options({"type": "node", "memdev": "m0", "cpus": [0]}, CollectingReporter())
    m.set_numa_options({"type": "node", "memdev": "m1"}, CollectingReporter())
    if create:
        m.create(CollectingReporter())
    return context(m)


def test_hotpluggable_cpus_before_creation() -> None:
    ctx = two_node_machine(create=False)
    assert qmp_query_hotpluggable_cpus(ctx, {}) == [
        {"type": "qemu64-x86_64-cpu", "vcpus-count": 1,
         "props": {"socket-id": 0, "core-id": c, "thread-id": 0}}
        for c in (2, 1)
    ] + [
        {"type": "qemu64-x86_64-cpu", "vcpus-count": 1,
         "props": {"node-id": 0, "socket-id": 0, "core-id": 0, "thread-id": 0}}
    ]  # fmt: skip


def test_hotpluggable_cpus_after_creation() -> None:
    result = qmp_query_hotpluggable_cpus(two_node_machine(), {})
    assert isinstance(result, list)
    assert [e.get("qom-path") for e in result] == [
        None, "/machine/unattached/device[2]", "/machine/unattached/device[0]",
    ]  # fmt: skip
    assert all(e["props"]["node-id"] == 0 for e in result)


def test_cpus_fast() -> None:
    result = qmp_query_cpus_fast(two_node_machine(), {})
    assert isinstance(result, list) and len(result) == 2
    first = result[0]
    assert list(first) == ["cpu-index", "qom-path", "thread-id", "props", "target"]
    assert first["props"] == {"node-id": 0, "socket-id": 0, "core-id": 0, "thread-id": 0}
    assert first["target"] == "x86_64" and result[1]["thread-id"] == first["thread-id"]
    # Only a thread of ours may be handed out: clients pin and move it.
    assert first["thread-id"] == os.getpid()


NUMA_TEXT = (
    "2 nodes\n"
    "node 0 cpus: 0 1\n"
    "node 0 size: 512 MB\n"
    "node 0 plugged: 0 MB\n"
    "node 1 cpus:\n"
    "node 1 size: 512 MB\n"
    "node 1 plugged: 0 MB\n"
)


def test_numa_text_is_shared() -> None:
    ctx = two_node_machine()
    assert qmp_x_query_numa(ctx, {}) == {"human-readable-text": NUMA_TEXT}
    assert INFO_COMMANDS["numa"](ctx) == NUMA_TEXT


def test_numa_text_without_nodes() -> None:
    mc = find_machine_class("pc", QEMU_7_2)
    assert mc is not None
    m = Machine(mc, QEMU_7_2)
    m.create(CollectingReporter())
    assert INFO_COMMANDS["numa"](context(m)) == "0 nodes\n"


def test_memdev_and_hmp() -> None:
    ctx = two_node_machine()
    memdevs = qmp_query_memdev(ctx, {})
    # QEMU's order for m0, m1: the reverse of QOM's GHashTable walk.
    assert memdevs == [
        {"id": "m1", "size": 512 * MiB, "merge": True, "dump": True, "prealloc": False,
         "share": True, "reserve": True, "host-nodes": [], "policy": "default"},
        {"id": "m0", "size": 512 * MiB, "merge": True, "dump": True, "prealloc": False,
         "share": False, "reserve": True, "host-nodes": [0], "policy": "bind"},
    ]  # fmt: skip
    assert INFO_COMMANDS["memdev"](ctx) == (
        "memory backend: m1\n  size:  536870912\n  merge: true\n  dump: true\n"
        "  prealloc: false\n  share: true\n  reserve: true\n  policy: default\n"
        "  host nodes: \n"
        "memory backend: m0\n  size:  536870912\n  merge: true\n  dump: true\n"
        "  prealloc: false\n  share: false\n  reserve: true\n  policy: bind\n"
        "  host nodes: 0\n\n"
    )


def test_hotpluggable_cpus_hmp() -> None:
    text = INFO_COMMANDS["hotpluggable-cpus"](two_node_machine())
    assert text.startswith(
        'Hotpluggable CPUs:\n  type: "qemu64-x86_64-cpu"\n  vcpus_count: "1"\n'
        '  CPUInstance Properties:\n    node-id: "0"\n    socket-id: "0"\n'
        '    core-id: "2"\n    thread-id: "0"\n  type: "qemu64-x86_64-cpu"\n'
        '  vcpus_count: "1"\n  qom_path: "/machine/unattached/device[2]"\n'
    )


def test_info_cpus_marks_the_monitor_cpu() -> None:
    ctx = two_node_machine()
    tid = os.getpid()
    assert INFO_COMMANDS["cpus"](ctx) == (
        f"* CPU #0: thread_id={tid}\n  CPU #1: thread_id={tid}\n"
    )
    assert qmp_human_monitor_command(ctx, {"command-line": "info cpus", "cpu-index": 1}) == (
        f"  CPU #0: thread_id={tid}\r\n* CPU #1: thread_id={tid}\r\n"
    )


def test_memory_summaries() -> None:
    ctx = two_node_machine()
    assert qmp_query_memory_size_summary(ctx, {}) == {"base-memory": GiB, "plugged-memory": 0}
    assert INFO_COMMANDS["memory_size_summary"](ctx) == (
        "base memory: 1073741824\nplugged memory: 0\n"
    )
    assert qmp_query_memory_devices(ctx, {}) == []
    assert INFO_COMMANDS["memory-devices"](ctx) == ""
    assert qmp_query_acpi_ospm_status(ctx, {}) == [
        {"slot": "0", "slot-type": "DIMM", "source": 0, "status": 0},
        {"slot": "1", "slot-type": "DIMM", "source": 0, "status": 0},
    ]


def test_none_machine_queries() -> None:
    mc = find_machine_class("none", QEMU_7_2)
    assert mc is not None
    m = Machine(mc, QEMU_7_2)
    m.create(CollectingReporter())
    ctx = context(m)
    # QEMU 7.2's QERR_FEATURE_DISABLED (checked with the oracle).
    with pytest.raises(GenericError, match="The feature 'query-hotpluggable-cpus' is not enabled"):
        qmp_query_hotpluggable_cpus(ctx, {})
    assert INFO_COMMANDS["hotpluggable-cpus"](ctx) == (
        "Error: The feature 'query-hotpluggable-cpus' is not enabled\n"
    )
    # pc-only machine properties do not exist on none.
    with pytest.raises(GenericError, match="Property 'none-machine.hmat' not found"):
        qmp_qom_get(ctx, {"path": "/machine", "property": "hmat"})
    with pytest.raises(GenericError, match="command is not supported, missing ACPI device"):
        qmp_query_acpi_ospm_status(ctx, {})


@pytest.mark.parametrize(("name", "has_acpi"), [("pc", False), ("q35", True)])
def test_acpi_off_removes_the_pc_acpi_device(name: str, has_acpi: bool) -> None:
    mc = find_machine_class(name, QEMU_7_2)
    assert mc is not None
    m = Machine(mc, QEMU_7_2)
    m.set_property("acpi", "off")
    m.create(CollectingReporter())
    assert m.has_acpi_device is has_acpi


def test_qom_backend() -> None:
    ctx = two_node_machine()
    listing = qmp_qom_list(ctx, {"path": "/objects/m1"})
    assert isinstance(listing, list)
    names = [p["name"] for p in listing]
    assert names[:3] == ["type", "share", "size"] and names[-1] == "m1[0]"
    assert "hugetlb" in names
    assert qmp_qom_get(ctx, {"path": "m0", "property": "size"}) == 512 * MiB
    assert qmp_qom_get(ctx, {"path": "/objects/m0", "property": "host-nodes"}) == [0]
    assert qmp_qom_get(ctx, {"path": "/objects/m1", "property": "type"}) == ("memory-backend-memfd")
    with pytest.raises(GenericError) as info:
        qmp_qom_get(ctx, {"path": "/objects/m0", "property": "nope"})
    assert info.value.desc == "Property 'memory-backend-ram.nope' not found"


def test_qom_cpu_and_machine() -> None:
    ctx = two_node_machine()
    cpu = "/machine/unattached/device[2]"
    assert qmp_qom_get(ctx, {"path": cpu, "property": "node-id"}) == 0
    assert qmp_qom_get(ctx, {"path": cpu, "property": "core-id"}) == 1
    assert qmp_qom_get(ctx, {"path": "/machine", "property": "memory"}) == {
        "size": GiB, "max-size": 2 * GiB, "slots": 2,
    }  # fmt: skip
    assert qmp_qom_get(ctx, {"path": "/machine", "property": "memory-backend"}) == ""
    assert qmp_qom_get(ctx, {"path": "/machine", "property": "unattached"}) == (
        "/machine/unattached"
    )
    assert qmp_qom_list(ctx, {"path": "/machine/peripheral"}) == [
        {"name": "type", "type": "string"}
    ]


@pytest.mark.parametrize(
    ("profile", "own"),
    [
        (QEMU_7_2, ["readonly", "align", "pmem", "mem-path", "discard-data"]),
        (QEMU_10_0, ["pmem", "align", "offset", "mem-path", "rom", "discard-data", "readonly"]),
    ],
)
def test_qom_file_backend_properties(profile: Profile, own: list[str]) -> None:
    # backends/hostmem-file.c: 10.0 adds offset and rom, and QOM's hash
    # table lists the file backend's properties in another order.
    mc = find_machine_class("pc", profile)
    assert mc is not None
    m = Machine(mc, profile)
    m.object_add("memory-backend-file", {"id": "f", "size": MiB, "mem-path": "/tmp"})
    ctx = context(m)
    listing = qmp_qom_list(ctx, {"path": "/objects/f"})
    assert isinstance(listing, list)
    assert [p["name"] for p in listing][-len(own) - 1 : -1] == own
    if profile is QEMU_10_0:
        assert qmp_qom_get(ctx, {"path": "/objects/f", "property": "rom"}) == "off"
    else:
        with pytest.raises(GenericError, match="Property 'memory-backend-file.rom' not found"):
            qmp_qom_get(ctx, {"path": "/objects/f", "property": "rom"})


def test_qom_errors() -> None:
    ctx = two_node_machine()
    with pytest.raises(DeviceNotFound) as info:
        qmp_qom_list(ctx, {"path": "/nope"})
    assert info.value.desc == "Device '/nope' not found"
    ctx.vm.machine.object_add("iothread", {"id": "unattached"})
    with pytest.raises(GenericError, match="Path 'unattached' is ambiguous"):
        qmp_qom_list(ctx, {"path": "unattached"})
    with pytest.raises(DeviceNotFound, match="Device 'unattached' not found"):
        qmp_qom_get(ctx, {"path": "unattached", "property": "type"})
