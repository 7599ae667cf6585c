"""x-qmpnuma-query-hmat: the HMAT configuration, which QEMU keeps for ACPI only.

QEMU turns hmat-lb and hmat-cache options into the guest's ACPI HMAT and
offers no query; a test rig without a guest reads them here instead.
"""

from __future__ import annotations

from qmpnuma.commands.context import CommandContext
from qmpnuma.machine.hmat import HmatCache, LbTable, is_latency_type

__all__ = ["qmp_x_qmpnuma_query_hmat"]

def _lb_entries(table: LbTable) -> list[dict[str, object]]:
    member = "latency" if is_latency_type(table.data_type) else "bandwidth"
    return [
        {
            "initiator": entry.initiator,
            "target": entry.target,
            "hierarchy": table.hierarchy,
            "data-type": table.data_type,
            member: entry.data,
        }
        for entry in table.entries
    ]


def _cache(cache: HmatCache) -> dict[str, object]:
    return {
        "node-id": cache.node_id,
        "size": cache.size,
        "level": cache.level,
        "associativity": cache.associativity,
        "policy": cache.policy,
        "line": cache.line,
    }


def qmp_x_qmpnuma_query_hmat(ctx: CommandContext, args: dict[str, object]) -> dict[str, object]:
    numa = ctx.vm.machine.numa
    if numa is None:
        return {"enabled": False, "hmat-lb": [], "hmat-cache": []}
    return {
        "enabled": numa.hmat_enabled,
        "hmat-lb": [entry for table in numa.hmat.lb.values() for entry in _lb_entries(table)],
        "hmat-cache": [_cache(cache) for cache in numa.hmat.caches.values()],
    }
