"""A smoke test of qmpnuma as users install it; scripts/wheel-smoke runs it
against the built wheel in a fresh virtual environment, outside the checkout.

Its first test is the README's example of the pytest plugin.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

TWO_NODES = ["-S", "-m", "2G", "-smp", "4,sockets=2,cores=2",
             "-object", "memory-backend-ram,id=m0,size=1G",
             "-object", "memory-backend-ram,id=m1,size=1G",
             "-numa", "node,nodeid=0,memdev=m0,cpus=0-1",
             "-numa", "node,nodeid=1,memdev=m1,cpus=2-3"]


@pytest.mark.parametrize("mode", ["fleet", "subprocess"])
def test_each_socket_gets_its_cpus(qmpnuma, mode):
    vm = qmpnuma.start(*TWO_NODES, mode=mode)

    async def check():
        async with vm.client() as qmp:
            cpus = await qmp.execute("query-cpus-fast")
            return {cpu["cpu-index"]: cpu["props"]["node-id"] for cpu in cpus}

    assert asyncio.run(check()) == {0: 0, 1: 0, 2: 1, 3: 1}
    # Every message is in vm.record (JSON lines): scripts/replay replays it.
    assert vm.record.exists()


def test_fleet_control_socket(tmp_path: Path) -> None:
    control = tmp_path / "control.sock"
    fleet = Path(sys.executable).with_name("qmpnuma-fleet")
    proc = subprocess.Popen([str(fleet), "--control", str(control)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and b"ready" in proc.stdout.readline()
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(control))
            reader = sock.makefile("rb")
            assert "QMP" in json.loads(reader.readline())
            machine = ["-qmp", f"unix:{tmp_path / 'vm.sock'},server=on,wait=off", *TWO_NODES]
            for command in ({"execute": "qmp_capabilities"},
                            {"execute": "machine-add", "arguments": {"name": "vm",
                                                                     "argv": machine}},
                            {"execute": "quit"}):
                sock.sendall(json.dumps(command).encode())
                assert "return" in json.loads(reader.readline())
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
