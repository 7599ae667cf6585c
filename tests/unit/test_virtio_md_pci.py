"""virtio-mem-pci and virtio-pmem-pci plugged into a machine (pc_virtio_md_pci_*)."""

from __future__ import annotations

import pytest

from qmpnuma.errors import CollectingReporter, QMPError
from qmpnuma.machine.machine import Machine
from qmpnuma.machine.machine_types import find_machine_class
from qmpnuma.machine.memory_device import (
    get_plugged_memory_size,
    qmp_memory_device_list,
    query_numa_node_mem,
)
from qmpnuma.machine.virtio_mem import VirtioMEMPCIKind
from qmpnuma.machine.virtio_pci import pci_bus
from qmpnuma.profile import QEMU_7_2

MiB = 1 << 20
GiB = 1 << 30
BASE = 4 * GiB


def built(family: str = "pc", nodes: int = 2, defaults: bool = False) -> Machine:
    mc = find_machine_class(family, QEMU_7_2)
    assert mc is not None
    m = Machine(mc, QEMU_7_2)
    m.default_devices = defaults
    m.set_memory(GiB, 2, 4 * GiB)
    for node in range(nodes):
        ram(m, f"n{node}", GiB // nodes)
        m.set_numa_options(
            {"type": "node", "nodeid": node, "memdev": f"n{node}"}, CollectingReporter()
        )
    m.create(CollectingReporter())
    return m


def ram(m: Machine, ident: str, size: int, qom_type: str = "memory-backend-ram") -> None:
    m.object_add(qom_type, {"id": ident, "size": size})


def add(m: Machine, driver: str = "virtio-mem-pci", reporter: CollectingReporter | None = None,
        **props: object) -> None:  # fmt: skip
    opts = {"driver": driver, **{k.replace("_", "-"): str(v) for k, v in props.items()}}
    m.device_add(opts, False, reporter)


def snapshot(m: Machine) -> object:
    bus = pci_bus(m)
    assert bus is not None
    return (qmp_memory_device_list(m), list(bus), sorted(d.qom_path for d in m.qdev.devices),
            sorted(b.id for b in m.backends if m.is_mapped(b.id)))  # fmt: skip


def test_plug_places_the_device_in_memory_and_on_the_bus() -> None:
    m = built()
    ram(m, "v0", GiB)
    add(m, id="vm0", memdev="v0", node=1, requested_size=64 * MiB)
    assert m.is_mapped("v0")
    [info] = qmp_memory_device_list(m)
    assert info["type"] == "virtio-mem"
    assert info["data"] == {
        "id": "vm0", "memaddr": BASE, "requested-size": 64 * MiB, "size": 0, "max-size": GiB,
        "block-size": 2 * MiB, "node": 1, "memdev": "/objects/v0",
    }  # fmt: skip
    bus = pci_bus(m)
    assert bus is not None and bus.get(0x10) is not None
    dev = m.qdev.find_device_state("vm0")
    assert dev is not None
    assert dev.dc.kind.get_property(m, dev, "legacy-addr") == "02.0"
    assert dev.dc.kind.parent_bus(m, dev) == "/machine/i440fx/pci.0"


@pytest.mark.parametrize(
    ("props", "desc"),
    [
        ({"memdev": "big"}, "not enough space, currently 0x0 in use of total space for memory "
                            "devices 0xc0000000"),
        ({"memdev": "v0", "addr": "1.0"}, "PCI: slot 1 function 0 not available for "
                                          "virtio-mem-pci, in use by PIIX3,id=(null)"),
        ({"memdev": "n0"}, "'memdev' property specifies a busy memdev: n0"),
        ({"memdev": "v0", "node": 2}, "'node' property has value '2', which exceedsthe number "
                                      "of numa nodes: 2"),
        ({"memdev": "v0", "romsize": 3}, "ROM size 3 is not a power of two"),
    ],
)  # fmt: skip
def test_a_failed_device_add_leaves_no_trace(props: dict[str, object], desc: str) -> None:
    m = built()
    ram(m, "v0", GiB)
    ram(m, "big", 4 * GiB)
    before = snapshot(m)
    with pytest.raises(QMPError) as e:
        add(m, id="vm0", **props)
    assert e.value.desc == desc
    assert snapshot(m) == before
    add(m, id="vm0", memdev="v0")
    assert len(qmp_memory_device_list(m)) == 1


def test_warnings_come_out_also_when_a_later_check_fails() -> None:
    m = built()
    ram(m, "f0", 64 * MiB, "memory-backend-memfd")
    reporter = CollectingReporter()
    with pytest.raises(QMPError, match="has to be multiples of 'block-size' \\(0x100000\\)"):
        add(m, reporter=reporter, id="vm0", memdev="f0", block_size=MiB,
            unplugged_inaccessible="off", requested_size=MiB // 2)  # fmt: skip
    assert [kind for kind, _ in reporter.messages] == ["warning", "warning"]
    assert reporter.messages[1][1].startswith("'block-size' property is smaller")


def test_guest_completes_the_request_block_by_block() -> None:
    m = built()
    ram(m, "v0", GiB)
    add(m, id="vm0", memdev="v0", node=1, requested_size=6 * MiB)
    dev = m.qdev.find_device_state("vm0")
    assert dev is not None and isinstance(dev.dc.kind, VirtioMEMPCIKind)
    assert get_plugged_memory_size(m) == 0
    dev.dc.kind.guest_resize(m, dev)
    assert m.events == [
        ("MEMORY_DEVICE_SIZE_CHANGE",
         {"id": "vm0", "size": size, "qom-path": "/machine/peripheral/vm0"})
        for size in (2 * MiB, 4 * MiB, 6 * MiB)
    ]  # fmt: skip
    assert get_plugged_memory_size(m) == 6 * MiB
    assert query_numa_node_mem(m) == [(512 * MiB, 0), (512 * MiB + 6 * MiB, 6 * MiB)]
    assert dev.dc.kind.get_property(m, dev, "size") == 6 * MiB


def test_virtio_pmem_counts_whole_on_node_0() -> None:
    m = built()
    ram(m, "p0", 256 * MiB)
    add(m, "virtio-pmem-pci", id="vp0", memdev="p0")
    assert get_plugged_memory_size(m) == 256 * MiB
    assert query_numa_node_mem(m) == [(768 * MiB, 256 * MiB), (512 * MiB, 0)]


def test_unplug_is_refused_and_the_device_stays() -> None:
    m = built()
    ram(m, "v0", GiB)
    add(m, "virtio-pmem-pci", id="vp0", memdev="v0")
    dev = m.qdev.find_device_state("vp0")
    assert dev is not None
    for _ in range(2):
        with pytest.raises(QMPError, match="^virtio based memory devices cannot be unplugged\\.$"):
            m.device_del(dev)
    assert m.qdev.find_device_state("vp0") is dev and m.is_mapped("v0")


def test_default_devices_take_the_first_slots() -> None:
    # softmmu/vl.c default_vga / default_net (the harness passes -nodefaults).
    m = built(defaults=True)
    ram(m, "v0", GiB)
    add(m, id="vm0", memdev="v0")
    dev = m.qdev.find_device_state("vm0")
    assert dev is not None and dev.props["addr"] == 0x20


def test_q35_takes_no_hotplug_on_its_root_complex() -> None:
    m = built("q35")
    ram(m, "v0", GiB)
    with pytest.raises(QMPError, match="^Bus 'pcie.0' does not support hotplugging$"):
        add(m, id="vm0", memdev="v0")


def test_a_failed_device_add_keeps_its_acpi_index() -> None:
    # hw/acpi/pcihp.c acpi_pcihp_device_pre_plug_cb takes the index before
    # the device's realize, which then fails; QEMU never returns it.
    m = built()
    ram(m, "v0", GiB)
    with pytest.raises(QMPError, match="exceedsthe number of numa nodes"):
        add(m, id="vm0", memdev="v0", acpi_index=7, node=5)
    assert m.pci_acpi_indexes == {7}
    with pytest.raises(QMPError, match="^a PCI device with acpi-index = 7 already exist$"):
        add(m, id="vm0", memdev="v0", acpi_index=7)
    add(m, id="vm0", memdev="v0", acpi_index=8)
