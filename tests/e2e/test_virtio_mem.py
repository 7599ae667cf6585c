"""libvirt's virtio-mem attach and resize over a real socket, with qemu.qmp."""

from __future__ import annotations

import asyncio

import pytest
from qemu.qmp import ExecuteError, QMPClient

from qmpnuma.pytest_plugin import MachineFactory

MiB = 1 << 20
DEVICE = "/machine/peripheral/virtiomem0"


def test_libvirt_attaches_and_resizes_virtio_mem(qmpnuma: MachineFactory) -> None:
    d = qmpnuma.start(
        "-S", "-nodefaults", "-m", "size=1048576k,slots=4,maxmem=4194304k",
        "-object", "memory-backend-ram,id=ram-node0,size=512M",
        "-numa", "node,nodeid=0,memdev=ram-node0",
        "-object", "memory-backend-ram,id=ram-node1,size=512M",
        "-numa", "node,nodeid=1,memdev=ram-node1", mode="subprocess",
    )

    async def go() -> None:
        qmp = QMPClient("libvirt")
        await qmp.connect(str(d.socket))
        await qmp.execute("object-add", {"qom-type": "memory-backend-ram",
                                         "id": "memvirtiomem0", "reserve": False,
                                         "size": 512 * MiB})
        await qmp.execute("device_add", {
            "driver": "virtio-mem-pci", "node": 0, "block-size": 2 * MiB,
            "requested-size": 256 * MiB, "memdev": "memvirtiomem0", "id": "virtiomem0",
            "bus": "pci.0", "addr": "0x3"})
        devices = await qmp.execute("query-memory-devices")
        assert devices == [{"type": "virtio-mem", "data": {
            "id": "virtiomem0", "memaddr": 4 << 30, "requested-size": 256 * MiB, "size": 0,
            "max-size": 512 * MiB, "block-size": 2 * MiB, "node": 0,
            "memdev": "/objects/memvirtiomem0"}}]
        children = await qmp.execute("qom-list", {"path": "/machine/peripheral"})
        assert {"name": "virtiomem0", "type": "child<virtio-mem-pci>"} in children
        await qmp.execute("qom-set", {"path": DEVICE, "property": "requested-size",
                                      "value": 128 * MiB})
        get = {"path": DEVICE, "property": "requested-size"}
        assert await qmp.execute("qom-get", get) == 128 * MiB
        # No guest driver: nothing is plugged, so no MEMORY_DEVICE_SIZE_CHANGE.
        assert await qmp.execute("qom-get", {"path": DEVICE, "property": "size"}) == 0
        with pytest.raises(ExecuteError) as e:
            await qmp.execute("device_del", {"id": "virtiomem0"})
        assert e.value.error.error.desc == "virtio based memory devices cannot be unplugged."
        await qmp.disconnect()

    asyncio.run(go())


def test_cold_plugged_virtio_pmem_and_mem_on_q35(qmpnuma: MachineFactory) -> None:
    d = qmpnuma.start(
        "-S", "-nodefaults", "-machine", "q35", "-m", "1G,slots=2,maxmem=4G",
        "-object", "memory-backend-ram,id=n0,size=1G", "-numa", "node,nodeid=0,memdev=n0",
        "-numa", "node,nodeid=1", "-object", "memory-backend-ram,id=v0,size=1G",
        "-object", "memory-backend-ram,id=p0,size=512M",
        "-device", "virtio-mem-pci,id=vm0,memdev=v0,node=1,requested-size=64M",
        "-device", "virtio-pmem-pci,id=vp0,memdev=p0", mode="subprocess",
    )

    async def go() -> None:
        qmp = QMPClient("e2e")
        await qmp.connect(str(d.socket))
        devices = await qmp.execute("query-memory-devices")
        assert isinstance(devices, list)
        assert [(x["type"], x["data"]["memaddr"]) for x in devices] == [
            ("virtio-mem", 4 << 30), ("virtio-pmem", 5 << 30)]
        numa = await qmp.execute("x-query-numa")
        assert numa == {"human-readable-text": (
            "2 nodes\nnode 0 cpus: 0\nnode 0 size: 1536 MB\nnode 0 plugged: 512 MB\n"
            "node 1 cpus:\nnode 1 size: 0 MB\nnode 1 plugged: 0 MB\n")}
        bus = await qmp.execute("qom-get", {"path": "/machine/peripheral/vm0",
                                            "property": "parent_bus"})
        assert bus == "/machine/q35/pcie.0"
        with pytest.raises(ExecuteError) as e:
            await qmp.execute("device_add", {"driver": "virtio-mem-pci", "id": "vm1",
                                             "memdev": "v0"})
        assert e.value.error.error.desc == "Bus 'pcie.0' does not support hotplugging"
        await qmp.disconnect()

    asyncio.run(go())
