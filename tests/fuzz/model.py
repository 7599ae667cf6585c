"""A full snapshot of the model, for "a refused command changes nothing".

Everything a client can observe: every query that takes no arguments, the
HMP info commands, the whole QOM tree with every property value, and the
RAM blocks.
"""

from __future__ import annotations

import json

from qmpnuma.commands.context import CommandContext
from qmpnuma.commands.qom import qom_tree
from qmpnuma.errors import QMPError
from qmpnuma.qapi.dispatch import Dispatcher

__all__ = ["snapshot"]

#: Replies that never depend on the model.
_CONSTANT = {"query-qmp-schema", "query-commands", "query-version"}
_HMP_INFO = ("info numa", "info memdev", "info hotpluggable-cpus", "info memory-devices",
             "info memory_size_summary", "info status", "info name")


def _call(
    dispatcher: Dispatcher, ctx: CommandContext, name: str, args: dict[str, object]
) -> object:
    try:
        return dispatcher.dispatch(name, args, ctx, oob=False, negotiating=False)
    except QMPError as err:
        return ["error", err.error_class, err.desc]


def snapshot(dispatcher: Dispatcher, ctx: CommandContext) -> str:
    state: dict[str, object] = {}
    for name in dispatcher.schema.commands:
        if "query" in name and name not in _CONSTANT:
            state[name] = _call(dispatcher, ctx, name, {})
    for line in _HMP_INFO:
        state[line] = _call(dispatcher, ctx, "human-monitor-command", {"command-line": line})
    tree: dict[str, object] = {}
    for path, node in qom_tree(ctx.vm.machine).items():
        values: dict[str, object] = {}
        for prop, _ in node.properties:
            try:
                values[prop] = node.get(prop)
            except (KeyError, QMPError):
                values[prop] = None
        tree[path] = [node.qom_type, node.properties, values]
    state["qom"] = tree
    state["ram-blocks"] = repr(ctx.vm.machine.ram_list.blocks)
    state["runstate"] = repr(ctx.vm.runstate)
    return json.dumps(state, sort_keys=True, default=repr)
