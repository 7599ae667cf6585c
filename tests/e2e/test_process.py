"""The process as QEMU runs it: -pidfile, -daemonize, signals during start-up.

Each test runs against qmpnuma and, when it is installed, against QEMU 7.2
with the same options: both must behave alike.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.binaries import BINARIES, TIMEOUT, command, monitor, wait_for


@pytest.mark.parametrize("binary", BINARIES)
def test_a_locked_pidfile_refuses_a_second_instance(binary: str, tmp_path: Path) -> None:
    pidfile = tmp_path / "vm.pid"
    first = subprocess.Popen(
        command(binary, "-pidfile", str(pidfile), *monitor(tmp_path / "1.sock")),
        stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(tmp_path / "1.sock", first)
        assert stat.S_IMODE(pidfile.stat().st_mode) == 0o600
        assert pidfile.read_text() == f"{first.pid}\n"
        second = subprocess.run(
            command(binary, "-pidfile", str(pidfile), *monitor(tmp_path / "2.sock")),
            stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
        assert second.returncode == 1
        assert second.stderr.decode().split(": ", 1)[1] == (
            "cannot create PID file: Cannot lock pid file: Resource temporarily unavailable\n")
        # The second instance left the first one's pidfile and created no socket.
        assert pidfile.read_text() == f"{first.pid}\n"
        assert not (tmp_path / "2.sock").exists()
    finally:
        first.terminate()
        first.communicate(timeout=TIMEOUT)
    assert not pidfile.exists()


@pytest.mark.parametrize("binary", BINARIES)
def test_a_signal_while_waiting_for_the_first_client_kills(binary: str, tmp_path: Path) -> None:
    sock = tmp_path / "w.sock"
    proc = subprocess.Popen(command(binary, "-qmp", f"unix:{sock},server=on,wait=on"),
                            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(sock, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=TIMEOUT)
    # No handler yet: the signal's default action, as in QEMU.
    assert proc.returncode == -signal.SIGTERM
    assert err.decode().endswith(
        f"info: QEMU waiting for connection on: disconnected:unix:{sock},server=on\n")


@pytest.mark.parametrize("binary", BINARIES)
def test_daemonize_detaches_as_qemu(binary: str, tmp_path: Path) -> None:
    pidfile, sock = tmp_path / "d.pid", tmp_path / "d.sock"
    argv = command(binary, "-daemonize", "-pidfile", str(pidfile), *monitor(sock))
    if binary == "qemu":
        argv.remove("-nographic")  # QEMU refuses -nographic with -daemonize
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=TIMEOUT, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, b"")
    pid = int(pidfile.read_text())
    try:
        status = dict(line.split(":\t", 1) for line in
                      Path(f"/proc/{pid}/status").read_text().splitlines())
        assert status["Umask"] == "0027"
        assert os.readlink(f"/proc/{pid}/cwd") == "/"
        # A second fork after setsid(): the daemon is not its session's leader.
        assert os.getsid(pid) != pid
        assert sock.exists()
    finally:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + TIMEOUT
    while pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not pidfile.exists()
