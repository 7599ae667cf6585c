"""Migration capabilities and the out-of-band recovery commands.

QEMU counterparts: migration/migration.c (qmp_query_migrate_capabilities,
qmp_migrate_set_capabilities, qmp_migrate_recover, qmp_migrate_pause).
qmpnuma never migrates: the capabilities are a table the VM keeps (the list
of names is the profile's QEMU's, recorded), and the recovery commands answer as QEMU
answers on a machine that is not migrating, so that ``exec-oob`` reaches a
real command.
"""

from __future__ import annotations

from typing import Any

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import GenericError
from qmpnuma.facts import qemu_facts

__all__ = [
    "qmp_query_migrate_capabilities",
    "qmp_migrate_set_capabilities",
    "qmp_migrate_recover",
    "qmp_migrate_pause",
]

Args = dict[str, Any]


def _capability_names(ctx: CommandContext) -> list[str]:
    reply = qemu_facts(ctx.vm.machine.profile).replies["query-migrate-capabilities"]
    return [c["capability"] for c in reply["return"]]


def qmp_query_migrate_capabilities(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    enabled = ctx.vm.migration_capabilities
    return [{"capability": name, "state": name in enabled} for name in _capability_names(ctx)]


def qmp_migrate_set_capabilities(ctx: CommandContext, args: Args) -> None:
    # migrate_caps_check's rules between capabilities concern a migration,
    # which never starts here; the states are only remembered.
    changes = {c["capability"]: c["state"] for c in args["capabilities"]}
    enabled = ctx.vm.migration_capabilities
    ctx.vm.migration_capabilities = frozenset(
        name for name in _capability_names(ctx) if changes.get(name, name in enabled)
    )


def qmp_migrate_recover(ctx: CommandContext, args: Args) -> None:
    # migration/migration.c qmp_migrate_recover
    raise GenericError("Migrate recover can only be run when postcopy is paused.")


def qmp_migrate_pause(ctx: CommandContext, args: Args) -> None:
    raise GenericError(ctx.vm.machine.profile.migrate_pause_error)
