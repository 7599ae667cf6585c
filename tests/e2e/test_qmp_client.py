"""End to end over a real unix socket, with the clients users have."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from qemu.qmp import QMPClient

from tests.e2e.conftest import Daemon, start_daemon


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_qmpclient_negotiates_and_queries(daemon: Daemon) -> None:
    async def go() -> tuple[object, object, object]:
        qmp = QMPClient("e2e")
        await qmp.connect(str(daemon.socket))
        status = await qmp.execute("query-status")
        commands = await qmp.execute("query-commands")
        numa = await qmp.execute("x-query-numa")
        await qmp.disconnect()
        return status, commands, numa

    status, commands, numa = _run(go())
    assert status == {"status": "prelaunch", "singlestep": False, "running": False}
    assert isinstance(commands, list)
    assert {"name": "query-hotpluggable-cpus"} in commands
    assert numa == {"human-readable-text": (
        "2 nodes\nnode 0 cpus: 0 1\nnode 0 size: 512 MB\nnode 0 plugged: 0 MB\n"
        "node 1 cpus: 2 3\nnode 1 size: 512 MB\nnode 1 plugged: 0 MB\n")}


def test_events_reach_every_negotiated_monitor(tmp_path: Path) -> None:
    d = start_daemon(tmp_path, "-S", "-qmp", f"unix:{tmp_path / 'second.sock'},server=on,wait=off")

    async def go() -> list[str]:
        first, second = QMPClient("first"), QMPClient("second")
        await first.connect(str(d.socket))
        await second.connect(str(tmp_path / "second.sock"))
        with second.listener() as listener:
            await first.execute("cont")
            await first.execute("stop")
            names = [(await listener.get()).get("event"), (await listener.get()).get("event")]
        await first.disconnect()
        await second.disconnect()
        return names

    try:
        assert _run(go()) == ["RESUME", "STOP"]
    finally:
        d.stop()


def test_quit_emits_shutdown_removes_socket_and_exits_zero(daemon: Daemon) -> None:
    async def go() -> object:
        qmp = QMPClient("e2e")
        await qmp.connect(str(daemon.socket))
        with qmp.listener("SHUTDOWN") as listener:
            await qmp.execute("quit")
            event = await listener.get()
        # After quit the server closes the socket, as QEMU does; whether the
        # client's reader sees that EOF before disconnect() is a race, and
        # disconnect() re-raises it.  QEMU's own machine library accepts the
        # EOF after quit the same way (python/qemu/machine/machine.py,
        # QEMUMachine._close_qmp_connection).
        with contextlib.suppress(EOFError):
            await qmp.disconnect()
        return event.get("data")

    assert _run(go()) == {"guest": False, "reason": "host-qmp-quit"}
    assert daemon.proc.wait(timeout=10) == 0
    assert not daemon.socket.exists()


def test_socket_is_private(daemon: Daemon) -> None:
    assert stat.S_IMODE(os.stat(daemon.socket).st_mode) == 0o600


def test_qmp_shell(daemon: Daemon) -> None:
    shell = Path(sys.executable).with_name("qmp-shell")
    out = subprocess.run([str(shell), str(daemon.socket)], input="query-status\n",
                         capture_output=True, text=True, timeout=30)
    assert '"status": "prelaunch"' in out.stdout


def test_sigterm_shuts_down_cleanly(daemon: Daemon) -> None:
    daemon.proc.terminate()
    code, err = daemon.stop()
    assert code == 0
    # As QEMU: the sender is named, by pid and argv[0].
    assert re.fullmatch(rf"qmpnuma: terminating on signal 15 from pid {os.getpid()} \(.+\)\n", err)
    assert not daemon.socket.exists()
