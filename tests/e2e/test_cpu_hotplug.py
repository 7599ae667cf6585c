"""libvirt's ``virsh setvcpus --live``, as its QMP client drives it, over a real socket.

The command line and the sequence come from
/work/shared/reference/libvirt-usage.md: read query-hotpluggable-cpus, plug
the first free slot with its props, read both CPU lists back; device_del
on the way down is refused, as QEMU 7.2 refuses it while the guest has not
switched to the modern CPU hotplug interface.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from qemu.qmp import ExecuteError, QMPClient

from qmpnuma.pytest_plugin import MachineFactory

LIBVIRT_ARGV = (
    "-S", "-machine", "pc-i440fx-7.2,usb=off,dump-guest-core=off", "-cpu", "qemu64",
    "-m", "size=1048576k,slots=4,maxmem=4194304k",
    "-smp", "2,maxcpus=4,sockets=4,cores=1,threads=1",
    "-object", '{"qom-type":"memory-backend-ram","id":"ram-node0","size":536870912}',
    "-numa", "node,nodeid=0,cpus=0-1,memdev=ram-node0",
    "-object", '{"qom-type":"memory-backend-ram","id":"ram-node1","size":536870912}',
    "-numa", "node,nodeid=1,cpus=2-3,memdev=ram-node1",
)  # fmt: skip


async def _setvcpus(qmp: QMPClient) -> tuple[Any, Any, str]:
    cpus = await qmp.execute("query-hotpluggable-cpus")
    free = next(cpu for cpu in reversed(cpus) if "qom-path" not in cpu)
    await qmp.execute("device_add", {"driver": free["type"], "id": "vcpu2", **free["props"]})
    after = await qmp.execute("query-hotpluggable-cpus")
    fast = await qmp.execute("query-cpus-fast")
    with pytest.raises(ExecuteError) as info:
        await qmp.execute("device_del", {"id": "vcpu2"})
    return after, fast, info.value.error.error.desc


def test_libvirt_setvcpus(qmpnuma: MachineFactory) -> None:
    daemon = qmpnuma.start(
        *LIBVIRT_ARGV, mode="subprocess",
    )

    async def go() -> tuple[Any, Any, str]:
        qmp = QMPClient("libvirt")
        await qmp.connect(str(daemon.socket))
        try:
            return await _setvcpus(qmp)
        finally:
            await qmp.disconnect()

    after, fast, refusal = asyncio.run(go())
    plugged = next(cpu for cpu in after if cpu["props"]["socket-id"] == 2)
    assert plugged["qom-path"] == "/machine/peripheral/vcpu2"
    assert fast[-1]["cpu-index"] == 2 and fast[-1]["props"]["node-id"] == 1
    assert fast[-1]["qom-path"] == "/machine/peripheral/vcpu2"
    assert refusal == "acpi: device unplug request for not supported device type: qemu64-x86_64-cpu"
