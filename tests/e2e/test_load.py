"""Hostile and careless clients over real sockets (issues 10 and 11).

A client that floods, pipelines thousands of commands, or stops reading
must neither stall the other monitors nor lose replies, and the daemon's
memory stays bounded.  Time limits here are regression bounds two orders of
magnitude above what the daemon does, not performance measurements (those
are scripts/benchmark's).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

from qmpnuma.pytest_plugin import Machine, MachineFactory
from tests.e2e.binaries import TIMEOUT

#: A round trip another monitor may take while one client floods.  QEMU:
#: ~20 ms; before the fix: 4.2 s.
FAIR_ROUND_TRIP = 0.5


class Client:
    """A blocking QMP client that can write without reading."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(str(path))
        self.file = self.sock.makefile("rb")
        assert b'"QMP"' in self.file.readline()

    def negotiate(self) -> None:
        assert self.execute("qmp_capabilities") == {"return": {}}

    def execute(self, command: str, **arguments: object) -> object:
        self.sock.sendall(self.request(command, **arguments))
        return self.reply()

    @staticmethod
    def request(command: str, **arguments: object) -> bytes:
        msg: dict[str, object] = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        return json.dumps(msg).encode()

    def reply(self) -> object:
        """The next message that is not an event."""
        while True:
            line = self.file.readline()
            assert line, "the daemon closed the connection"
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def send_in_background(self, data: bytes) -> threading.Thread:
        writer = threading.Thread(target=self.sock.sendall, args=(data,), daemon=True)
        writer.start()
        return writer

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def two_monitors(qmpnuma: MachineFactory, tmp_path: Path) -> tuple[Machine, Path, Path]:
    second = tmp_path / "b.sock"
    daemon = qmpnuma.start("-S", "-m", "1G", "-qmp", f"unix:{second},server=on,wait=off",
                           mode="subprocess")
    return daemon, daemon.socket, second


def stop(daemon: Machine) -> str:
    """End the daemon as a management tool would (SIGTERM); what it printed."""
    assert daemon.process is not None
    daemon.process.terminate()
    daemon.process.wait(timeout=TIMEOUT)
    return daemon.log_text()


def round_trip(client: Client) -> float:
    start = time.perf_counter()
    assert "return" in client.execute("query-status")  # type: ignore[operator]
    return time.perf_counter() - start


def test_a_flooding_client_does_not_stall_another_monitor(
    qmpnuma: MachineFactory, tmp_path: Path
) -> None:
    daemon, first, second = two_monitors(qmpnuma, tmp_path)
    try:
        flood, other = Client(first), Client(second)
        flood.negotiate()
        other.negotiate()
        # 2000 x ~100 KiB of replies that the flooding client never reads.
        flood.send_in_background(Client.request("query-qmp-schema") * 2000)
        time.sleep(0.2)
        worst = max(round_trip(other) for _ in range(20))
        assert worst < FAIR_ROUND_TRIP
        # Its replies are all there when it gets round to reading them.
        assert all("return" in flood.reply() for _ in range(2000))  # type: ignore[operator]
    finally:
        stop(daemon)


def test_pipelined_commands_are_all_answered_in_order(qmpnuma: MachineFactory) -> None:
    daemon = qmpnuma.start("-S", mode="subprocess")
    try:
        client = Client(daemon.socket)
        client.negotiate()
        count = 20_000
        data = b"".join(
            json.dumps({"execute": "query-status", "id": i}).encode() for i in range(count)
        )
        writer = client.send_in_background(data)
        ids = [client.reply()["id"] for _ in range(count)]  # type: ignore[index]
        writer.join(TIMEOUT)
        assert ids == list(range(count))
    finally:
        err = stop(daemon)
    assert "disconnecting" not in err


def test_no_command_runs_without_its_reply(qmpnuma: MachineFactory) -> None:
    """Issue 11 item 2: the client was dropped with 0 replies, its objects made."""
    daemon = qmpnuma.start("-S", mode="subprocess")
    try:
        client = Client(daemon.socket)
        client.negotiate()
        add = [Client.request("object-add", **{"qom-type": "memory-backend-ram",
                                               "id": name, "size": 1 << 20})
               for name in ("lost1", "lost2")]
        writer = client.send_in_background(
            add[0] + Client.request("query-status") * 4200 + add[1])
        time.sleep(1.0)  # the daemon is held up by our not reading, not us
        replies = [client.reply() for _ in range(4202)]
        writer.join(TIMEOUT)
        assert replies[0] == replies[-1] == {"return": {}}
        assert all("return" in r for r in replies)  # type: ignore[operator]
        ids = {m["id"] for m in client.execute("query-memdev")["return"]}  # type: ignore[index]
        assert {"lost1", "lost2"} <= ids
    finally:
        err = stop(daemon)
    assert "disconnecting" not in err


def test_only_a_client_that_lets_events_pile_up_is_dropped_once(
    qmpnuma: MachineFactory, tmp_path: Path
) -> None:
    daemon, first, second = two_monitors(qmpnuma, tmp_path)
    try:
        deaf, busy = Client(first), Client(second)
        deaf.negotiate()
        busy.negotiate()
        deaf.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        # Two events per pair for the deaf monitor, ~150 bytes each: several
        # MiB in all, beyond the daemon's EVENT_BACKLOG_LIMIT and any socket buffer.
        pairs = 20_000
        writer = busy.send_in_background(
            (Client.request("cont") + Client.request("stop")) * pairs)
        for _ in range(2 * pairs):
            busy.reply()
        writer.join(TIMEOUT)
        assert busy.execute("query-status")["return"]["status"] == "paused"  # type: ignore[index]
    finally:
        err = stop(daemon)
    assert err.count("disconnecting it") == 1
