"""End to end over a real unix socket, with the clients users have.

The machines come from the project's own pytest plugin (qmpnuma.pytest_plugin),
as a daemon process, the way management software starts QEMU.
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from qmpnuma.pytest_plugin import Machine, MachineFactory

#: The machine of most tests: two nodes of two CPUs each.
TWO_NODES = ("-S", "-m", "1G", "-smp", "4,sockets=2,cores=2",
             "-object", "memory-backend-ram,id=m0,size=512M",
             "-object", "memory-backend-ram,id=m1,size=512M",
             "-numa", "node,nodeid=0,memdev=m0,cpus=0-1",
             "-numa", "node,nodeid=1,memdev=m1,cpus=2-3")


def _daemon(qmpnuma: MachineFactory) -> Machine:
    return qmpnuma.start(*TWO_NODES, mode="subprocess")


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_qmpclient_negotiates_and_queries(qmpnuma: MachineFactory) -> None:
    daemon = _daemon(qmpnuma)

    async def go() -> tuple[object, object, object]:
        async with daemon.client() as qmp:
            status = await qmp.execute("query-status")
            commands = await qmp.execute("query-commands")
            numa = await qmp.execute("x-query-numa")
        return status, commands, numa

    status, commands, numa = _run(go())
    assert status == {"status": "prelaunch", "singlestep": False, "running": False}
    assert isinstance(commands, list)
    assert {"name": "query-hotpluggable-cpus"} in commands
    assert numa == {"human-readable-text": (
        "2 nodes\nnode 0 cpus: 0 1\nnode 0 size: 512 MB\nnode 0 plugged: 0 MB\n"
        "node 1 cpus: 2 3\nnode 1 size: 512 MB\nnode 1 plugged: 0 MB\n")}


def test_events_reach_every_negotiated_monitor(qmpnuma: MachineFactory,
                                              tmp_path: Path) -> None:
    second_socket = tmp_path / "second.sock"
    d = qmpnuma.start("-S", "-qmp", f"unix:{second_socket},server=on,wait=off",
                      mode="subprocess")

    other = Machine(d.name, d.argv, d.mode, second_socket, d.record, d.log)

    async def go() -> list[str]:
        async with d.client("first") as first, other.client("second") as second:
            with second.listener() as listener:
                await first.execute("cont")
                await first.execute("stop")
                return [(await listener.get()).get("event"),
                        (await listener.get()).get("event")]

    assert _run(go()) == ["RESUME", "STOP"]


def test_quit_emits_shutdown_removes_socket_and_exits_zero(qmpnuma: MachineFactory) -> None:
    daemon = _daemon(qmpnuma)

    async def go() -> object:
        # The client accepts the EOF that follows quit (Machine.client()).
        async with daemon.client() as qmp:
            with qmp.listener("SHUTDOWN") as listener:
                await qmp.execute("quit")
                event = await listener.get()
        return event.get("data")

    assert _run(go()) == {"guest": False, "reason": "host-qmp-quit"}
    assert daemon.process is not None and daemon.process.wait(timeout=10) == 0
    assert not daemon.socket.exists()


def test_socket_is_private(qmpnuma: MachineFactory) -> None:
    daemon = _daemon(qmpnuma)
    assert stat.S_IMODE(os.stat(daemon.socket).st_mode) == 0o600


def test_qmp_shell(qmpnuma: MachineFactory) -> None:
    daemon = _daemon(qmpnuma)
    shell = Path(sys.executable).with_name("qmp-shell")
    out = subprocess.run([str(shell), str(daemon.socket)], input="query-status\n",
                         capture_output=True, text=True, timeout=30)
    assert '"status": "prelaunch"' in out.stdout


def test_sigterm_shuts_down_cleanly(qmpnuma: MachineFactory) -> None:
    daemon = _daemon(qmpnuma)
    assert daemon.process is not None
    daemon.process.terminate()
    code, err = daemon.process.wait(timeout=10), daemon.log_text()
    assert code == 0
    # As QEMU: the sender is named, by pid and argv[0].
    assert re.fullmatch(rf"qmpnuma: terminating on signal 15 from pid {os.getpid()} \(.+\)\n", err)
    assert not daemon.socket.exists()
