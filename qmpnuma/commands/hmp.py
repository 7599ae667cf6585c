"""human-monitor-command: the HMP commands a QMP client may run (monitor/hmp.c).

Each HMP command formats what a QMP query returns, as QEMU's do; the text
goes back with ``\\r\\n`` line ends, as QEMU's HMP output does over QMP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from qmpnuma.commands.context import CommandContext
from qmpnuma.commands.control import qmp_cont, qmp_quit, qmp_stop, version_info
from qmpnuma.commands.hmp_info import INFO_COMMANDS as MODEL_INFO_COMMANDS
from qmpnuma.errors import GenericError

__all__ = ["qmp_human_monitor_command", "HmpCommand", "COMMANDS", "INFO_COMMANDS"]

#: Formats a command's output.
HmpHandler = Callable[[CommandContext], str]
#: C isspace() in the C locale (qemu_isspace), which HMP's parser uses.
HMP_SPACE = " \t\n\v\f\r"


@dataclass(frozen=True)
class HmpCommand:
    """One entry of QEMU's hmp-commands*.hx tables; none takes arguments."""

    #: Name and aliases as QEMU spells them: ``cont|c``.
    name: str
    handler: HmpHandler
    #: The subcommands (``info``'s table), tried when more text follows.
    sub_table: tuple[HmpCommand, ...] = ()

    def matches(self, word: str) -> bool:
        return word in self.name.split("|")


def _info_status(ctx: CommandContext) -> str:
    # hmp_info_status: a stopped VM also names its run state.
    status = ctx.vm.runstate.value
    if ctx.vm.running:
        return "VM status: running\n"
    return f"VM status: paused ({status})\n" if status != "paused" else "VM status: paused\n"


def _info_version(ctx: CommandContext) -> str:
    info = version_info(ctx)
    qemu = info["qemu"]
    assert isinstance(qemu, dict)
    return f"{qemu['major']}.{qemu['minor']}.{qemu['micro']}{info['package']}\n"


def _info_name(ctx: CommandContext) -> str:
    return f"{ctx.vm.name}\n" if ctx.vm.name is not None else ""


#: ``info`` subcommands: (name, help line as ``help info`` prints it, formatter).
INFO_COMMANDS: dict[str, tuple[str, HmpHandler]] = {
    "cpus": ("show infos for each CPU", MODEL_INFO_COMMANDS["cpus"]),
    "hotpluggable-cpus": ("Show information about hotpluggable CPUs",
                          MODEL_INFO_COMMANDS["hotpluggable-cpus"]),
    "memdev": ("show memory backends", MODEL_INFO_COMMANDS["memdev"]),
    "memory-devices": ("show memory devices", MODEL_INFO_COMMANDS["memory-devices"]),
    "memory_size_summary": (
        "show the amount of initially allocated and present hotpluggable (if enabled) "
        "memory in bytes.",
        MODEL_INFO_COMMANDS["memory_size_summary"],
    ),
    "name": ("show the current VM name", _info_name),
    "numa": ("show NUMA information", MODEL_INFO_COMMANDS["numa"]),
    "status": ("show the current VM status (running|paused)", _info_status),
    "version": ("show the version of QEMU", _info_version),
}  # fmt: skip


def _info_help(ctx: CommandContext) -> str:
    # ``info`` alone lists its subcommands.
    return "".join(f"info {name}  -- {help}\n" for name, (help, _) in INFO_COMMANDS.items())


def _run_qmp(fn: Callable[[CommandContext, dict[str, Any]], None]) -> HmpHandler:
    def handler(ctx: CommandContext) -> str:
        fn(ctx, {})
        return ""

    return handler


COMMANDS: tuple[HmpCommand, ...] = (
    HmpCommand(
        "info",
        _info_help,
        tuple(HmpCommand(name, fn) for name, (_, fn) in INFO_COMMANDS.items()),
    ),
    HmpCommand("stop|s", _run_qmp(qmp_stop)),
    HmpCommand("cont|c", _run_qmp(qmp_cont)),
    HmpCommand("quit|q", _run_qmp(qmp_quit)),
)


def _skip_space(line: str, pos: int) -> int:
    while pos < len(line) and line[pos] in HMP_SPACE:
        pos += 1
    return pos


def _command_name_end(line: str, start: int) -> int:
    """monitor/hmp.c get_command_name: a name ends at a space or a ``/``."""
    end = start
    while end < len(line) and line[end] != "/" and line[end] not in HMP_SPACE:
        end += 1
    return end


def _run(ctx: CommandContext, command_line: str) -> str:
    """monitor/hmp.c handle_hmp_command for commands without arguments.

    Messages quote the line from its very start, spaces included, as
    QEMU's ``%.*s`` of the command-line pointer does.
    """
    pos = _skip_space(command_line, 0)
    if pos == len(command_line):
        return ""
    table = COMMANDS
    while True:
        # monitor_parse_command, which recurses into a sub-table
        end = _command_name_end(command_line, pos)
        command = next((c for c in table if c.matches(command_line[pos:end])), None)
        if command is None:
            return f"unknown command: '{command_line[:end]}'\n"
        pos = _skip_space(command_line, end)
        if not command.sub_table or pos == len(command_line):
            break
        table = command.sub_table
    if pos < len(command_line):
        # monitor_parse_arguments, then handle_hmp_command's hint
        return (
            f"{command.name}: extraneous characters at the end of line\n"
            f'Try "help {command_line[:pos].rstrip(HMP_SPACE)}" for more information\n'
        )
    return command.handler(ctx)


def _check_cpu_index(ctx: CommandContext, cpu_index: int) -> None:
    # monitor/misc.c: qmp_human_monitor_command passes its int64 to
    # monitor_set_cpu(int), which keeps the low 32 bits; the index must
    # then name an existing vCPU.
    as_int = cpu_index & 0xFFFFFFFF
    as_int -= (1 << 32) if as_int >= 1 << 31 else 0
    present = {slot.index for slot in ctx.vm.machine.present_cpus}
    if as_int not in present:
        raise GenericError("Parameter 'cpu-index' expects a CPU number")


def qmp_human_monitor_command(ctx: CommandContext, args: dict[str, Any]) -> str:
    if "cpu-index" in args:
        _check_cpu_index(ctx, args["cpu-index"])
        ctx = replace(ctx, hmp_cpu_index=args["cpu-index"])
    return _run(ctx, args["command-line"]).replace("\n", "\r\n")
