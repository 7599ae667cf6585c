"""Socket chardev options, against qmpnuma and QEMU 7.2 alike.

Where each monitor listens (IPv4, IPv6, both; the abstract namespace; a
temporary or a sun_path-filling unix path), telnet framing, and a
client-mode chardev that reconnects.  Only loopback and unix sockets.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.binaries import BINARIES, TIMEOUT, command

TELNET_INIT = b"\xff\xfb\x01\xff\xfb\x03\xff\xfb\x00\xff\xfd\x00"


def free_port() -> int:
    with socket.socket(socket.AF_INET6) as probe:
        probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        probe.bind(("::", 0))
        return int(probe.getsockname()[1])


def greeting(family: int, address: object) -> bytes | None:
    """The first bytes a monitor at ``address`` sends; None if refused."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(TIMEOUT)
            try:
                sock.connect(address)  # type: ignore[arg-type]
            except ConnectionRefusedError:
                return None
            except FileNotFoundError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
                continue
            data = b""
            while b"\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data


def started(
    argv: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.communicate(timeout=TIMEOUT)


def wait_listening(port: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            with socket.socket(family) as sock:
                if sock.connect_ex((host, port)) == 0:
                    return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@pytest.mark.parametrize("binary", BINARIES)
@pytest.mark.parametrize(("options", "v4", "v6"), [
    ("", True, True),
    (",ipv4=on", True, False),
    (",ipv6=on", False, True),
    (",ipv4=off", False, True),
    (",ipv6=off", True, False),
    (",ipv4=on,ipv6=on", True, True),
])
def test_tcp_listens_where_qemu_does(binary: str, options: str, v4: bool, v6: bool) -> None:
    port = free_port()
    for _ in started(command(binary, "-qmp", f"tcp::{port},server=on,wait=off{options}")):
        wait_listening(port)
        # One client at a time: each probe closes before the next.
        ipv4 = greeting(socket.AF_INET, ("127.0.0.1", port))
        ipv6 = greeting(socket.AF_INET6, ("::1", port))
        assert (ipv4 is not None, ipv6 is not None) == (v4, v6)
        assert all(g is None or g.startswith(b'{"QMP"') for g in (ipv4, ipv6))


@pytest.mark.parametrize("binary", BINARIES)
def test_abstract_sockets_leave_no_file(binary: str, tmp_path: Path) -> None:
    name = f"qmpnuma-test-{os.getpid()}-{binary}"
    for _ in started(command(binary, "-qmp", f"unix:{name},server=on,wait=off,abstract=on"),):
        reply = greeting(socket.AF_UNIX, b"\0" + name.encode())
        for _ in range(100):
            if reply is not None:
                break
            time.sleep(0.05)
            reply = greeting(socket.AF_UNIX, b"\0" + name.encode())
        assert reply is not None and reply.startswith(b'{"QMP"')
        assert not Path(name).exists()


@pytest.mark.parametrize("binary", BINARIES)
def test_telnet_negotiates_first(binary: str) -> None:
    port = free_port()
    for _ in started(command(binary, "-qmp", f"tcp:127.0.0.1:{port},server=on,wait=off,telnet=on")):
        wait_listening(port)
        reply = greeting(socket.AF_INET, ("127.0.0.1", port))
        assert reply is not None and reply.startswith(TELNET_INIT + b'{"QMP"')


@pytest.mark.parametrize("binary", BINARIES)
def test_an_empty_unix_path_is_a_temporary_socket(binary: str, tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    for _ in started(command(binary, "-qmp", "unix:,server=on,wait=off"), env):
        deadline = time.monotonic() + TIMEOUT
        while not list(tmp_path.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        [path] = tmp_path.iterdir()
        assert path.name.startswith("qemu-socket-") and len(path.name) == len("qemu-socket-") + 6
        reply = greeting(socket.AF_UNIX, str(path))
        assert reply is not None and reply.startswith(b'{"QMP"')


@pytest.mark.parametrize("binary", BINARIES)
def test_a_unix_path_may_fill_sun_path(binary: str, tmp_path: Path) -> None:
    path = tmp_path / ("s" * (108 - len(str(tmp_path)) - 1))
    assert len(str(path)) == 108
    for _ in started(command(binary, "-qmp", f"unix:{path},server=on,wait=off")):
        saved = os.getcwd()
        os.chdir(tmp_path)  # Python's connect() wants the name shorter than sun_path
        try:
            reply = greeting(socket.AF_UNIX, path.name)
        finally:
            os.chdir(saved)
        assert reply is not None and reply.startswith(b'{"QMP"')


@pytest.mark.parametrize("binary", BINARIES)
def test_a_client_chardev_reconnects(binary: str) -> None:
    port = free_port()
    argv = command(binary, "-qmp", f"tcp:127.0.0.1:{port},reconnect=1")
    for proc in started(argv):
        # Its first attempt fails, is reported once, and start-up goes on.
        assert proc.stderr is not None
        assert proc.stderr.readline().decode().split(": ", 1)[1] == (
            "Unable to connect character device compat_monitor0: "
            f"Failed to connect to '127.0.0.1:{port}': Connection refused\n")
        assert proc.poll() is None
        with socket.create_server(("127.0.0.1", port)) as server:
            server.settimeout(TIMEOUT)
            for _ in range(2):  # and again after we hang up
                conn, _ = server.accept()
                with conn:
                    conn.settimeout(TIMEOUT)
                    assert conn.recv(4096).startswith(b'{"QMP"')


@pytest.mark.parametrize("binary", BINARIES)
@pytest.mark.parametrize(("chardev", "shown"), [
    ("tcp::{port},server=on", "tcp:0.0.0.0:{port},server=on"),
    ("tcp::{port},server=on,ipv6=on", "tcp::::{port},server=on"),
    ("tcp:localhost:{port},server=on,telnet=on", "telnet:127.0.0.1:{port},server=on"),
    ("unix:qmpnuma-abstract-{port},server=on,abstract=on",
     "unix:qmpnuma-abstract-{port},abstract=on,tight=on,server=on"),
])
def test_the_wait_message_names_the_listening_address(
    binary: str, chardev: str, shown: str
) -> None:
    port = free_port()
    for proc in started(command(binary, "-qmp", chardev.format(port=port))):
        assert proc.stderr is not None
        line = proc.stderr.readline().decode()
        assert line.endswith(
            f"info: QEMU waiting for connection on: disconnected:{shown.format(port=port)}\n")
