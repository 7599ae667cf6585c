"""One idle, named host thread per vCPU, as QEMU has.

QEMU runs each vCPU in its own thread and reports its TID in
query-cpus-fast; libvirt pins those threads (``virsh vcpupin``), reads
``/proc/PID/task/TID/stat`` for ``virsh vcpuinfo``, and refuses both when
every vCPU reports the same thread.  qmpnuma runs no guest code, so each
vCPU gets a thread that only waits to be told to end: real, pinnable,
and costing no CPU.  Threads are named as QEMU names them with
``-name debug-threads=on`` (``CPU 0/TCG``).

The machine model asks for thread ids through the VM's VcpuThreadIds
hook; this module is the shell's implementation of it, one instance per
VM (several machines in one process have their own).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["VcpuThreads"]

#: include/uapi/linux/prctl.h PR_SET_NAME; the kernel keeps 15 bytes.
_PR_SET_NAME = 15
_TASK_COMM_LEN = 15


@functools.cache
def _libc() -> ctypes.CDLL | None:
    # find_library runs ldconfig in a subprocess (~5 ms): once per process,
    # not once per vCPU thread.
    libc_name = ctypes.util.find_library("c")
    return None if libc_name is None else ctypes.CDLL(libc_name, use_errno=True)


def _set_thread_name(name: str) -> None:
    """Name the calling thread in /proc (Python's thread names stay in Python)."""
    libc = _libc()
    if libc is not None:
        libc.prctl(_PR_SET_NAME, name.encode()[:_TASK_COMM_LEN], 0, 0, 0)


@dataclass
class _Thread:
    thread: threading.Thread
    stop: threading.Event
    tid: int


@dataclass
class VcpuThreads:
    """The vCPU threads of one VM, started and ended as vCPUs come and go."""

    _threads: dict[int, _Thread] = field(default_factory=dict)

    def thread_ids(self, cpu_indexes: Sequence[int]) -> dict[int, int]:
        """The TID of each present vCPU; threads of vCPUs gone are ended."""
        for index in set(self._threads) - set(cpu_indexes):
            self._end(index)
        for index in cpu_indexes:
            if index not in self._threads:
                self._threads[index] = self._start(index)
        return {index: self._threads[index].tid for index in cpu_indexes}

    def close(self) -> None:
        """End every thread (at exit)."""
        for index in list(self._threads):
            self._end(index)

    @staticmethod
    def _start(index: int) -> _Thread:
        stop = threading.Event()
        started = threading.Event()
        name = f"CPU {index}/TCG"

        def idle() -> None:
            _set_thread_name(name)
            started.set()
            stop.wait()

        thread = threading.Thread(target=idle, name=name, daemon=True)
        thread.start()
        started.wait()
        assert thread.native_id is not None
        return _Thread(thread, stop, thread.native_id)

    def _end(self, index: int) -> None:
        vcpu = self._threads.pop(index)
        vcpu.stop.set()
        vcpu.thread.join()
