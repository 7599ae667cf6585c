"""One idle, named thread per vCPU (qmpnuma/vcpu_threads.py)."""

from __future__ import annotations

import os
from pathlib import Path

from qmpnuma.vcpu_threads import VcpuThreads


def comm(tid: int) -> str:
    return Path(f"/proc/{os.getpid()}/task/{tid}/comm").read_text().strip()


def test_threads_follow_the_vcpus() -> None:
    threads = VcpuThreads()
    try:
        first = threads.thread_ids([0, 1])
        assert len(set(first.values())) == 2 and os.getpid() not in first.values()
        assert [comm(first[i]) for i in (0, 1)] == ["CPU 0/TCG", "CPU 1/TCG"]
        # Asking again keeps them; a vCPU gone takes its thread along.
        assert threads.thread_ids([0, 1]) == first
        assert threads.thread_ids([0, 2])[0] == first[0]
        assert not Path(f"/proc/{os.getpid()}/task/{first[1]}").exists()
    finally:
        threads.close()
    assert not Path(f"/proc/{os.getpid()}/task/{first[0]}").exists()
