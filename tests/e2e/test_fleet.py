"""A fleet of 200 machines in this process: each answers, each ends alone.

Bounded so that it runs in CI; scripts/benchmark --fleet measures 1000.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from qmpnuma.errors import GenericError
from qmpnuma.fleet import Fleet, MachineState, open_fleet
from qmpnuma.profile import QEMU_7_2, QEMU_10_0
from qmpnuma.qapi.dispatch import Dispatcher

MACHINES = 200
#: Seconds the whole conversation with the fleet may take.
TIMEOUT = 120.0
#: Seconds the control process may take to start or stop.
PROCESS_TIMEOUT = 30.0


class Monitor:
    """A bare QMP client over a trio unix stream, one reply at a time."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.buffer = b""

    @classmethod
    async def open(cls, path: Path | str) -> Monitor:
        monitor = cls(await trio.open_unix_socket(str(path)))
        assert "QMP" in await monitor.message()
        return monitor

    async def message(self) -> dict[str, object]:
        while b"\n" not in self.buffer:
            data = await self.stream.receive_some(65536)
            if not data:
                raise EOFError
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        message = json.loads(line)
        assert isinstance(message, dict)
        return message

    async def send(self, data: bytes | dict[str, object]) -> dict[str, object]:
        """Send ``data``; the next reply, events skipped."""
        await self.stream.send_all(data if isinstance(data, bytes) else json.dumps(data).encode())
        while "event" in (reply := await self.message()):
            pass
        return reply

    async def execute(self, command: str, **arguments: object) -> object:
        reply = await self.send({"execute": command, "arguments": arguments})
        assert "return" in reply, reply
        return reply["return"]


def _argv(sockets: Path, n: int, *extra: str) -> list[str]:
    return ["-S", "-name", f"guest{n}", "-m", "256M", "-smp", "2",
            "-object", "memory-backend-ram,id=m0,size=256M", "-numa", "node,memdev=m0",
            *extra, "-qmp", f"unix:{sockets / f'{n}.sock'},server=on,wait=off"]


async def _status(sock: Path) -> tuple[object, object]:
    monitor = await Monitor.open(sock)
    await monitor.execute("qmp_capabilities")
    status, name = await monitor.execute("query-status"), await monitor.execute("query-name")
    await monitor.stream.aclose()
    return status, name


async def test_two_hundred_machines_end_alone(tmp_path: Path) -> None:
    with trio.fail_after(TIMEOUT):
        async with open_fleet() as fleet:
            await _two_hundred(fleet, tmp_path)


async def _two_hundred(fleet: Fleet, sockets: Path) -> None:
    for n in range(MACHINES):
        await fleet.add(f"vm{n}", _argv(sockets, n))
    monitors = [await Monitor.open(sockets / f"{n}.sock") for n in range(MACHINES)]
    for n, monitor in enumerate(monitors):
        await monitor.execute("qmp_capabilities")
        assert await monitor.execute("query-name") == {"name": f"guest{n}"}
    # Every fifth machine runs, to tell states apart afterwards.
    for monitor in monitors[::5]:
        await monitor.execute("cont")
    # Bad input: protocol errors, the machine goes on.
    for monitor in monitors[1::10]:
        reply = await monitor.send(b'{"execute": 1}')
        assert reply["error"] == {"class": "GenericError",
                                  "desc": "QMP input member 'execute' must be a string"}
        assert "desc" in (await monitor.send(b"}"))["error"]  # type: ignore[operator]
    # quit ends its machine only.
    for monitor in monitors[2::10]:
        await monitor.send({"execute": "quit"})
    # An internal error in a handler ends its machine only.
    broken = fleet.get("vm3")
    broken.server.dispatcher = Dispatcher(
        broken.server.dispatcher.schema, {**broken.server.dispatcher.handlers, "query-name": _bug},
        strict=False)
    await monitors[3].stream.send_all(b'{"execute": "query-name"}')
    await broken.wait_ended()
    for n in range(MACHINES):
        machine = fleet.get(f"vm{n}")
        if n % 10 == 2 or n == 3:
            await machine.wait_ended()
            assert machine.state is (MachineState.FAILED if n == 3 else MachineState.SHUTDOWN)
            assert not (sockets / f"{n}.sock").exists()
            continue
        assert machine.state is MachineState.RUNNING
        running = n % 5 == 0
        assert await monitors[n].execute("query-status") == {
            "status": "running" if running else "prelaunch",
            "singlestep": False, "running": running}
        assert await monitors[n].execute("query-name") == {"name": f"guest{n}"}
    assert "RuntimeError: a bug" in fleet.get("vm3").log_text()
    assert fleet.get("vm3").exit_status == 1
    for monitor in monitors:
        await monitor.stream.aclose()


def _bug(ctx: object, args: object) -> object:
    raise RuntimeError("a bug")


async def test_fatal_error_and_wait_on_stay_with_their_machine(tmp_path: Path) -> None:
    async with open_fleet() as fleet:
        other = await fleet.add("other", _argv(tmp_path, 0))
        # softmmu/vl.c: a configuration that x-exit-preconfig cannot
        # complete ends QEMU, without a reply.
        fatal = await fleet.add("fatal", ["--preconfig", "-m", "1G", "-numa", "node",
                                          "-qmp", f"unix:{tmp_path / 'f.sock'},server=on,wait=off"])
        waiting = await fleet.add("waiting", _argv(tmp_path, 2)[:-1] + [
            f"unix:{tmp_path / 'w.sock'},server=on,wait=on"])
        assert waiting.state is MachineState.WAITING
        monitor = await Monitor.open(tmp_path / "f.sock")
        await monitor.execute("qmp_capabilities")
        await monitor.stream.send_all(b'{"execute": "x-exit-preconfig"}')
        await fatal.wait_ended()
        assert fatal.info() == {"name": "fatal", "state": "failed",
                                "sockets": [f"unix:{tmp_path / 'f.sock'}"], "profile": "7.2",
                                "exit-status": 1}
        assert "total memory for NUMA nodes" in fatal.log_text()
        assert "waiting for connection" in waiting.log_text()
        assert (await _status(tmp_path / "0.sock"))[1] == {"name": "guest0"}
        assert (await _status(tmp_path / "w.sock"))[1] == {"name": "guest2"}
        assert waiting.state is MachineState.RUNNING and other.state is MachineState.RUNNING


async def test_refused_machines_leave_nothing(tmp_path: Path) -> None:
    async with open_fleet() as fleet:
        await fleet.add("vm", _argv(tmp_path, 0))
        with pytest.raises(GenericError, match="Machine 'vm' already exists"):
            await fleet.add("vm", _argv(tmp_path, 1))
        with pytest.raises(GenericError, match="-daemonize and -pidfile"):
            await fleet.add("d", _argv(tmp_path, 2, "-daemonize"))
        with pytest.raises(GenericError, match=r"^qmpnuma: -m 1X: Parameter 'size'"):
            await fleet.add("m", ["-qmp", f"unix:{tmp_path / '3.sock'},server=on,wait=off",
                                  "-m", "1X"])
        assert sorted(os.listdir(tmp_path)) == ["0.sock"]
        await fleet.remove("vm")
        assert fleet.machines == []
    assert os.listdir(tmp_path) == []


async def test_each_machine_emulates_its_own_release(tmp_path: Path) -> None:
    async with open_fleet(profile=QEMU_10_0) as fleet:
        await fleet.add("new", _argv(tmp_path, 0))
        await fleet.add("old", _argv(tmp_path, 1), profile=QEMU_7_2)
        assert [m.info()["profile"] for m in fleet.machines] == ["10.0", "7.2"]
        for n, major, status in ((0, 10, {"status": "prelaunch", "running": False}),
                                 (1, 7, {"status": "prelaunch", "singlestep": False,
                                         "running": False})):
            monitor = await Monitor.open(tmp_path / f"{n}.sock")
            await monitor.execute("qmp_capabilities")
            version = await monitor.execute("query-version")
            assert version["qemu"]["major"] == major  # type: ignore[index]
            # The reply's members in the release's order (schema/10.0/run-state.json).
            raw = await monitor.send(b'{"execute": "query-status"}')
            assert list(raw["return"].items()) == list(status.items())  # type: ignore[union-attr]
            await monitor.stream.aclose()


def test_control_socket(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"machines": [{"name": "a", "argv": _argv(tmp_path, 0)}]}))
    control = tmp_path / "control.sock"
    proc = subprocess.Popen(
        [sys.executable, "-m", "qmpnuma.fleet_control", "--control", str(control),
         "--spec", str(spec)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert b"ready" in proc.stdout.readline()
        trio.run(_drive_control, control, tmp_path)
        assert proc.wait(timeout=PROCESS_TIMEOUT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert not control.exists() and not (tmp_path / "1.sock").exists()


async def _drive_control(control: Path, sockets: Path) -> None:
    monitor = await Monitor.open(control)
    assert "error" in await monitor.send({"execute": "query-machines-fleet"})
    await monitor.execute("qmp_capabilities")
    added = await monitor.execute("machine-add", name="b", argv=_argv(sockets, 1))
    assert added == {"name": "b", "state": "running", "sockets": [f"unix:{sockets / '1.sock'}"],
                     "profile": "7.2"}
    assert (await _status(sockets / "1.sock"))[1] == {"name": "guest1"}
    refused = await monitor.send({"execute": "machine-add",
                                  "arguments": {"name": "c", "argv": ["-smp", "0x"]}})
    assert refused["error"] == {"class": "GenericError",
                                "desc": "qmpnuma: Parameter 'smp.cpus' expects integer"}
    unknown = await monitor.send({"execute": "machine-add", "arguments": {
        "name": "c", "argv": _argv(sockets, 2), "profile": "6.2"}})
    assert unknown["error"] == {"class": "GenericError",
                                "desc": "unknown profile '6.2' (known: 7.2, 10.0, seed)"}
    assert not (sockets / "2.sock").exists()
    newer = await monitor.execute("machine-add", name="d", argv=_argv(sockets, 3), profile="10.0")
    assert newer["profile"] == "10.0"  # type: ignore[index]
    await monitor.execute("machine-del", name="d")
    missing = await monitor.send({"execute": "machine-add", "arguments": {"name": "c"}})
    assert missing["error"] == {"class": "GenericError", "desc": "Parameter 'argv' is missing"}
    names = [m["name"] for m in await monitor.execute("query-machines-fleet")]  # type: ignore[attr-defined]
    assert names == ["a", "b"]
    await monitor.execute("machine-del", name="a")
    assert not (sockets / "0.sock").exists()
    gone = await monitor.send({"execute": "machine-del", "arguments": {"name": "a"}})
    assert gone["error"] == {"class": "GenericError", "desc": "Machine 'a' not found"}
    commands = await monitor.execute("query-commands")
    assert {"name": "machine-add"} in commands  # type: ignore[operator]
    await monitor.execute("quit")
    await monitor.stream.aclose()
