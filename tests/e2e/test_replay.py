"""scripts/replay: a recorded conversation repeats, and a changed one is caught."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from qemu.qmp import ExecuteError

from qmpnuma.pytest_plugin import MachineFactory

REPLAY = Path(__file__).resolve().parents[2] / "scripts" / "replay"
MACHINE = ["-S", "-m", "1G", "-smp", "2", "-object", "memory-backend-ram,id=m0,size=1G",
           "-numa", "node,memdev=m0,cpus=0-1"]


def _record(qmpnuma: MachineFactory) -> Path:
    vm = qmpnuma.start(*MACHINE)

    async def go() -> None:
        async with vm.client() as qmp:
            await qmp.execute("query-hotpluggable-cpus")
            await qmp.execute("cont")
            with pytest.raises(ExecuteError):
                await qmp.execute("set-numa-node", {"type": "node"})

    asyncio.run(go())
    return vm.record


def _replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPLAY), *args], capture_output=True, text=True,
                          timeout=60)


def test_a_recording_repeats_on_qmpnuma(qmpnuma: MachineFactory) -> None:
    result = _replay(str(_record(qmpnuma)), "--", *MACHINE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_first_difference_is_reported(qmpnuma: MachineFactory, tmp_path: Path) -> None:
    lines = _record(qmpnuma).read_text().splitlines()
    changed = json.loads(lines[4])
    assert changed["direction"] == "out"
    changed["message"]["return"] = []
    lines[4] = json.dumps(changed)
    recording = tmp_path / "changed.jsonl"
    recording.write_text("\n".join(lines) + "\n")
    result = _replay(str(recording), "--", *MACHINE)
    assert result.returncode == 1
    assert result.stdout.startswith(f"{recording}:5: first difference, on monitor 0\n")


@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="QEMU 7.2 not installed")
def test_a_qmpnuma_recording_repeats_on_qemu(qmpnuma: MachineFactory) -> None:
    result = _replay(str(_record(qmpnuma)), "--qemu", "--", *MACHINE)
    assert result.returncode == 0, result.stdout + result.stderr
