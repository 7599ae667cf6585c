"""query-qmp-schema and query-commands, derived from the loaded schema.

QEMU's counterparts: scripts/qapi/introspect.py, which generates the
SchemaInfo list at build time, and monitor/qmp-cmds-control.c
(qmp_query_qmp_schema, qmp_query_commands).

The SchemaInfo list is built the way QEMU's generator builds it, so that
its shape matches QEMU's entry for entry:

* commands and events first, in definition order; then the types they
  use, in the order first used (breadth-first over a work list), each
  listed once;
* every integer type (and ``size``) shows as ``int``, an array of them as
  ``[int]``;
* names of enum, object and alternate types are masked as decimal
  strings, numbered in the order first used ("Clients should examine
  commands and events, not types");
* a command without arguments or without a return value refers to the
  empty object type.

The masked numbers differ from QEMU's (our schema is a subset of its),
but clients that walk from a command (libvirt's
``set-numa-node/arg-type/+hmat-lb``) find what they find on QEMU.
"""

from __future__ import annotations

import copy
import functools
from typing import TYPE_CHECKING

from qmpnuma.qapi.schema import (
    EMPTY_OBJECT,
    AlternateType,
    ArrayType,
    BuiltinType,
    Command,
    EnumType,
    Event,
    ObjectType,
    Schema,
    SchemaType,
)

if TYPE_CHECKING:
    from qmpnuma.commands.context import CommandContext

__all__ = [
    "schema_info",
    "command_names",
    "qmp_query_qmp_schema",
    "qmp_query_commands",
]

#: What every integer type collapses to (introspect.py _use_type).
_INT = "int"

SchemaInfo = dict[str, object]


class _Introspector:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.masked: dict[str, str] = {}
        self.used: list[SchemaType] = []
        self.trees: list[SchemaInfo] = []

    def mask(self, name: str) -> str:
        return self.masked.setdefault(name, str(len(self.masked)))

    def use_type(self, name: str) -> str:
        """Queue type ``name`` for listing and return how it is referred to."""
        typ = self.schema.lookup_type(name)
        if isinstance(typ, BuiltinType) and typ.json_type == "int":
            typ = self.schema.lookup_type(_INT)
        elif isinstance(typ, ArrayType):
            element = self.schema.lookup_type(typ.element)
            if isinstance(element, BuiltinType) and element.json_type == "int":
                typ = ArrayType(_INT + "List", _INT)
        if typ not in self.used:
            self.used.append(typ)
        if isinstance(typ, BuiltinType):
            return typ.name
        if isinstance(typ, ArrayType):
            return "[" + self.use_type(typ.element) + "]"
        return self.mask(typ.name)

    def tree(self, name: str, meta_type: str, info: SchemaInfo, features: tuple[str, ...]) -> None:
        if meta_type not in ("command", "event", "builtin", "array"):
            name = self.mask(name)
        info["name"] = name
        info["meta-type"] = meta_type
        if features:
            info["features"] = list(features)
        self.trees.append(info)

    def command(self, cmd: Command) -> None:
        info: SchemaInfo = {
            "arg-type": self.use_type(cmd.arg_type or EMPTY_OBJECT),
            "ret-type": self.use_type(cmd.ret_type or EMPTY_OBJECT),
        }
        if cmd.allow_oob:
            info["allow-oob"] = True
        self.tree(cmd.name, "command", info, cmd.features)

    def event(self, event: Event) -> None:
        info: SchemaInfo = {"arg-type": self.use_type(event.arg_type or EMPTY_OBJECT)}
        self.tree(event.name, "event", info, event.features)

    def member(self, name: str, typ: str, optional: bool, features: tuple[str, ...]) -> SchemaInfo:
        info: SchemaInfo = {"name": name, "type": self.use_type(typ)}
        if optional:
            # QEMU lists no default values: null means "optional".
            info["default"] = None
        if features:
            info["features"] = list(features)
        return info

    def type_tree(self, typ: SchemaType) -> None:
        if isinstance(typ, BuiltinType):
            self.tree(typ.name, "builtin", {"json-type": typ.json_type}, ())
        elif isinstance(typ, ArrayType):
            element = self.use_type(typ.element)
            self.tree("[" + element + "]", "array", {"element-type": element}, ())
        elif isinstance(typ, EnumType):
            members: list[SchemaInfo] = []
            for value in typ.values:
                member: SchemaInfo = {"name": value}
                if typ.value_features.get(value):
                    member["features"] = list(typ.value_features[value])
                members.append(member)
            self.tree(
                typ.name, "enum", {"members": members, "values": list(typ.values)}, typ.features
            )
        elif isinstance(typ, ObjectType):
            info: SchemaInfo = {
                "members": [
                    self.member(m.name, m.type, m.optional, m.features) for m in typ.members
                ]
            }
            if typ.tag is not None:
                info["tag"] = typ.tag
                info["variants"] = [
                    {"case": case, "type": self.use_type(variant)} for case, variant in typ.variants
                ]
            self.tree(typ.name, "object", info, typ.features)
        else:
            self.alternate(typ)

    def alternate(self, typ: AlternateType) -> None:
        members: list[SchemaInfo] = [{"type": self.use_type(t)} for _, t in typ.alternatives]
        self.tree(typ.name, "alternate", {"members": members}, typ.features)

    def run(self) -> list[SchemaInfo]:
        for entity in self.schema.entities:
            if isinstance(entity, Command):
                self.command(entity)
            else:
                self.event(entity)
        # The work list grows while it is walked, as in QEMU's visit_end().
        i = 0
        while i < len(self.used):
            self.type_tree(self.used[i])
            i += 1
        return self.trees


@functools.lru_cache(maxsize=8)
def _schema_info_cached(schema: Schema) -> tuple[SchemaInfo, ...]:
    return tuple(_Introspector(schema).run())


def schema_info(schema: Schema) -> list[SchemaInfo]:
    """The ``query-qmp-schema`` reply for ``schema`` (a fresh copy each call)."""
    return copy.deepcopy(list(_schema_info_cached(schema)))


def command_names(schema: Schema) -> list[str]:
    """Command names in QEMU's query-commands order.

    QEMU registers the commands in schema order and qmp_query_commands()
    prepends each to its reply, so the reply is in reverse schema order.
    """
    return list(reversed(list(schema.commands)))


def qmp_query_qmp_schema(
    ctx: CommandContext, args: dict[str, object], *, schema: Schema
) -> list[SchemaInfo]:
    """query-qmp-schema; the dispatcher binds ``schema``.

    The shared entries themselves, not copies: a reply is only ever written
    out, and a deep copy cost more than writing it.
    """
    return list(_schema_info_cached(schema))


def qmp_query_commands(
    ctx: CommandContext, args: dict[str, object], *, schema: Schema
) -> list[dict[str, object]]:
    """query-commands; the dispatcher binds ``schema``."""
    return [{"name": name} for name in command_names(schema)]
