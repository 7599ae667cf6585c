"""virtio-mem, virtio-pmem and DIMMs sharing a machine: a Hypothesis state machine.

Random object-add / device_add / device_del / object-del / qom-set
requested-size and guest resizes go through the dispatcher.  After every
step: no two memory devices overlap and each lies in the region, PCI
functions are unique, the node figures follow QEMU's per-kind accounting
(virtio-mem: plugged size on its node; virtio-pmem: all of it on node 0),
busy backends are exactly the mapped ones, and a failed command changed
nothing.  Under QEMU 10.0's profile a virtio-mem-pci that holds no memory
can also be unplugged, which a guest then completes.
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
    qmp_memory_device_list,
    query_numa_node_mem,
)
from qmpnuma.machine.qdev import qdev_unplug_complete
from qmpnuma.machine.virtio_mem import VirtioMEMPCIKind
from qmpnuma.machine.virtio_pci import pci_bus
from qmpnuma.profile import QEMU_7_2, QEMU_10_0, Profile
from qmpnuma.qapi.dispatch import Dispatcher
from qmpnuma.qapi.schema import load_profile_schema
from tests.unit.contexts import command_context

MiB = 1 << 20
GiB = 1 << 30
BACKENDS = ("b0", "b1", "b2", "b3")
IDS = ("v0", "v1", "v2", None)
NODE_MEM = 512 * MiB


def machine(profile: Profile) -> CommandContext:
    """pc -m 1G,slots=2,maxmem=4G, two 512 MiB nodes, four backends."""
    mc = find_machine_class("pc", profile)
    assert mc is not None
    m = Machine(mc, profile)
    m.default_devices = False
    m.set_memory(GiB, 2, 4 * GiB)
    for node in (0, 1):
        m.object_add("memory-backend-ram", {"id": f"n{node}", "size": NODE_MEM})
        m.set_numa_options({"type": "node", "memdev": f"n{node}"}, CollectingReporter())
    m.create(CollectingReporter())
    for ident, size in zip(BACKENDS, (64 * MiB, 512 * MiB, GiB, 3 * MiB), strict=True):
        m.object_add("memory-backend-ram", {"id": ident, "size": size})
    return command_context(m)


def snapshot(m: Machine) -> object:
    bus = pci_bus(m)
    return (
        [(d.qom_path, dict(d.props), dict(d.state)) for d in m.qdev.devices],
        sorted(m.objects),
        sorted(b for b in m.objects if m.is_mapped(b)),
        None if bus is None else list(bus),
        list(m.qdev.peripheral),
        list(m.events),
    )


def _range(device: dict[str, object]) -> tuple[int, int]:
    data = device["data"]
    assert isinstance(data, dict)
    if device["type"] == "dimm":
        return data["addr"], data["size"]
    size = data["max-size"] if device["type"] == "virtio-mem" else data["size"]
    return data["memaddr"], size


class VirtioMemoryHotplug(RuleBasedStateMachine):
    PROFILE = QEMU_7_2

    def __init__(self) -> None:
        super().__init__()
        self.ctx = machine(self.PROFILE)
        self.machine = self.ctx.vm.machine
        self.dispatcher = Dispatcher(load_profile_schema(self.PROFILE.schema_dir))

    def execute(self, name: str, args: dict[str, object]) -> None:
        before = snapshot(self.machine)
        try:
            self.dispatcher.dispatch(name, args, self.ctx, oob=False, negotiating=False)
        except QMPError:
            assert snapshot(self.machine) == before, f"failed {name} changed the model"

    @rule(ident=st.sampled_from(BACKENDS), size=st.sampled_from((2 * MiB, 256 * MiB, GiB)))
    def object_add(self, ident: str, size: int) -> None:
        self.execute("object-add", {"qom-type": "memory-backend-ram", "id": ident, "size": size})

    @rule(ident=st.sampled_from(BACKENDS))
    def object_del(self, ident: str) -> None:
        self.execute("object-del", {"id": ident})

    @rule(
        driver=st.sampled_from(("virtio-mem-pci", "virtio-mem-pci", "virtio-pmem-pci", "pc-dimm")),
        memdev=st.sampled_from((*BACKENDS, None)),
        ident=st.sampled_from(IDS),
        node=st.sampled_from((None, 0, 1, 2)),
        requested=st.sampled_from((None, 0, 64 * MiB, 3 * MiB, 2 * GiB)),
        addr=st.sampled_from((None, "2", "3.1", "1.0")),
    )
    def device_add(self, driver: str, memdev: str | None, ident: str | None, node: int | None,
                   requested: int | None, addr: str | None) -> None:  # fmt: skip
        args: dict[str, object] = {"driver": driver}
        virtio_mem = driver == "virtio-mem-pci"
        pmem = driver == "virtio-pmem-pci"
        for key, value in (
            ("memdev", memdev), ("id", ident), ("node", None if pmem else node),
            ("requested-size", requested if virtio_mem else None),
            ("addr", addr if driver != "pc-dimm" else None),
        ):  # fmt: skip
            if value is not None:
                args[key] = value
        self.execute("device_add", args)

    @rule(ident=st.sampled_from(IDS[:-1]))
    def device_del(self, ident: str) -> None:
        self.execute("device_del", {"id": ident})

    @rule(ident=st.sampled_from(IDS[:-1]),
          value=st.sampled_from((0, 2 * MiB, 64 * MiB, 3 * MiB, 2 * GiB, "1G")))  # fmt: skip
    def request_size(self, ident: str, value: object) -> None:
        path = f"/machine/peripheral/{ident}"
        self.execute("qom-set", {"path": path, "property": "requested-size", "value": value})

    @rule(index=st.integers(0, 3))
    def guest_resizes(self, index: int) -> None:
        devices = [d for d in self.machine.qdev.devices if isinstance(d.dc.kind, VirtioMEMPCIKind)]
        if devices:
            dev = devices[index % len(devices)]
            kind = dev.dc.kind
            assert isinstance(kind, VirtioMEMPCIKind)
            kind.guest_resize(self.machine, dev)
            size = kind.vmem(dev).size
            assert size == min(kind.vmem(dev).requested_size, kind.vmem(dev).usable_region_size)

    @rule()
    def guest_ejects(self) -> None:
        """The guest completes the unplug requests (ACPI eject)."""
        for dev in [d for d in self.machine.qdev.devices if d.unplug_requests]:
            qdev_unplug_complete(self.machine, dev)

    @invariant()
    def devices_do_not_overlap_and_fit(self) -> None:
        m = self.machine
        region = m.device_memory
        assert region is not None
        ranges = [_range(d) for d in qmp_memory_device_list(m)]
        for (addr, size), (next_addr, _) in zip(ranges, ranges[1:], strict=False):
            assert addr + size <= next_addr
        for addr, size in ranges:
            assert region.base <= addr and addr + size <= region.base + region.size

    @invariant()
    def pci_functions_are_unique(self) -> None:
        devfns = [d.props["addr"] for d in self.machine.qdev.devices if "multifunction" in d.props]
        assert len(set(devfns)) == len(devfns)

    @invariant()
    def node_figures_follow_the_kinds(self) -> None:
        m = self.machine
        per_node = [0, 0]
        for device in qmp_memory_device_list(m):
            data = device["data"]
            node = 0 if device["type"] == "virtio-pmem" else data["node"]
            per_node[node] += data["size"]
        assert query_numa_node_mem(m) == [(NODE_MEM + p, p) for p in per_node]
        assert get_plugged_memory_size(m) == sum(per_node)

    @invariant()
    def busy_backends_are_the_mapped_ones(self) -> None:
        m = self.machine
        used = {d["data"]["memdev"].rsplit("/", 1)[1] for d in qmp_memory_device_list(m)}
        assert used | {"n0", "n1"} == {b for b in m.objects if m.is_mapped(b)} | {"n0", "n1"}


class VirtioMemoryHotplug10(VirtioMemoryHotplug):
    PROFILE = QEMU_10_0

    @invariant()
    def only_empty_virtio_mem_is_unplugging(self) -> None:
        for dev in self.machine.qdev.devices:
            if dev.pending_deleted_event:
                kind = dev.dc.kind
                assert isinstance(kind, VirtioMEMPCIKind)
                assert kind.vmem(dev).requested_size == kind.vmem(dev).size == 0


SETTINGS = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestVirtioMemoryHotplug = VirtioMemoryHotplug.TestCase
TestVirtioMemoryHotplug.settings = SETTINGS
TestVirtioMemoryHotplug10 = VirtioMemoryHotplug10.TestCase
TestVirtioMemoryHotplug10.settings = SETTINGS
