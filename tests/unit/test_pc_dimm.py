"""pc-dimm on the memory-device core: slots, addresses, node sums, unplug."""

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
from qmpnuma.machine.qdev import qdev_unplug_complete
from qmpnuma.profile import QEMU_7_2

MiB = 1 << 20
GiB = 1 << 30
#: pc with 1 GiB: the region starts at 4 GiB.
BASE = 4 * GiB


def built(slots: int = 4, maxmem: int = 8 * GiB, nodes: int = 2) -> Machine:
    mc = find_machine_class("pc", QEMU_7_2)
    assert mc is not None
    m = Machine(mc, QEMU_7_2)
    m.set_memory(GiB, slots, maxmem)
    for node in range(nodes):
        ram(m, f"n{node}", GiB // nodes)
        m.set_numa_options(
            {"type": "node", "nodeid": node, "memdev": f"n{node}"}, CollectingReporter()
        )
    m.create(CollectingReporter())
    return m


def ram(m: Machine, ident: str, size: int) -> None:
    m.object_add("memory-backend-ram", {"id": ident, "size": size})


def plug(m: Machine, **props: object) -> None:
    m.device_add({"driver": "pc-dimm", **{k: str(v) for k, v in props.items()}}, False)


def fails(m: Machine, **props: object) -> str:
    before = qmp_memory_device_list(m)
    with pytest.raises(QMPError) as info:
        plug(m, **props)
    assert qmp_memory_device_list(m) == before
    return info.value.desc


def test_first_fit_and_gaps_after_unplug() -> None:
    m = built()
    for ident in ("a", "b", "c"):
        ram(m, ident, GiB)
        plug(m, id=ident, memdev=ident)
    assert [d["data"]["addr"] for d in qmp_memory_device_list(m)] == [
        BASE,
        BASE + GiB,
        BASE + 2 * GiB,
    ]
    dev = m.qdev.find_device_state("b")
    assert dev is not None
    m.device_del(dev)
    assert m.is_mapped("b"), "a request alone frees nothing"
    qdev_unplug_complete(m, dev)
    assert not m.is_mapped("b")
    ram(m, "d", 512 * MiB)
    plug(m, id="d", memdev="d")
    data = {d["data"]["id"]: d["data"] for d in qmp_memory_device_list(m)}
    assert data["d"]["addr"] == BASE + GiB and data["d"]["slot"] == 1


def test_pre_plug_texts() -> None:
    m = built(slots=2, maxmem=3 * GiB)
    ram(m, "a", GiB)
    ram(m, "b", GiB)
    ram(m, "c", GiB)
    ram(m, "small", MiB)
    assert fails(m, memdev="a", slot=2) == "invalid slot number 2, valid range is [0-1]"
    assert fails(m, memdev="a", node=2) == (
        "'DIMM property node has value 2' which exceeds the number of numa nodes: 2"
    )
    assert fails(m, memdev="a", addr=BASE + 1) == "address must be aligned to 0x200000 bytes"
    assert fails(m, memdev="small") == "backend memory size must be multiple of 0x200000"
    assert fails(m) == "'memdev' property must be set"
    plug(m, memdev="a", slot=1)
    assert fails(m, memdev="b", slot=1) == "slot 1 is busy"
    assert fails(m, memdev="a") == "can't use already busy memdev: a"
    assert fails(m, memdev="b", addr=BASE) == (
        "address range conflicts with memory device id='(unnamed)'"
    )
    plug(m, memdev="b")
    assert fails(m, memdev="c") == "no free slots available"


def test_space_and_region_texts() -> None:
    m = built(slots=4, maxmem=2 * GiB, nodes=0)
    ram(m, "a", GiB)
    ram(m, "b", GiB)
    plug(m, memdev="a")
    assert fails(m, memdev="b") == (
        "not enough space, currently 0x40000000 in use of total space for memory devices 0x40000000"
    )
    assert fails(m, memdev="b", addr=GiB) == (
        "not enough space, currently 0x40000000 in use of total space for memory devices 0x40000000"
    )
    none = built(slots=0, maxmem=GiB, nodes=0)
    ram(none, "a", GiB)
    assert fails(none, memdev="a") == "no slots where allocated, please specify the 'slots' option"


def test_views_follow_the_devices() -> None:
    m = built()
    ram(m, "a", GiB)
    ram(m, "b", 512 * MiB)
    plug(m, id="a", memdev="a", node=1)
    plug(m, memdev="b")
    assert get_plugged_memory_size(m) == GiB + 512 * MiB
    assert query_numa_node_mem(m) == [(512 * MiB + 512 * MiB, 512 * MiB), (512 * MiB + GiB, GiB)]
    assert qmp_memory_device_list(m)[0] == {
        "type": "dimm",
        "data": {
            "id": "a", "addr": BASE, "size": GiB, "slot": 0, "node": 1,
            "memdev": "/objects/a", "hotplugged": True, "hotpluggable": True,
        },
    }  # fmt: skip
    with pytest.raises(QMPError) as info:
        m.object_del("a")
    assert info.value.desc == "object 'a' is in use, can not be deleted"


class Placements:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None, int, int, int]] = []

    def memory_device_plugged(
        self, ident: str | None, path: str, node: int, addr: int, size: int
    ) -> None:
        self.seen.append(("plugged", ident, node, addr, size))

    def memory_device_unplugged(
        self, ident: str | None, path: str, node: int, addr: int, size: int
    ) -> None:
        self.seen.append(("unplugged", ident, node, addr, size))


def test_placement_hook() -> None:
    m = built()
    hook = Placements()
    m.memory_device_notifier_add(hook)
    ram(m, "a", GiB)
    plug(m, id="a", memdev="a", node=1)
    assert fails(m, memdev="a") == "can't use already busy memdev: a"
    dev = m.qdev.find_device_state("a")
    assert dev is not None
    qdev_unplug_complete(m, dev)
    m.memory_device_notifier_remove(hook)
    assert hook.seen == [("plugged", "a", 1, BASE, GiB), ("unplugged", "a", 1, BASE, GiB)]
