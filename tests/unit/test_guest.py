"""The scripted guest (qmpnuma/machine/guest.py): what it does, in which order."""

from __future__ import annotations

import io

import pytest

from qmpnuma.cli.driver import CliReporter, configure
from qmpnuma.commands.context import CommandContext
from qmpnuma.commands.control import qmp_cont, qmp_system_powerdown
from qmpnuma.commands.machine import qmp_query_cpus_fast
from qmpnuma.commands.memory import qmp_query_memory_devices
from qmpnuma.commands.qdev import qmp_device_add, qmp_device_del
from qmpnuma.commands.qom import qmp_qom_set
from qmpnuma.errors import GenericError
from qmpnuma.machine.guest import GuestMode, ScriptedGuest
from qmpnuma.profile import QEMU_7_2, QEMU_10_0, Profile
from tests.unit.contexts import command_context

MiB = 1 << 20


def started(guest: bool = True, profile: Profile = QEMU_7_2) -> CommandContext:
    """libvirt's domain: 2 of 4 CPUs on two nodes, slots for memory, -S, cont."""
    argv = [
        "-nodefaults", "-S", "-m", "1G,slots=4,maxmem=4G", "-smp", "2,maxcpus=4,sockets=4",
        "-object", "memory-backend-ram,id=m0,size=512M",
        "-object", "memory-backend-ram,id=m1,size=512M",
        "-numa", "node,nodeid=0,cpus=0-1,memdev=m0", "-numa", "node,nodeid=1,cpus=2-3,memdev=m1",
    ]  # fmt: skip
    config = configure(argv, profile, CliReporter("qmpnuma", io.StringIO()))
    ctx = command_context(config.machine)
    if guest:
        ctx.vm.guest = ScriptedGuest()
    return ctx


def command(ctx: CommandContext, handler: object, args: dict[str, object]) -> list[object]:
    """One QMP command as the server runs it: the handler, then the guest."""
    assert callable(handler)
    handler(ctx, args)
    ctx.vm.run_guest()
    return ctx.vm.drain_events()


def test_cli_modes() -> None:
    assert [m.value for m in GuestMode] == ["silent", "scripted"]
    with pytest.raises(Exception, match="unknown guest mode 'chatty'"):
        configure(["-qmpnuma-guest", "chatty"], QEMU_7_2, CliReporter("q", io.StringIO()))


def test_dimm_unplug_is_granted() -> None:
    ctx = started()
    command(ctx, qmp_cont, {})
    ctx.vm.machine.object_add("memory-backend-ram", {"id": "memdimm0", "size": 256 * MiB})
    command(ctx, qmp_device_add, {"driver": "pc-dimm", "id": "dimm0", "memdev": "memdimm0",
                                  "node": 1})  # fmt: skip
    events = command(ctx, qmp_device_del, {"id": "dimm0"})
    assert events == [
        ("DEVICE_DELETED", {"device": "dimm0", "path": "/machine/peripheral/dimm0"}),
        ("ACPI_DEVICE_OST", {"info": {"slot": "0", "slot-type": "DIMM", "source": 3,
                                      "status": 0}}),
    ]  # fmt: skip
    assert qmp_query_memory_devices(ctx, {}) == []
    # The slot and the address are free again: the next DIMM takes them.
    ctx.vm.machine.object_add("memory-backend-ram", {"id": "memdimm1", "size": 256 * MiB})
    command(ctx, qmp_device_add, {"driver": "pc-dimm", "id": "dimm1", "memdev": "memdimm1"})
    (dimm,) = qmp_query_memory_devices(ctx, {})  # type: ignore[misc]
    assert dimm["data"]["slot"] == 0 and dimm["data"]["addr"] == 4 << 30


def test_silent_guest_and_paused_guest_do_nothing() -> None:
    silent = started(guest=False)
    command(silent, qmp_cont, {})
    silent.vm.machine.object_add("memory-backend-ram", {"id": "d", "size": 256 * MiB})
    command(silent, qmp_device_add, {"driver": "pc-dimm", "id": "dimm0", "memdev": "d"})
    assert command(silent, qmp_device_del, {"id": "dimm0"}) == []
    paused = started()
    paused.vm.machine.object_add("memory-backend-ram", {"id": "d", "size": 256 * MiB})
    command(paused, qmp_device_add, {"driver": "pc-dimm", "id": "dimm0", "memdev": "d"})
    assert command(paused, qmp_device_del, {"id": "dimm0"}) == []
    # Once running, the guest handles what is pending.
    assert [e[0] for e in command(paused, qmp_cont, {})] == [
        "RESUME", "DEVICE_DELETED", "ACPI_DEVICE_OST",
    ]  # fmt: skip


def test_cpu_unplug_needs_the_booted_guest() -> None:
    silent = started(guest=False)
    command(silent, qmp_cont, {})
    command(silent, qmp_device_add, {"driver": "qemu64-x86_64-cpu", "id": "vcpu2",
                                     "socket-id": 2, "core-id": 0, "thread-id": 0})  # fmt: skip
    # Without a guest, PIIX4's CPU hotplug stays in legacy mode.
    with pytest.raises(GenericError, match="not supported device type: qemu64-x86_64-cpu"):
        qmp_device_del(silent, {"id": "vcpu2"})
    ctx = started()
    command(ctx, qmp_cont, {})
    command(ctx, qmp_device_add, {"driver": "qemu64-x86_64-cpu", "id": "vcpu2",
                                  "socket-id": 2, "core-id": 0, "thread-id": 0})  # fmt: skip
    assert len(qmp_query_cpus_fast(ctx, {})) == 3  # type: ignore[arg-type]
    events = command(ctx, qmp_device_del, {"id": "vcpu2"})
    assert events == [
        ("DEVICE_DELETED", {"device": "vcpu2", "path": "/machine/peripheral/vcpu2"}),
        ("ACPI_DEVICE_OST", {"info": {"slot": "2", "slot-type": "CPU", "source": 3,
                                      "status": 0}}),
    ]  # fmt: skip
    assert len(qmp_query_cpus_fast(ctx, {})) == 2  # type: ignore[arg-type]


def test_virtio_mem_moves_to_the_request_in_blocks() -> None:
    ctx = started()
    command(ctx, qmp_cont, {})
    ctx.vm.machine.object_add("memory-backend-ram", {"id": "vm0", "size": 512 * MiB})
    path = "/machine/peripheral/virtiomem0"
    events = command(ctx, qmp_device_add, {
        "driver": "virtio-mem-pci", "id": "virtiomem0", "memdev": "vm0", "node": 0,
        "block-size": 2 * MiB, "requested-size": 8 * MiB,
    })  # fmt: skip
    # Four blocks plugged; the monitor's throttle passes the first and last.
    assert events == [
        ("MEMORY_DEVICE_SIZE_CHANGE", {"id": "virtiomem0", "size": 2 * MiB, "qom-path": path}),
        ("MEMORY_DEVICE_SIZE_CHANGE", {"id": "virtiomem0", "size": 8 * MiB, "qom-path": path}),
    ]  # fmt: skip
    events = command(ctx, qmp_qom_set, {"path": path, "property": "requested-size",
                                        "value": 6 * MiB})  # fmt: skip
    assert events == [
        ("MEMORY_DEVICE_SIZE_CHANGE", {"id": "virtiomem0", "size": 6 * MiB, "qom-path": path}),
    ]
    (info,) = qmp_query_memory_devices(ctx, {})  # type: ignore[misc]
    assert info["data"]["size"] == info["data"]["requested-size"] == 6 * MiB


def test_empty_virtio_mem_is_ejected_under_10_0() -> None:
    """hw/virtio/virtio-md-pci.c virtio_md_pci_unplug_request (QEMU 10.0):
    the ACPI PCI hotplug request, which the guest answers by ejecting the
    proxy; its virtio device is deleted first (hw/core/qdev.c device_unparent)."""
    ctx = started(profile=QEMU_10_0)
    command(ctx, qmp_cont, {})
    machine = ctx.vm.machine
    machine.object_add("memory-backend-ram", {"id": "vm0", "size": 512 * MiB})
    path = "/machine/peripheral/virtiomem0"
    args = {"driver": "virtio-mem-pci", "id": "virtiomem0", "memdev": "vm0", "acpi-index": 7}
    command(ctx, qmp_device_add, args)
    events = command(ctx, qmp_device_del, {"id": "virtiomem0"})
    assert events == [
        ("DEVICE_DELETED", {"path": f"{path}/virtio-backend"}),
        ("DEVICE_DELETED", {"device": "virtiomem0", "path": path}),
    ]
    assert qmp_query_memory_devices(ctx, {}) == []
    assert not machine.is_mapped("vm0")
    # Its acpi-index and its backend are free for the next device.
    command(ctx, qmp_device_add, {**args, "id": "virtiomem1"})
    assert len(qmp_query_memory_devices(ctx, {})) == 1


def test_power_button() -> None:
    silent = started(guest=False)
    command(silent, qmp_cont, {})
    assert command(silent, qmp_system_powerdown, {}) == [("POWERDOWN", None)]
    assert silent.vm.running
    ctx = started()
    ctx.vm.no_shutdown = True
    # Pressed while paused: the guest answers once it runs.
    assert command(ctx, qmp_system_powerdown, {}) == [("POWERDOWN", None)]
    assert command(ctx, qmp_cont, {}) == [
        ("RESUME", None),
        ("SHUTDOWN", {"guest": True, "reason": "guest-shutdown"}),
        ("STOP", None),
    ]
    assert ctx.vm.runstate.value == "shutdown" and not ctx.vm.shutdown_requested
    exiting = started()
    command(exiting, qmp_cont, {})
    command(exiting, qmp_system_powerdown, {})
    assert exiting.vm.shutdown_requested
