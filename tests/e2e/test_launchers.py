"""Launchers start qmpnuma as they start QEMU: QEMU's Python machine library,
and a person at a shell.

QEMU's ``python/qemu/machine`` (QEMUMachine, used by QEMU's functional tests
and other projects' rigs) is not on PyPI, so its launch sequence is
written out here against ``qemu.qmp``'s legacy QEMUMonitorProtocol, which
the library uses (machine.py _pre_launch, _base_args, _launch,
_post_launch, shutdown, QEMU 7.2 and later):

1. ``socket.socketpair()``; the child's end is made inheritable;
2. argv: ``-display none -vga none -chardev socket,id=mon,fd=N
   -mon chardev=mon,mode=control`` (no ``-nodefaults``), plus the test's
   own arguments;
3. ``Popen(..., close_fds=False)``, then the parent closes the child's end
   and ``QEMUMonitorProtocol(our_end).connect()`` reads the greeting and
   negotiates;
4. commands through ``cmd()``; ``quit`` to shut down (``shutdown()``'s
   soft path), then the exit status is checked.

The help and version texts are compared with QEMU 7.2 where they must
match (skipped without QEMU).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from qemu.qmp.legacy import QEMUMonitorProtocol

QMPNUMA = (sys.executable, "-m", "qmpnuma")
QEMU = shutil.which("qemu-system-x86_64")
#: Seconds the process may take to exit after ``quit``.
EXIT_TIMEOUT = 10


class Machine:
    """QEMUMachine's launch sequence, reduced to what it sends."""

    def __init__(self, *args: str) -> None:
        self._pair = socket.socketpair()
        child = self._pair[0]
        child.set_inheritable(True)
        argv = [*QMPNUMA, "-display", "none", "-vga", "none",
                "-chardev", f"socket,id=mon,fd={child.fileno()}",
                "-mon", "chardev=mon,mode=control", *args]  # fmt: skip
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, close_fds=False,
        )  # fmt: skip
        child.close()
        self.qmp = QEMUMonitorProtocol(self._pair[1])
        self.greeting = self.qmp.connect()

    def cmd(self, name: str) -> dict[str, Any]:
        return self.qmp.cmd_raw(name)

    def shutdown(self) -> int:
        self.qmp.cmd_raw("quit")
        # QEMUMachine._close_qmp_connection: the server's EOF after quit is fine.
        with contextlib.suppress(EOFError, ConnectionResetError):
            self.qmp.close()
        return self.proc.wait(timeout=EXIT_TIMEOUT)


@pytest.fixture
def vm() -> Iterator[Machine]:
    machine = Machine(
        "-machine", "pc", "-m", "1G", "-smp", "2",
        "-object", "memory-backend-ram,id=m0,size=512M",
        "-object", "memory-backend-ram,id=m1,size=512M",
        "-numa", "node,nodeid=0,memdev=m0", "-numa", "node,nodeid=1,memdev=m1",
    )  # fmt: skip
    yield machine
    if machine.proc.poll() is None:
        machine.proc.kill()
        machine.proc.wait()


def test_qemu_machine_sequence(vm: Machine) -> None:
    assert vm.greeting is not None
    assert vm.greeting["QMP"]["version"]["qemu"] == {"micro": 22, "minor": 2, "major": 7}
    assert vm.cmd("query-status")["return"]["status"] == "running"
    assert "node 1 size: 512 MB" in vm.cmd("x-query-numa")["return"]["human-readable-text"]
    # Without -nodefaults, QEMU's default serial and parallel ports exist.
    chardevs = vm.cmd("query-chardev")["return"]
    assert {c["label"]: c["filename"] for c in chardevs} == {
        "parallel0": "vc", "mon": "unix:", "serial0": "vc",
    }  # fmt: skip
    assert vm.shutdown() == 0


def test_connected_fd_is_a_yank_instance(vm: Machine) -> None:
    assert vm.cmd("query-yank")["return"] == [{"type": "chardev", "id": "mon"}]
    assert vm.shutdown() == 0


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def ours(*args: str) -> subprocess.CompletedProcess[str]:
    return run(*QMPNUMA, *args)


def test_help_helps_a_newcomer() -> None:
    out = ours("-h")
    assert out.returncode == 0 and out.stderr == ""
    lines = out.stdout.splitlines()
    assert lines[0] == "QEMU emulator version 7.2.22 (qmpnuma 0.1.0)"
    assert "usage: qmpnuma [options]" in lines
    for entry in ("-numa node[,memdev=id][,cpus=firstcpu[-lastcpu]][,nodeid=node][,initiator=node]",
                  "-qmp dev        like -monitor but opens in 'control' mode",
                  "-qmpnuma-guest silent|scripted"):  # fmt: skip
        assert entry in lines
    # Options qmpnuma refuses are not offered.
    assert not any(line.startswith(("-drive", "-netdev", "-hda")) for line in lines)
    assert ours("--help").stdout == out.stdout == ours("-help").stdout


def test_version() -> None:
    out = ours("-version")
    assert out.returncode == 0
    assert out.stdout.splitlines()[0] == "QEMU emulator version 7.2.22 (qmpnuma 0.1.0)"
    assert ours("--version").stdout == out.stdout


needs_qemu = pytest.mark.skipif(QEMU is None, reason="qemu-system-x86_64 is not installed")


@needs_qemu
@pytest.mark.parametrize("args", [("-cpu", "help"), ("-object", "memory-backend-ram,help"),
                                  ("-object", "secret,help"), ("-device", "pc-dimm,help"),
                                  ("-device", "virtio-mem-pci,help"), ("-smp", "help")])
def test_listing_same_as_qemu(args: tuple[str, ...]) -> None:
    assert QEMU is not None
    theirs, mine = run(QEMU, *args), ours(*args)
    assert (mine.returncode, mine.stdout) == (theirs.returncode, theirs.stdout)


@needs_qemu
@pytest.mark.parametrize("args", [("-machine", "help"), ("-object", "help"),
                                  ("-device", "help"), ("-accel", "help")])
def test_listing_is_qemus_restricted(args: tuple[str, ...]) -> None:
    """Every line we print QEMU prints too, in the same order; the ones left
    out are what qmpnuma does not model."""
    assert QEMU is not None
    theirs, mine = run(QEMU, *args), ours(*args)
    assert mine.returncode == theirs.returncode == 0
    remaining = iter(theirs.stdout.splitlines())
    assert all(line in remaining for line in mine.stdout.splitlines())


@needs_qemu
def test_usage_entries_are_qemus() -> None:
    assert QEMU is not None
    theirs = run(QEMU, "-h").stdout.splitlines()
    mine = ours("-h").stdout.splitlines()
    start = mine.index("Standard options:")
    end = mine.index("qmpnuma options:")
    remaining = iter(theirs)
    assert all(line in remaining for line in mine[start:end])


def test_unknown_option_is_still_refused() -> None:
    out = ours("-drive", "file=x")
    assert (out.returncode, out.stderr) == (1, "qmpnuma: -drive: invalid option\n")


__all__ = ["Machine", "os"]
