"""Machine query commands: CPUs and NUMA (qapi/machine.json).

QEMU counterparts: hw/core/machine-qmp-cmds.c (qmp_query_cpus_fast,
qmp_query_hotpluggable_cpus, qmp_x_query_numa) in 7.2.
"""

from __future__ import annotations

import os

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import GenericError
from qmpnuma.machine.machine import Machine
from qmpnuma.machine.memory_device import query_numa_node_mem
from qmpnuma.machine.topology import CpuSlot

__all__ = [
    "qmp_query_hotpluggable_cpus",
    "qmp_query_cpus_fast",
    "qmp_x_query_numa",
    "numa_text",
    "cpu_thread_ids",
    "SYS_EMU_TARGET",
]

#: SysEmuTarget of qemu-system-x86_64.
SYS_EMU_TARGET = "x86_64"
MiB_SHIFT = 20


def _machine(ctx: CommandContext) -> Machine:
    return ctx.vm.machine


def _props(slot: CpuSlot) -> dict[str, object]:
    # CpuInstanceProperties member order: node-id, socket-id, die-id, ...
    return dict(slot.props)


def qmp_query_hotpluggable_cpus(ctx: CommandContext, args: dict[str, object]) -> object:
    """Every possible CPU, last cpu-index first; ``qom-path`` only when plugged.

    Raises:
        GenericError: the machine has no hotpluggable CPUs (``none``).
    """
    machine = _machine(ctx)
    if not machine.mc.has_hotpluggable_cpus:
        # 7.2: QERR_FEATURE_DISABLED; 10.0 has its own text.
        raise GenericError(machine.profile.no_hotpluggable_cpus_error)
    result: list[object] = []
    for slot in reversed(machine.possible_cpus):
        entry: dict[str, object] = {
            "type": slot.type,
            "vcpus-count": slot.vcpus_count,
            "props": _props(slot),
        }
        if slot.qom_path is not None:
            entry["qom-path"] = slot.qom_path
        result.append(entry)
    return result


def cpu_thread_ids(ctx: CommandContext, cpu_indexes: list[int]) -> dict[int, int]:
    """The host TID of each vCPU: its own idle thread, as QEMU has one per vCPU.

    Management software pins these threads and moves them between cgroups
    (libvirt does at start-up), so the number must be a thread of ours: any
    other would make it act on a stranger's process.  A VM run in-process
    without the shell's threads reports the daemon's main thread.
    """
    if ctx.vm.vcpu_threads is None:
        return dict.fromkeys(cpu_indexes, os.getpid())
    return ctx.vm.vcpu_threads.thread_ids(cpu_indexes)


def qmp_query_cpus_fast(ctx: CommandContext, args: dict[str, object]) -> object:
    """The present CPUs in cpu-index order."""
    result: list[object] = []
    present = _machine(ctx).present_cpus
    tids = cpu_thread_ids(ctx, [slot.index for slot in present])
    for slot in present:
        result.append(
            {
                "cpu-index": slot.index,
                "qom-path": slot.qom_path,
                "thread-id": tids[slot.index],
                "props": _props(slot),
                "target": SYS_EMU_TARGET,
            }
        )
    return result


def numa_text(machine: Machine) -> str:
    """The text of x-query-numa and HMP ``info numa`` (LF line ends)."""
    node_mem = query_numa_node_mem(machine)
    node_cpus: dict[int | None, str] = {}
    for slot in machine.present_cpus:  # one pass: 255 CPUs on 128 nodes
        node_cpus[slot.node_id] = node_cpus.get(slot.node_id, "") + f" {slot.index}"
    lines = [f"{len(node_mem)} nodes"]
    for node_id, (mem, plugged) in enumerate(node_mem):
        cpus = node_cpus.get(node_id, "")
        lines.append(f"node {node_id} cpus:{cpus}")
        lines.append(f"node {node_id} size: {mem >> MiB_SHIFT} MB")
        lines.append(f"node {node_id} plugged: {plugged >> MiB_SHIFT} MB")
    return "".join(line + "\n" for line in lines)


def qmp_x_query_numa(ctx: CommandContext, args: dict[str, object]) -> object:
    return {"human-readable-text": numa_text(_machine(ctx))}
