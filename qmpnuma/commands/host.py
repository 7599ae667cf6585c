"""What the host and the binary offer beyond the machine: TPM, SEV, SGX,
I/O threads, and the command-line option lists.

QEMU counterparts: backends/tpm/tpm.c (qmp_query_tpm_models,
qmp_query_tpm_types), target/i386/sev.c and sgx.c as reached under TCG
(qmp_query_sev_capabilities, qmp_query_sgx_capabilities),
iothread.c (qmp_query_iothreads), util/qemu-config.c
(qmp_query_command_line_options).  The SEV and SGX refusals and the option
lists are the profile's QEMU's, recorded (qmpnuma.facts); the option lists are QEMU's
whole, including options that qmpnuma refuses on its command line.
"""

from __future__ import annotations

from typing import Any

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import GenericError
from qmpnuma.facts import qemu_facts

__all__ = [
    "qmp_query_tpm_models",
    "qmp_query_tpm_types",
    "qmp_query_sev_capabilities",
    "qmp_query_sgx_capabilities",
    "qmp_query_iothreads",
    "qmp_query_command_line_options",
]

Args = dict[str, Any]


def qmp_query_tpm_models(ctx: CommandContext, args: Args) -> list[str]:
    # No TPM is modelled: offering one would make management software put
    # a -tpmdev on the command line that we would refuse.
    return []


def qmp_query_tpm_types(ctx: CommandContext, args: Args) -> list[str]:
    return []


def _recorded_error(ctx: CommandContext, command: str) -> GenericError:
    """The refusal QEMU gives under TCG, as recorded."""
    return GenericError(qemu_facts(ctx.vm.machine.profile).replies[command]["error"]["desc"])


def qmp_query_sev_capabilities(ctx: CommandContext, args: Args) -> None:
    raise _recorded_error(ctx, "query-sev-capabilities")


def qmp_query_sgx_capabilities(ctx: CommandContext, args: Args) -> None:
    raise _recorded_error(ctx, "query-sgx-capabilities")


def qmp_query_iothreads(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    # object-add refuses iothread: there never is one.
    return []


def qmp_query_command_line_options(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    option = args.get("option")
    reply = qemu_facts(ctx.vm.machine.profile).replies["query-command-line-options"]
    infos = [
        dict(info)
        for info in reply["return"]
        if option is None or info["option"] == option
    ]
    if option is not None and not infos:
        # util/qemu-config.c qmp_query_command_line_options
        raise GenericError(f"invalid option name: {option}")
    return infos
