"""Memory hotplug as a state machine: random commands, invariants after each.

Hypothesis drives object-add, device_add (pc-dimm and nvdimm), device_del,
the completion of a requested unplug (what a guest would do), object-del and
qom-set through the dispatcher, on a two-node pc machine.  After every step:
no two devices overlap, each lies in the device-memory region and holds its
own slot, the node figures equal the device list, a busy backend is exactly
one a device maps, and a command that failed changed nothing.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import CollectingReporter, QMPError
from qmpnuma.machine.machine import Machine
from qmpnuma.machine.machine_types import find_machine_class
from qmpnuma.machine.memory_device import (
    get_plugged_memory_size,
    memory_devices,
    qmp_memory_device_list,
    query_numa_node_mem,
)
from qmpnuma.machine.qdev import qdev_unplug_complete
from qmpnuma.profile import QEMU_7_2
from qmpnuma.qapi.dispatch import Dispatcher
from qmpnuma.qapi.schema import load_schema
from tests.unit.contexts import command_context

MiB = 1 << 20
GiB = 1 << 30
DISPATCHER = Dispatcher(load_schema())
BACKENDS = ("b0", "b1", "b2", "b3", "b4")
IDS = ("d0", "d1", "d2", None)
SIZES = (MiB, 128 * MiB, 512 * MiB, GiB, 3 * GiB)
NODE_MEM = 512 * MiB


def two_nodes() -> CommandContext:
    """pc,nvdimm=on -m 1G,slots=3,maxmem=5G, two 512 MiB nodes, five backends."""
    mc = find_machine_class("pc", QEMU_7_2)
    assert mc is not None
    m = Machine(mc, QEMU_7_2)
    m.set_property("nvdimm", "on")
    m.set_memory(GiB, 3, 5 * GiB)
    for node in (0, 1):
        m.object_add("memory-backend-ram", {"id": f"n{node}", "size": NODE_MEM})
        m.set_numa_options({"type": "node", "memdev": f"n{node}"}, CollectingReporter())
    m.create(CollectingReporter())
    for ident, size in zip(BACKENDS, (128 * MiB, 512 * MiB, GiB, 2 * GiB, MiB), strict=True):
        m.object_add("memory-backend-ram", {"id": ident, "size": size})
    return command_context(m)


def snapshot(m: Machine) -> object:
    """Everything a command may change, in comparable form."""
    return (
        [(d.qom_path, dict(d.props), d.unplug_requests) for d in m.qdev.devices],
        sorted(m.objects),
        sorted(b for b in m.objects if m.is_mapped(b)),
        [(b.idstr, b.host) for b in m.ram_list.blocks],
        list(m.qdev.peripheral),
        list(m.qdev.peripheral_anon),
        list(m.events),
    )


class MemoryHotplug(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ctx = two_nodes()
        self.machine = self.ctx.vm.machine

    def execute(self, name: str, args: dict[str, object]) -> None:
        before = snapshot(self.machine)
        try:
            DISPATCHER.dispatch(name, args, self.ctx, oob=False, negotiating=False)
        except QMPError:
            assert snapshot(self.machine) == before, f"failed {name} changed the model"

    @rule(ident=st.sampled_from(BACKENDS), size=st.sampled_from(SIZES))
    def object_add(self, ident: str, size: int) -> None:
        self.execute("object-add", {"qom-type": "memory-backend-ram", "id": ident, "size": size})

    @rule(ident=st.sampled_from(BACKENDS))
    def object_del(self, ident: str) -> None:
        self.execute("object-del", {"id": ident})

    @rule(
        driver=st.sampled_from(("pc-dimm", "pc-dimm", "nvdimm")),
        memdev=st.sampled_from(BACKENDS),
        ident=st.sampled_from(IDS),
        node=st.sampled_from((None, 0, 1, 2)),
        slot=st.sampled_from((None, 0, 2, 3)),
        addr=st.sampled_from((None, 4 * GiB, 5 * GiB + 2 * MiB, 6 * GiB + 4096)),
    )
    def device_add(
        self,
        driver: str,
        memdev: str,
        ident: str | None,
        node: int | None,
        slot: int | None,
        addr: int | None,
    ) -> None:
        args: dict[str, object] = {"driver": driver, "memdev": memdev}
        for key, value in (("id", ident), ("node", node), ("slot", slot), ("addr", addr)):
            if value is not None:
                args[key] = value
        self.execute("device_add", args)

    @rule(ident=st.sampled_from(IDS[:-1]))
    def device_del(self, ident: str) -> None:
        self.execute("device_del", {"id": ident})

    @rule(index=st.integers(0, 5))
    def guest_completes_unplug(self, index: int) -> None:
        requested = [d for d in self.machine.qdev.devices if d.unplug_requests]
        if requested:
            qdev_unplug_complete(self.machine, requested[index % len(requested)])

    @rule(
        ident=st.sampled_from(IDS[:-1]),
        prop=st.sampled_from(("node", "addr", "memdev", "uuid", "label-size")),
        value=st.sampled_from((1, "b0", "12345678-1234-1234-1234-123456789abc")),
    )
    def qom_set(self, ident: str, prop: str, value: object) -> None:
        path = f"/machine/peripheral/{ident}"
        self.execute("qom-set", {"path": path, "property": prop, "value": value})

    @invariant()
    def devices_do_not_overlap_and_fit(self) -> None:
        m = self.machine
        region = m.device_memory
        assert region is not None
        ranges = [(d["data"]["addr"], d["data"]["size"]) for d in qmp_memory_device_list(m)]
        for (addr, size), (next_addr, _) in zip(ranges, ranges[1:], strict=False):
            assert addr + size <= next_addr
        for addr, size in ranges:
            assert region.base <= addr and addr + size <= region.base + region.size
        assert sum(size for _, size in ranges) <= m.maxram_size - m.ram_size
        slots = [d.props["slot"] for d in memory_devices(m)]
        assert len(set(slots)) == len(slots) and all(0 <= s < m.ram_slots for s in slots)

    @invariant()
    def node_figures_follow_the_devices(self) -> None:
        m = self.machine
        devices = qmp_memory_device_list(m)
        per_node = [0, 0]
        for device in devices:
            per_node[device["data"]["node"]] += device["data"]["size"]
        assert query_numa_node_mem(m) == [(NODE_MEM + p, p) for p in per_node]
        assert get_plugged_memory_size(m) == sum(per_node)

    @invariant()
    def busy_backends_are_the_mapped_ones(self) -> None:
        m = self.machine
        used = {d["data"]["memdev"].rsplit("/", 1)[1] for d in qmp_memory_device_list(m)}
        assert used | {"n0", "n1"} == {b for b in m.objects if m.is_mapped(b)} | {"n0", "n1"}
        assert all(b in m.objects for b in used)


TestMemoryHotplug = MemoryHotplug.TestCase
TestMemoryHotplug.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
