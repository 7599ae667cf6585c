"""nvdimm: the label area, -machine nvdimm=on, no ACPI slot, no unplug."""

from __future__ import annotations

import pytest

from qmpnuma.errors import CollectingReporter, QMPError
from qmpnuma.machine.machine import Machine
from qmpnuma.machine.machine_types import find_machine_class
from qmpnuma.machine.memory_device import qmp_memory_device_list
from qmpnuma.machine.pc_dimm import dimm_acpi_slots
from qmpnuma.machine.qdev import qdev_set_property
from qmpnuma.profile import QEMU_7_2

MiB = 1 << 20
GiB = 1 << 30


def built(nvdimm: bool = True) -> Machine:
    mc = find_machine_class("pc", QEMU_7_2)
    assert mc is not None
    m = Machine(mc, QEMU_7_2)
    m.set_property("nvdimm", "on" if nvdimm else "off")
    m.set_memory(GiB, 2, 4 * GiB)
    m.create(CollectingReporter())
    m.object_add("memory-backend-ram", {"id": "m0", "size": GiB})
    m.object_add("memory-backend-file", {"id": "f0", "size": GiB, "mem-path": "/tmp"})
    return m


def fails(m: Machine, opts: dict[str, object]) -> str:
    with pytest.raises(QMPError) as info:
        m.device_add({"driver": "nvdimm", **opts}, False)
    return info.value.desc


def test_label_and_alignment() -> None:
    m = built()
    m.device_add({"driver": "nvdimm", "id": "n0", "memdev": "m0", "label-size": "128K"}, False)
    m.device_add({"driver": "nvdimm", "id": "n1", "memdev": "f0"}, False)
    sizes = {d["data"]["id"]: d["data"]["size"] for d in qmp_memory_device_list(m)}
    # RAM blocks align to 2 MiB: the label costs a whole 2 MiB of PMEM.
    assert sizes == {"n0": GiB - 2 * MiB, "n1": GiB}
    assert {d["type"] for d in qmp_memory_device_list(m)} == {"nvdimm"}
    assert dimm_acpi_slots(m) == {}


def test_texts() -> None:
    assert fails(built(nvdimm=False), {"memdev": "m0"}) == (
        "nvdimm is not enabled: missing 'nvdimm' in '-M'"
    )
    m = built()
    assert fails(m, {"memdev": "m0", "label-size": "64K"}) == (
        "Property 'nvdimm.label-size' (0x10000) is required at least 0x20000"
    )
    assert fails(m, {"memdev": "m0", "uuid": "nope"}) == "Property 'nvdimm.uuid' has invalid value"
    assert fails(m, {"memdev": "m0", "label-size": "1G"}) == (
        "the size of memdev m0 (0x40000000) is too small to contain nvdimm label "
        "(0x40000000) and aligned PMEM (0x200000)"
    )
    dev = m.device_add({"driver": "nvdimm", "id": "n", "memdev": "m0"}, False)
    with pytest.raises(QMPError) as info:
        m.device_del(dev)
    assert info.value.desc == "nvdimm device hot unplug is not supported yet."
    assert dev.unplug_requests == 0


def test_qom_set_after_realize() -> None:
    m = built()
    dev = m.device_add({"driver": "nvdimm", "id": "n", "memdev": "m0"}, False)
    uuid = "12345678-ABCD-1234-1234-123456789ABC"
    qdev_set_property(m, dev, "uuid", uuid)
    assert dev.dc.kind.get_property(m, dev, "uuid") == uuid.lower()
    with pytest.raises(QMPError) as info:
        qdev_set_property(m, dev, "label-size", 1 << 20)
    assert info.value.desc == "cannot change property value"
    with pytest.raises(QMPError) as info:
        qdev_set_property(m, dev, "node", 0)
    assert info.value.desc == (
        "Attempt to set property 'node' on device 'n' (type 'nvdimm') after it was realized"
    )
