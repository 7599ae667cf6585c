"""Memory hotplug end to end: libvirt's DIMM sequence over a real socket."""

from __future__ import annotations

import asyncio

import pytest
from qemu.qmp import ExecuteError, QMPClient

from qmpnuma.pytest_plugin import MachineFactory

GiB = 1 << 30


def test_libvirt_dimm_sequence(qmpnuma: MachineFactory) -> None:
    d = qmpnuma.start(
        "-S", "-m", "2G,slots=4,maxmem=8G", "-object", "memory-backend-ram,id=n0,size=1G",
        "-object", "memory-backend-ram,id=n1,size=1G", "-numa", "node,nodeid=0,memdev=n0",
        "-numa", "node,nodeid=1,memdev=n1", mode="subprocess",
    )

    async def go() -> tuple[object, ...]:
        qmp = QMPClient("libvirt")
        await qmp.connect(str(d.socket))
        await qmp.execute(
            "object-add", {"qom-type": "memory-backend-ram", "id": "memdimm0", "size": GiB}
        )
        await qmp.execute(
            "device_add",
            {"driver": "pc-dimm", "node": 1, "memdev": "memdimm0", "id": "dimm0", "slot": 0},
        )
        devices = await qmp.execute("query-memory-devices")
        peripheral = await qmp.execute("qom-list", {"path": "/machine/peripheral"})
        numa = await qmp.execute("x-query-numa")
        with pytest.raises(ExecuteError) as busy:
            await qmp.execute("object-del", {"id": "memdimm0"})
        await qmp.execute("device_del", {"id": "dimm0"})
        still = await qmp.execute("query-memory-devices")
        await qmp.disconnect()
        return devices, peripheral, numa, busy.value.error.error.desc, still

    devices, peripheral, numa, busy, still = asyncio.run(go())
    assert devices == [{"type": "dimm", "data": {
        "id": "dimm0", "addr": 4 * GiB, "size": GiB, "slot": 0, "node": 1,
        "memdev": "/objects/memdimm0", "hotplugged": True, "hotpluggable": True,
    }}]  # fmt: skip
    assert peripheral == [
        {"name": "type", "type": "string"},
        {"name": "dimm0", "type": "child<pc-dimm>"},
    ]
    assert numa == {"human-readable-text": (
        "2 nodes\nnode 0 cpus: 0\nnode 0 size: 1024 MB\nnode 0 plugged: 0 MB\n"
        "node 1 cpus:\nnode 1 size: 2048 MB\nnode 1 plugged: 1024 MB\n")}  # fmt: skip
    assert busy == "object 'memdimm0' is in use, can not be deleted"
    # No guest answers the unplug request: the DIMM stays.
    assert still == devices
