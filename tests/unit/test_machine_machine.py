"""Machine: -machine properties, objects, RAM blocks and board init order."""

from __future__ import annotations

import dataclasses

import pytest

from qmpnuma.errors import CollectingReporter, QMPError
from qmpnuma.machine.machine import Machine
from qmpnuma.machine.machine_types import find_machine_class
from qmpnuma.machine.phase import Phase
from qmpnuma.profile import QEMU_7_2

MiB = 1 << 20
GiB = 1 << 30


def machine(name: str = "pc") -> Machine:
    mc = find_machine_class(name, QEMU_7_2)
    assert mc is not None
    return Machine(mc, QEMU_7_2)


def fails(call: object, *args: object) -> str:
    assert callable(call)
    with pytest.raises(QMPError) as info:
        call(*args)
    return info.value.desc


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def ram_block_added(self, host: int, size: int, max_size: int) -> None:
        self.calls.append(("added", size))

    def ram_block_removed(self, host: int, size: int, max_size: int) -> None:
        self.calls.append(("removed", size))


def test_properties() -> None:
    m = machine()
    m.set_property("hmat", "on")
    m.set_property("usb", "off")
    assert m.hmat_enabled and m.properties["usb"] is False
    assert fails(m.set_property, "hmat", "x") == "Parameter 'hmat' expects 'on' or 'off'"
    assert fails(m.set_property, "foo", "1") == "Property 'pc-i440fx-7.2-machine.foo' not found"
    assert fails(machine("none").set_property, "hmat", "on") == (
        "Property 'none-machine.hmat' not found"
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("acpi", "ON", "Parameter 'acpi' does not accept value 'ON'"),
        ("max-fw-size", "1x", "Parameter 'max-fw-size' expects size"),
        ("phandle-start", "x", "Parameter 'phandle-start' expects integer"),
        ("max-ram-below-4g", "5G",
         "Machine option 'max-ram-below-4g=5368709120' expects size less than or equal to 4G"),
        ("x-oem-id", "1234567", "User specified x-oem-id value is bigger than 6 bytes in size"),
    ],
)  # fmt: skip
def test_unmodelled_properties_are_typed(name: str, value: str, message: str) -> None:
    m = machine()
    assert fails(m.set_property, name, value) == message
    m.set_property(name, "auto" if name == "acpi" else "4G" if "4g" in name else "1")


def test_starts_created_and_ends_ready() -> None:
    m = machine()
    assert m.phase == Phase.MACHINE_CREATED
    m.create(CollectingReporter())
    assert m.phase == Phase.MACHINE_READY  # type: ignore[comparison-overlap]
    assert [b.id for b in m.backends] == ["pc.ram"] and m.is_mapped("pc.ram")
    assert m.ram_size == 128 * MiB


def test_boot_cpu_qom_paths_skip_the_vapic() -> None:
    m = machine()
    m.set_smp({"cpus": 3, "maxcpus": 4}, CollectingReporter())
    m.create(CollectingReporter())
    assert [s.qom_path for s in m.possible_cpus] == [
        "/machine/unattached/device[0]",
        "/machine/unattached/device[2]",
        "/machine/unattached/device[3]",
        None,
    ]


def test_threads_warn_about_the_amd_model() -> None:
    m = machine()
    m.set_smp({"cpus": 4, "threads": 2}, CollectingReporter())
    reporter = CollectingReporter()
    m.create(reporter)
    assert reporter.messages == [
        (
            "warning",
            "This family of AMD CPU doesn't support hyperthreading(2)\n"
            "Please configure -smp options properly or try enabling topoext feature.",
        )
    ]


def test_apic_ids_beyond_255_need_kvm() -> None:
    m = machine("q35")
    m.set_smp({"cpus": 256}, CollectingReporter())
    assert fails(m.create, CollectingReporter()) == (
        "current -smp configuration requires kernel irqchip and X2APIC API support."
    )


def test_reserved_default_ram_id() -> None:
    m = machine()
    m.set_memory(GiB, None, None)
    m.object_add("memory-backend-ram", {"id": "pc.ram", "size": GiB})
    assert fails(m.create, CollectingReporter()) == (
        "object name 'pc.ram' is reserved for the default RAM backend, it can't be used for "
        "any other purposes. Change the object's 'id' to something else"
    )


def test_reserved_id_is_fine_as_a_numa_memdev() -> None:
    m = machine()
    m.set_memory(GiB, None, None)
    m.object_add("memory-backend-ram", {"id": "pc.ram", "size": GiB})
    m.set_numa_options({"type": "node", "memdev": "pc.ram"}, CollectingReporter())
    m.create(CollectingReporter())
    assert [b.id for b in m.backends] == ["pc.ram"]


def test_machine_memory_backend() -> None:
    m = machine()
    m.object_add("memory-backend-ram", {"id": "m0", "size": GiB})
    m.set_property("memory-backend", "m0")
    m.resolve_machine_memdev()
    m.create(CollectingReporter())
    assert m.ram_size == GiB and m.is_mapped("m0")
    assert [b.id for b in m.backends] == ["m0"]


@pytest.mark.parametrize(
    ("backend", "numa", "message"),
    [
        ("m9", False, "Memory backend 'm9' not found"),
        ("m0", True, "'-machine memory-backend' and '-numa memdev' properties are "
         "mutually exclusive"),
    ],
)  # fmt: skip
def test_machine_memory_backend_errors(backend: str, numa: bool, message: str) -> None:
    m = machine()
    m.set_memory(GiB, None, None)
    m.object_add("memory-backend-ram", {"id": "m0", "size": GiB})
    m.set_property("memory-backend", backend)
    with pytest.raises(QMPError) as info:
        m.resolve_machine_memdev()
        if numa:
            m.set_numa_options({"type": "node", "memdev": "m0"}, CollectingReporter())
        m.create(CollectingReporter())
    assert info.value.desc == message


def test_machine_memory_backend_size_mismatch() -> None:
    m = machine()
    m.set_memory(512 * MiB, None, None)
    m.object_add("memory-backend-ram", {"id": "m0", "size": GiB})
    m.set_property("memory-backend", "m0")
    m.resolve_machine_memdev()
    assert fails(m.create, CollectingReporter()) == (
        "Machine memory size does not match the size of the memory backend"
    )


def test_object_del() -> None:
    m = machine()
    m.set_memory(GiB, None, None)
    m.object_add("memory-backend-ram", {"id": "m0", "size": GiB})
    m.object_add("memory-backend-ram", {"id": "spare", "size": MiB})
    m.set_numa_options({"type": "node", "memdev": "m0"}, CollectingReporter())
    m.create(CollectingReporter())
    assert fails(m.object_del, "nope") == "object 'nope' not found"
    assert fails(m.object_del, "m0") == "object 'm0' is in use, can not be deleted"
    m.object_del("spare")
    assert [b.id for b in m.backends] == ["m0"]


def test_ram_blocks_follow_backends() -> None:
    m = machine()
    m.set_memory(GiB, None, None)
    recorder = Recorder()
    m.object_add("memory-backend-ram", {"id": "m0", "size": 2 * MiB})
    m.ram_block_notifier_add(recorder)
    assert recorder.calls == [("added", 2 * MiB)]
    m.create(CollectingReporter())
    m.object_del("m0")
    assert recorder.calls == [("added", 2 * MiB), ("added", GiB), ("removed", 2 * MiB)]
    # 7.2's ram_block_notifier_remove reports the remaining blocks removed
    # (hw/core/numa.c); later changes are not heard.
    m.ram_block_notifier_remove(recorder)
    assert recorder.calls[3:] == [("removed", GiB)]
    m.object_add("memory-backend-ram", {"id": "m1", "size": MiB})
    assert len(recorder.calls) == 4


def test_failed_object_add_changes_nothing() -> None:
    m = machine()
    recorder = Recorder()
    m.ram_block_notifier_add(recorder)
    fails(m.object_add, "memory-backend-ram", {"id": "m0", "size": GiB, "policy": "bind"})
    assert m.objects == {} and recorder.calls == []


@pytest.mark.parametrize(
    ("props", "made"),
    [
        ({"id": "0bad", "size": GiB}, False),  # the id check comes first
        ({"id": "m0", "size": GiB, "policy": "bind"}, True),  # completion fails later
    ],
)
def test_objects_root_is_made_on_first_use(props: dict[str, object], made: bool) -> None:
    m = machine("none")
    assert not m.has_objects_root
    fails(m.object_add, "memory-backend-ram", props)
    assert m.has_objects_root is made
    fails(m.object_del, "m0")
    assert m.has_objects_root


def test_backend_defaults_follow_the_machine() -> None:
    m = machine()
    m.set_property("mem-merge", "off")
    m.set_smp({"cpus": 2}, CollectingReporter())
    m.object_add("memory-backend-ram", {"id": "m0", "size": GiB})
    backend = m.backends[0]
    assert backend.merge is False and backend.dump is True and backend.prealloc_threads == 2


def test_device_memory_region_after_creation() -> None:
    m = machine()
    m.set_memory(GiB, 4, 8 * GiB)
    m.create(CollectingReporter())
    assert m.device_memory is not None
    assert (m.device_memory.base, m.device_memory.size) == (4 * GiB, 11 * GiB)


def test_none_machine() -> None:
    m = machine("none")
    m.create(CollectingReporter())
    assert m.possible_cpus == [] and m.backends == [] and m.numa is None


def test_none_machine_refuses_a_cpu() -> None:
    m = machine("none")
    m.set_cpu_model("qemu64")
    assert fails(m.create, CollectingReporter()) == "apic-id property was not initialized properly"


@pytest.mark.parametrize(
    ("name", "split"),
    [
        # numa_default_auto_assign_ram carries the 8 MiB rounding forward.
        ("pc-i440fx-5.0", [336 * MiB, 344 * MiB, 344 * MiB]),
        # numa_legacy_auto_assign_ram leaves the remainder to the last node.
        ("pc-i440fx-2.9", [336 * MiB, 336 * MiB, 352 * MiB]),
    ],
)
def test_profiles_that_split_ram_between_memoryless_nodes(name: str, split: list[int]) -> None:
    mc = find_machine_class(name, QEMU_7_2)
    assert mc is not None
    m = Machine(mc, dataclasses.replace(QEMU_7_2, numa_auto_split_ram=True))
    m.set_memory(GiB, None, None)
    reporter = CollectingReporter()
    for _ in range(3):
        m.set_numa_options({"type": "node"}, reporter)
    m.create(reporter)
    assert m.node_memory() == split
    assert ("warning", "Default splitting of RAM between nodes is deprecated, Use "
            "'-numa node,memdev' to explictly define RAM allocation per node") in reporter.messages


def test_qemu_7_2_does_not_split_ram() -> None:
    m = machine()
    m.set_memory(GiB, None, None)
    m.set_numa_options({"type": "node"}, CollectingReporter())
    assert fails(m.create, CollectingReporter()) == (
        "total memory for NUMA nodes (0x0) should equal RAM size (0x40000000)")
