"""The emulator's machine and CPU catalogue: query-machines, query-target, query-kvm,
query-cpu-definitions, query-cpu-model-expansion.

QEMU counterparts: hw/core/machine-qmp-cmds.c (qmp_query_machines,
qmp_query_target), monitor/qmp-cmds.c (qmp_query_kvm), target/i386/cpu.c
(qmp_query_cpu_definitions, qmp_query_cpu_model_expansion).  These are facts
about the binary, recorded from the profile's QEMU (qmpnuma.facts) and restricted to
the machine types and CPU models that qmpnuma models.
"""

from __future__ import annotations

from typing import Any

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import GenericError
from qmpnuma.facts import qemu_facts
from qmpnuma.machine.cpu_models import x86_cpu_models
from qmpnuma.machine.machine_types import machine_classes

__all__ = [
    "qmp_query_machines",
    "qmp_query_target",
    "qmp_query_kvm",
    "qmp_query_cpu_definitions",
    "qmp_query_cpu_model_expansion",
]

Args = dict[str, Any]


def qmp_query_machines(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    names = {mc.name for mc in machine_classes(ctx.vm.machine.profile)}
    facts = qemu_facts(ctx.vm.machine.profile)
    infos = [dict(info) for info in facts.machines if info["name"] in names]
    if args.get("compat-props"):
        # Only a release that has the argument (10.0) gets here.
        for info in infos:
            info["compat-props"] = [dict(p) for p in facts.machine_compat_props[info["name"]]]
    return infos


def qmp_query_target(ctx: CommandContext, args: Args) -> dict[str, Any]:
    return dict(qemu_facts(ctx.vm.machine.profile).replies["query-target"]["return"])


def qmp_query_kvm(ctx: CommandContext, args: Args) -> dict[str, Any]:
    # ``present`` is a property of the binary; qmpnuma always runs as TCG,
    # so KVM is never enabled.
    present = qemu_facts(ctx.vm.machine.profile).replies["query-kvm"]["return"]["present"]
    return {"enabled": False, "present": present}


def qmp_query_cpu_definitions(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    facts = qemu_facts(ctx.vm.machine.profile)
    models = x86_cpu_models(ctx.vm.machine.profile)
    return [dict(info) for info in facts.cpu_definitions if info["name"] in models]


def qmp_query_cpu_model_expansion(ctx: CommandContext, args: Args) -> dict[str, Any]:
    name = args["model"]["name"]
    if name not in x86_cpu_models(ctx.vm.machine.profile):
        # target/i386/cpu.c x86_cpu_class_from_model_name's caller
        raise GenericError(f"CPU model '{name}' not found")
    facts = qemu_facts(ctx.vm.machine.profile)
    for recorded, reply in facts.cpu_model_expansions:
        if recorded == args:
            if "error" in reply:
                raise GenericError(reply["error"]["desc"])
            return dict(reply["return"])
    recorded_names = sorted({a["model"]["name"] for a, _ in facts.cpu_model_expansions})
    major, minor, _ = ctx.vm.machine.profile.version
    raise GenericError(
        f"qmpnuma knows the expansions of CPU models {', '.join(recorded_names)} only, "
        f"as QEMU {major}.{minor} gave them (scripts/record-qemu-facts)"
    )
