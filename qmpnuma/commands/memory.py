"""Memory query commands (qapi/machine.json, qapi/acpi.json).

QEMU counterparts (7.2): hw/core/machine-qmp-cmds.c (qmp_query_memdev),
hw/mem/memory-device.c via qmp_query_memory_devices and
qmp_query_memory_size_summary (monitor/qmp-cmds.c), and
hw/acpi/acpi-qmp-cmds.c qmp_query_acpi_ospm_status with the memory-hotplug
slot list of hw/acpi/memory_hotplug.c.
"""

from __future__ import annotations

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import GenericError
from qmpnuma.machine.backends import MemoryBackend
from qmpnuma.machine.memory_device import get_plugged_memory_size, qmp_memory_device_list
from qmpnuma.machine.pc_dimm import dimm_acpi_slots

__all__ = [
    "qmp_query_memdev",
    "qmp_query_memory_size_summary",
    "qmp_query_memory_devices",
    "qmp_query_acpi_ospm_status",
    "memdev_info",
]


def memdev_info(backend: MemoryBackend) -> dict[str, object]:
    """One Memdev, in schema member order."""
    return {
        "id": backend.id,
        "size": backend.size,
        "merge": backend.merge,
        "dump": backend.dump,
        "prealloc": backend.prealloc,
        "share": backend.share,
        # Present whenever the host supports MAP_NORESERVE (Linux: always).
        "reserve": backend.reserve,
        "host-nodes": list(backend.host_nodes),
        "policy": backend.policy,
    }


def qmp_query_memdev(ctx: CommandContext, args: dict[str, object]) -> object:
    """Every memory backend under /objects.

    QEMU walks the children and prepends each to the list, so the reply is
    the reverse of QOM's iteration order.
    """
    return [memdev_info(backend) for backend in reversed(ctx.vm.machine.backends)]


def qmp_query_memory_size_summary(ctx: CommandContext, args: dict[str, object]) -> object:
    # plugged-memory is reported whenever memory devices are built in (always).
    machine = ctx.vm.machine
    return {"base-memory": machine.ram_size, "plugged-memory": get_plugged_memory_size(machine)}


def qmp_query_memory_devices(ctx: CommandContext, args: dict[str, object]) -> object:
    return qmp_memory_device_list(ctx.vm.machine)


def qmp_query_acpi_ospm_status(ctx: CommandContext, args: dict[str, object]) -> object:
    """The ACPI OST status of every DIMM slot (all empty, status 0).

    Raises:
        GenericError: the machine has no ACPI device (``none``, pc with acpi=off).
    """
    machine = ctx.vm.machine
    if not machine.has_acpi_device:
        raise GenericError("command is not supported, missing ACPI device")
    # acpi_memory_hotplug_init makes one ACPI slot per -m slots; the guest
    # never sends _OST, so source and status stay 0.
    devices = dimm_acpi_slots(machine)
    result: list[dict[str, object]] = []
    for slot in range(machine.ram_slots):
        info: dict[str, object] = {}
        ident = devices[slot].id if slot in devices else None
        if ident is not None:
            info["device"] = ident
        info.update({"slot": str(slot), "slot-type": "DIMM", "source": 0, "status": 0})
        result.append(info)
    return result
