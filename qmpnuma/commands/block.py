"""query-block and query-named-block-nodes (QEMU's block/qapi.c, block.c).

qmpnuma models no drive and no block node (-drive and -blockdev are
refused), so both lists are empty, as on a QEMU started with
-nodefaults and no disk.  libvirt reads both at every domain start.
"""

from __future__ import annotations

from typing import Any

from qmpnuma.commands.context import CommandContext

__all__ = ["qmp_query_block", "qmp_query_named_block_nodes"]

Args = dict[str, Any]


def qmp_query_block(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    return []


def qmp_query_named_block_nodes(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    return []
