"""Run qmpnuma, or QEMU 7.2 with the same options, as a process."""

from __future__ import annotations

import time
from pathlib import Path
from subprocess import Popen

import pytest

from tests.differential.harness import BASE_ARGS, QEMU_BINARY, QMPNUMA_COMMAND

__all__ = ["BINARIES", "TIMEOUT", "command", "monitor", "wait_for"]

#: Seconds a process may take to start listening, or to exit.
TIMEOUT = 15.0

#: Parameters for tests that must pass against both.
BINARIES = ["qmpnuma", pytest.param("qemu", marks=pytest.mark.skipif(
    QEMU_BINARY is None, reason="qemu-system-x86_64 is not installed"))]


def command(binary: str, *args: str) -> list[str]:
    if binary == "qemu":
        assert QEMU_BINARY is not None
        return [QEMU_BINARY, *BASE_ARGS, "-S", *args]
    return [*QMPNUMA_COMMAND, "-S", *args]


def monitor(path: Path) -> tuple[str, str]:
    return "-qmp", f"unix:{path},server=on,wait=off"


def wait_for(path: Path, proc: Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not path.exists():
        assert proc is None or proc.poll() is None, "exited early"
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
