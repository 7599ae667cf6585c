"""Start the real daemon as a process, on a unix socket in a temporary directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Seconds the daemon may take to start listening.
START_TIMEOUT = 15.0


@dataclass
class Daemon:
    proc: subprocess.Popen[bytes]
    socket: Path

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.terminate()
        _, err = self.proc.communicate(timeout=10)
        return self.proc.returncode, err.decode()


def start_daemon(tmp_path: Path, *args: str, name: str = "qmp.sock") -> Daemon:
    sock = tmp_path / name
    argv = [sys.executable, "-m", "qmpnuma", *args,
            "-qmp", f"unix:{sock},server=on,wait=off"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_TIMEOUT
    while not sock.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            raise RuntimeError(f"daemon did not start: {err.decode()}")
        time.sleep(0.01)
    return Daemon(proc, sock)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    d = start_daemon(tmp_path, "-S", "-m", "1G", "-smp", "4,sockets=2,cores=2",
                     "-object", "memory-backend-ram,id=m0,size=512M",
                     "-object", "memory-backend-ram,id=m1,size=512M",
                     "-numa", "node,nodeid=0,memdev=m0,cpus=0-1",
                     "-numa", "node,nodeid=1,memdev=m1,cpus=2-3")
    yield d
    d.stop()


__all__ = ["Daemon", "start_daemon", "daemon", "os"]
