"""Character devices and yank: query-chardev, query-yank, yank.

QEMU counterparts: chardev/char.c (qmp_query_chardev), util/yank.c
(qmp_query_yank, qmp_yank).  Every socket chardev registers a yank
instance; yanking one drops nothing here, since the connection of a
monitor is the client's own (qmpnuma models no network back end whose
connection could hang).
"""

from __future__ import annotations

from typing import Any

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import DeviceNotFound

__all__ = ["qmp_query_chardev", "qmp_query_yank", "qmp_yank"]

Args = dict[str, Any]

#: qapi/yank.json YankInstanceType
YANK_CHARDEV = "chardev"


def qmp_query_chardev(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    return [
        {"label": c.label, "filename": c.filename, "frontend-open": c.frontend_open}
        for c in ctx.vm.chardevs
    ]


def _yank_instances(ctx: CommandContext) -> list[dict[str, Any]]:
    return [{"type": YANK_CHARDEV, "id": c.label} for c in ctx.vm.chardevs if c.socket]


def qmp_query_yank(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    return _yank_instances(ctx)


def qmp_yank(ctx: CommandContext, args: Args) -> None:
    known = _yank_instances(ctx)
    for instance in args["instances"]:
        if instance not in known:
            # util/yank.c qmp_yank: every instance is checked before any is yanked.
            raise DeviceNotFound("Instance not found")
