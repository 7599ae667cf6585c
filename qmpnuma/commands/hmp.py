"""human-monitor-command: the HMP commands a QMP client may run (monitor/hmp.c).

Each HMP command formats what a QMP query returns, as QEMU's do; the text
goes back with ``\\r\\n`` line ends, as QEMU's HMP output does over QMP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qmpnuma.commands.context import CommandContext
from qmpnuma.commands.control import qmp_cont, qmp_quit, qmp_stop, version_info
from qmpnuma.commands.hmp_info import INFO_COMMANDS as MODEL_INFO_COMMANDS
from qmpnuma.errors import GenericError

__all__ = ["qmp_human_monitor_command", "HmpCommand", "COMMANDS", "INFO_COMMANDS"]

#: Formats a command's output from its argument (None: none given).
HmpHandler = Callable[[CommandContext, "str | None"], str]


@dataclass(frozen=True)
class HmpCommand:
    """One entry of QEMU's hmp-commands*.hx tables."""

    #: Name and aliases as QEMU spells them: ``cont|c``.
    name: str
    handler: HmpHandler
    #: Takes one optional word (QEMU's ``s?``); otherwise no argument at all.
    takes_argument: bool = False

    def matches(self, word: str) -> bool:
        return word in self.name.split("|")


def _no_arg(fn: Callable[[CommandContext], str]) -> HmpHandler:
    return lambda ctx, _arg: fn(ctx)


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
INFO_COMMANDS: dict[str, tuple[str, Callable[[CommandContext], str]]] = {
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
}


def _info_help() -> str:
    return "".join(f"info {name}  -- {help}\n" for name, (help, _) in INFO_COMMANDS.items())


def _info(ctx: CommandContext, arg: str | None) -> str:
    if arg is None:
        return _info_help()
    name, _, rest = arg.strip().partition(" ")
    if name not in INFO_COMMANDS:
        return f"unknown command: 'info {name}'\n"
    if rest.strip():
        return _extraneous(name, f"info {name}")
    return INFO_COMMANDS[name][1](ctx)


def _run_qmp(fn: Callable[[CommandContext, dict[str, Any]], None]) -> HmpHandler:
    def handler(ctx: CommandContext, _arg: str | None) -> str:
        fn(ctx, {})
        return ""

    return handler


COMMANDS: tuple[HmpCommand, ...] = (
    HmpCommand("info", _info, takes_argument=True),
    HmpCommand("stop", _run_qmp(qmp_stop)),
    HmpCommand("cont|c", _run_qmp(qmp_cont)),
    HmpCommand("quit|q", _run_qmp(qmp_quit)),
)


def _extraneous(name: str, full_name: str) -> str:
    return (
        f"{name}: extraneous characters at the end of line\n"
        f'Try "help {full_name}" for more information\n'
    )


def _run(ctx: CommandContext, command_line: str) -> str:
    word, _, rest = command_line.strip().partition(" ")
    if not word:
        return ""
    for command in COMMANDS:
        if command.matches(word):
            if command.takes_argument:
                return command.handler(ctx, rest.strip() or None)
            if rest.strip():
                return _extraneous(word, word)
            return command.handler(ctx, None)
    return f"unknown command: '{word}'\n"


def _check_cpu_index(ctx: CommandContext, cpu_index: int) -> None:
    # monitor_set_cpu(): the index must name an existing vCPU.
    present = {slot.index for slot in ctx.vm.machine.present_cpus}
    if cpu_index not in present:
        raise GenericError("Parameter 'cpu-index' expects a CPU number")


def qmp_human_monitor_command(ctx: CommandContext, args: dict[str, Any]) -> str:
    if "cpu-index" in args:
        _check_cpu_index(ctx, args["cpu-index"])
    return _run(ctx, args["command-line"]).replace("\n", "\r\n")
