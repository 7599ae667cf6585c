"""libvirt's virtio-mem attach and resize over a real socket, with qemu.qmp."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from qemu.qmp import ExecuteError, QMPClient

from tests.e2e.conftest import start_daemon

MiB = 1 << 20
DEVICE = "/machine/peripheral/virtiomem0"


def test_libvirt_attaches_and_resizes_virtio_mem(tmp_path: Path) -> None:
    d = start_daemon(tmp_path, "-S", "-nodefaults", "-m", "size=1048576k,slots=4,maxmem=4194304k",
                     "-object", "memory-backend-ram,id=ram-node0,size=512M",
                     "-numa", "node,nodeid=0,memdev=ram-node0",
                     "-object", "memory-backend-ram,id=ram-node1,size=512M",
                     "-numa", "node,nodeid=1,memdev=ram-node1")

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

    try:
        asyncio.run(go())
    finally:
        d.stop()
