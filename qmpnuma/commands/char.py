"""Character devices and yank: query-chardev, query-yank, yank.

QEMU counterparts: chardev/char.c (qmp_query_chardev), util/yank.c
(qmp_query_yank, qmp_yank).  Every socket chardev registers a yank
instance; yanking one drops its current connection, as QEMU shuts the
socket down (a listening chardev then accepts the next client).
"""

from __future__ import annotations

from typing import Any

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import DeviceNotFound
from qmpnuma.hashorder import GStrHashSet

__all__ = ["qmp_query_chardev", "qmp_query_yank", "qmp_yank"]

Args = dict[str, Any]

#: qapi/yank.json YankInstanceType
YANK_CHARDEV = "chardev"
#: qom/object.c: every object's first property.
QOM_TYPE_PROPERTY = "type"


def qmp_query_chardev(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    # chardev/char.c qmp_query_chardev prepends each child of /chardevs as
    # object_child_foreach yields it: the container's property table (its
    # "type" property first, then the chardevs as created), reversed.
    table = GStrHashSet()
    table.add(QOM_TYPE_PROPERTY)
    for chardev in ctx.vm.chardevs:
        table.add(chardev.label)
    by_label = {c.label: c for c in ctx.vm.chardevs}
    return [
        {"label": c.label, "filename": c.filename, "frontend-open": c.frontend_open}
        for c in reversed([by_label[k] for k in table if k in by_label])
    ]


def _yank_instances(ctx: CommandContext) -> list[dict[str, Any]]:
    # util/yank.c: instances in registration order (chardev creation).
    return [{"type": YANK_CHARDEV, "id": c.label} for c in ctx.vm.chardevs if c.socket]


def qmp_query_yank(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    return _yank_instances(ctx)


def qmp_yank(ctx: CommandContext, args: Args) -> None:
    known = _yank_instances(ctx)
    for instance in args["instances"]:
        if instance not in known:
            # util/yank.c qmp_yank: every instance is checked before any is yanked.
            raise DeviceNotFound("Instance not found")
    # Yanking a socket chardev shuts its connection down (char-socket.c
    # char_socket_yank_iochannel); the server drops the peer.
    ctx.vm.yanked += [instance["id"] for instance in args["instances"]]
