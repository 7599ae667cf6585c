"""HMP ``info`` commands about NUMA and memory, as text.

QEMU counterparts (7.2): hmp-commands-info.hx (``info numa`` is
qmp_x_query_numa's text), hw/core/machine-hmp-cmds.c
(hmp_info_cpus, hmp_hotpluggable_cpus, hmp_info_memdev) and monitor/hmp-cmds.c
(hmp_info_memory_devices, hmp_info_memory_size_summary).  Each function
formats the matching QMP command's result, as QEMU does; lines end in
``\\n`` and the human-monitor-command handler converts them to ``\\r\\n``.
"""

from __future__ import annotations

from collections.abc import Callable

from qmpnuma.commands.context import CommandContext
from qmpnuma.commands.machine import (
    numa_text,
    qmp_query_cpus_fast,
    qmp_query_hotpluggable_cpus,
)
from qmpnuma.commands.memory import (
    qmp_query_memdev,
    qmp_query_memory_devices,
    qmp_query_memory_size_summary,
)
from qmpnuma.errors import QMPError
from qmpnuma.machine.topology import INSTANCE_ID_KEYS

__all__ = [
    "hmp_info_cpus",
    "hmp_info_numa",
    "hmp_info_memdev",
    "hmp_info_hotpluggable_cpus",
    "hmp_info_memory_devices",
    "hmp_info_memory_size_summary",
    "INFO_COMMANDS",
]

#: CpuInstanceProperties printed by ``info hotpluggable-cpus``, in order
#: (drawer-id, book-id and module-id: 10.0, whose slots alone carry them).
_CPU_PROP_KEYS = ("node-id", *INSTANCE_ID_KEYS)


def _error(err: QMPError) -> str:
    # monitor/hmp.c hmp_handle_error
    return f"Error: {err.desc}\n"


def _bool(value: object) -> str:
    return "true" if value else "false"


def _uint16_list(values: list[int]) -> str:
    """qapi/string-output-visitor.c: a sorted list with runs as ``a-b``."""
    runs: list[list[int]] = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def hmp_info_cpus(ctx: CommandContext) -> str:
    """One line per CPU in CPU_FOREACH order; ``*`` marks the monitor's CPU."""
    cpus = qmp_query_cpus_fast(ctx, {})
    assert isinstance(cpus, list)
    current = ctx.hmp_cpu_index
    if current is None and cpus:
        # monitor/misc.c mon_get_cpu_sync: a new monitor takes first_cpu.
        current = cpus[0]["cpu-index"]
    return "".join(
        f"{'*' if cpu['cpu-index'] == current else ' '} CPU #{cpu['cpu-index']}: "
        f"thread_id={cpu['thread-id']}\n"
        for cpu in cpus
    )


def hmp_info_numa(ctx: CommandContext) -> str:
    return numa_text(ctx.vm.machine)


def hmp_info_memdev(ctx: CommandContext) -> str:
    out = []
    memdevs = qmp_query_memdev(ctx, {})
    assert isinstance(memdevs, list)
    for m in memdevs:
        out.append(f"memory backend: {m['id']}\n")
        out.append(f"  size:  {m['size']}\n")
        for key in ("merge", "dump", "prealloc", "share", "reserve"):
            if key in m:
                out.append(f"  {key}: {_bool(m[key])}\n")
        out.append(f"  policy: {m['policy']}\n")
        out.append(f"  host nodes: {_uint16_list(m['host-nodes'])}\n")
    out.append("\n")
    return "".join(out)


def hmp_info_hotpluggable_cpus(ctx: CommandContext) -> str:
    try:
        cpus = qmp_query_hotpluggable_cpus(ctx, {})
    except QMPError as err:
        return _error(err)
    assert isinstance(cpus, list)
    out = ["Hotpluggable CPUs:\n"]
    for cpu in cpus:
        out.append(f'  type: "{cpu["type"]}"\n')
        out.append(f'  vcpus_count: "{cpu["vcpus-count"]}"\n')
        if "qom-path" in cpu:
            out.append(f'  qom_path: "{cpu["qom-path"]}"\n')
        out.append("  CPUInstance Properties:\n")
        props = cpu["props"]
        out.extend(f'    {key}: "{props[key]}"\n' for key in _CPU_PROP_KEYS if key in props)
    return "".join(out)


def _hex(value: object) -> str:
    return f"0x{value:x}"


def _dec(value: object) -> str:
    return str(value)


#: monitor/hmp-cmds.c hmp_info_memory_devices: the lines of each kind.
_MEMORY_DEVICE_LINES: dict[str, tuple[tuple[str, Callable[[object], str]], ...]] = {
    "dimm": (
        ("addr", _hex), ("slot", _dec), ("node", _dec),
        ("size", _dec), ("memdev", _dec),
        ("hotplugged", _bool), ("hotpluggable", _bool),
    ),
    "virtio-pmem": (("memaddr", _hex), ("size", _dec), ("memdev", _dec)),
    "virtio-mem": (
        ("memaddr", _hex), ("node", _dec),
        ("requested-size", _dec), ("size", _dec),
        ("max-size", _dec), ("block-size", _dec),
        ("memdev", _dec),
    ),
}  # fmt: skip
_MEMORY_DEVICE_LINES["nvdimm"] = _MEMORY_DEVICE_LINES["dimm"]


def hmp_info_memory_devices(ctx: CommandContext) -> str:
    devices = qmp_query_memory_devices(ctx, {})
    assert isinstance(devices, list)
    out = []
    for device in devices:
        data = device["data"]
        out.append(f'Memory device [{device["type"]}]: "{data.get("id", "")}"\n')
        out.extend(
            f"  {key}: {fmt(data[key])}\n" for key, fmt in _MEMORY_DEVICE_LINES[device["type"]]
        )
    return "".join(out)


def hmp_info_memory_size_summary(ctx: CommandContext) -> str:
    info = qmp_query_memory_size_summary(ctx, {})
    assert isinstance(info, dict)
    out = f"base memory: {info['base-memory']}\n"
    if "plugged-memory" in info:
        out += f"plugged memory: {info['plugged-memory']}\n"
    return out


#: ``info <name>`` handlers for human-monitor-command.
INFO_COMMANDS: dict[str, Callable[[CommandContext], str]] = {
    "cpus": hmp_info_cpus,
    "numa": hmp_info_numa,
    "memdev": hmp_info_memdev,
    "hotpluggable-cpus": hmp_info_hotpluggable_cpus,
    "memory-devices": hmp_info_memory_devices,
    "memory_size_summary": hmp_info_memory_size_summary,
}
