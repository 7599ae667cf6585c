"""Every way a monitor socket can be given, as libvirt and test rigs give them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Seconds a daemon may take to start or stop.
TIMEOUT = 15.0
BASE = ("-S", "-m", "1G")


def spawn(*args: str, **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "qmpnuma", *BASE, *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw,
    )


def greeting_and_status(sock: socket.socket) -> tuple[dict[str, object], dict[str, object]]:
    sock.settimeout(TIMEOUT)
    reader = sock.makefile("rb")
    greeting = json.loads(reader.readline())
    sock.sendall(b'{"execute": "qmp_capabilities"}{"execute": "query-status"}')
    assert json.loads(reader.readline()) == {"return": {}}
    return greeting, json.loads(reader.readline())


def connect_unix(path: Path) -> socket.socket:
    deadline = time.monotonic() + TIMEOUT
    while True:
        sock = socket.socket(socket.AF_UNIX)
        try:
            sock.connect(str(path))
            return sock
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def connect_tcp(port: int) -> socket.socket:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def reap() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=TIMEOUT)


STATUS = {"return": {"status": "prelaunch", "singlestep": False, "running": False}}


def test_tcp_monitor(free_port: int, reap: list[subprocess.Popen[bytes]]) -> None:
    reap.append(spawn("-qmp", f"tcp:127.0.0.1:{free_port},server=on,wait=off"))
    with connect_tcp(free_port) as sock:
        greeting, status = greeting_and_status(sock)
    assert "QMP" in greeting and status == STATUS


def test_chardev_and_mon(tmp_path: Path, reap: list[subprocess.Popen[bytes]]) -> None:
    path = tmp_path / "mon.sock"
    reap.append(spawn("-chardev", f"socket,id=charmonitor,path={path},server=on,wait=off",
                      "-mon", "chardev=charmonitor,id=monitor,mode=control"))
    with connect_unix(path) as sock:
        assert greeting_and_status(sock)[1] == STATUS


def test_one_client_at_a_time_and_fresh_negotiation(
    tmp_path: Path, reap: list[subprocess.Popen[bytes]]
) -> None:
    path = tmp_path / "q.sock"
    reap.append(spawn("-qmp", f"unix:{path},server=on,wait=off"))
    first = connect_unix(path)
    greeting_and_status(first)
    # Like a QEMU chardev, the second client waits until the first leaves...
    second = connect_unix(path)
    second.settimeout(0.3)
    with pytest.raises(TimeoutError):
        second.recv(1)
    first.close()
    # ...and then starts from the greeting, negotiating anew.
    assert greeting_and_status(second)[1] == STATUS
    second.close()


def test_wait_on_blocks_until_a_client_comes(
    tmp_path: Path, reap: list[subprocess.Popen[bytes]]
) -> None:
    path = tmp_path / "q.sock"
    proc = spawn("-qmp", f"unix:{path},server=on")
    reap.append(proc)
    with connect_unix(path) as sock:
        assert greeting_and_status(sock)[1] == STATUS
    proc.terminate()
    _, err = proc.communicate(timeout=TIMEOUT)
    assert err.decode().splitlines()[0] == (
        f"qmpnuma: -qmp unix:{path},server=on: info: QEMU waiting for connection on: "
        f"disconnected:unix:{path},server=on"
    )


def test_client_mode_connects_out(tmp_path: Path, reap: list[subprocess.Popen[bytes]]) -> None:
    path = tmp_path / "listener.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        listener.listen(1)
        listener.settimeout(TIMEOUT)
        reap.append(spawn("-qmp", f"unix:{path}"))
        sock, _ = listener.accept()
        with sock:
            assert greeting_and_status(sock)[1] == STATUS


def test_client_mode_without_a_peer_fails_like_qemu(tmp_path: Path) -> None:
    path = tmp_path / "nobody.sock"
    proc = spawn("-qmp", f"unix:{path}")
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 1
    assert err.decode() == (
        f"qmpnuma: -qmp unix:{path}: Failed to connect to '{path}': No such file or directory\n"
    )


def test_inherited_listening_fd(reap: list[subprocess.Popen[bytes]]) -> None:
    """libvirt's way: it binds the socket and passes the fd."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    fd = listener.fileno()
    reap.append(spawn("-chardev", f"socket,id=charmonitor,fd={fd},server=on,wait=off",
                      "-mon", "chardev=charmonitor,id=monitor,mode=control", pass_fds=(fd,)))
    listener.close()
    with connect_tcp(port) as sock:
        assert greeting_and_status(sock)[1] == STATUS


def test_daemonize_and_pidfile(tmp_path: Path) -> None:
    """libvirt waits for the parent to exit 0, then reads the pid and connects."""
    path, pidfile = tmp_path / "q.sock", tmp_path / "qemu.pid"
    parent = spawn("-qmp", f"unix:{path},server=on,wait=off",
                   "-pidfile", str(pidfile), "-daemonize")
    parent.communicate(timeout=TIMEOUT)
    assert parent.returncode == 0
    pid = int(pidfile.read_text())
    try:
        with connect_unix(path) as sock:
            assert greeting_and_status(sock)[1] == STATUS
    finally:
        os.kill(pid, 15)
    deadline = time.monotonic() + TIMEOUT
    while pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not pidfile.exists() and not path.exists()


def test_hmp_monitors_are_refused_clearly(tmp_path: Path) -> None:
    proc = spawn("-monitor", f"unix:{tmp_path / 'hmp.sock'},server=on,wait=off")
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 1
    assert "HMP monitors (mode=readline) are not emulated" in err.decode()
