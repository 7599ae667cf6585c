"""Monitor and run-state commands (QEMU's monitor/qmp-cmds*.c, softmmu/runstate.c)."""

from __future__ import annotations

from typing import Any

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import FatalError, GenericError, QMPError
from qmpnuma.machine.phase import Phase
from qmpnuma.machine.qdev import CliDeviceError

__all__ = [
    "qmp_qmp_capabilities",
    "qmp_query_version",
    "qmp_query_status",
    "qmp_query_name",
    "qmp_stop",
    "qmp_cont",
    "qmp_quit",
    "qmp_system_powerdown",
    "qmp_x_exit_preconfig",
    "qmp_set_numa_node",
    "version_info",
]

Args = dict[str, Any]


def qmp_qmp_capabilities(ctx: CommandContext, args: Args) -> None:
    # The monitor owns the negotiation state, and refuses a second one.
    ctx.monitor.enable_capabilities(args.get("enable", []))


def version_info(ctx: CommandContext) -> dict[str, object]:
    """VersionInfo, shared by query-version and the greeting's shape."""
    major, minor, micro = ctx.vm.machine.profile.version
    return {
        "qemu": {"major": major, "minor": minor, "micro": micro},
        "package": ctx.vm.machine.profile.package,
    }


def qmp_query_version(ctx: CommandContext, args: Args) -> dict[str, object]:
    return version_info(ctx)


def qmp_query_status(ctx: CommandContext, args: Args) -> dict[str, object]:
    # 'singlestep' (7.2 only) is never true here: nothing is ever stepped.
    values = {"running": ctx.vm.running, "singlestep": False, "status": ctx.vm.runstate.value}
    return {key: values[key] for key in ctx.vm.machine.profile.status_info_members}


def qmp_query_name(ctx: CommandContext, args: Args) -> dict[str, object]:
    return {} if ctx.vm.name is None else {"name": ctx.vm.name}


def qmp_stop(ctx: CommandContext, args: Args) -> None:
    ctx.vm.vm_stop()


def qmp_cont(ctx: CommandContext, args: Args) -> None:
    ctx.vm.vm_start()


def qmp_system_powerdown(ctx: CommandContext, args: Args) -> None:
    # softmmu/runstate.c qemu_system_powerdown_request: POWERDOWN, then the
    # ACPI power button, which only a guest answers.
    ctx.vm.system_powerdown()


def qmp_quit(ctx: CommandContext, args: Args) -> None:
    ctx.vm.request_shutdown("host-qmp-quit")


def qmp_x_exit_preconfig(ctx: CommandContext, args: Args) -> None:
    """Build the machine that --preconfig held back (softmmu/vl.c).

    QEMU treats a configuration it cannot complete as fatal: it prints the
    error and exits inside the command, without a reply.
    """
    machine = ctx.vm.machine
    if machine.phase >= Phase.MACHINE_INITIALIZED:
        raise GenericError("The command is permitted only before machine initialization")
    try:
        machine.create(ctx.reporter)
    except QMPError as err:
        raise FatalError(err.desc) from err
    except CliDeviceError as err:
        # QEMU reports a -device failure at the option's location.
        raise FatalError(f"{err.location}: {err.error.desc}") from err
    if ctx.vm.autostart:
        ctx.vm.vm_start()


def qmp_set_numa_node(ctx: CommandContext, args: Args) -> None:
    """hw/core/numa.c qmp_set_numa_node: the same code path as -numa."""
    machine = ctx.vm.machine
    if machine.phase >= Phase.MACHINE_INITIALIZED:
        raise GenericError("The command is permitted only before the machine has been created")
    machine.set_numa_options(args, ctx.reporter)
