"""query-qmp-schema entries compared by structure, not by masked type names.

QEMU masks the names of enum, object and alternate types as numbers in the
order first used, so the numbers differ between QEMU and qmpnuma (and
between QEMU releases).  What must not differ is what a client finds when it
walks from a command or an event: every type reference is replaced by the
type it names, recursively, keeping member and enum value order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["index", "subtree", "narrowed"]

#: The meta-types whose names are masked (builtins keep their names).
_RESOLVED = ("object", "enum", "array", "alternate")


def index(info: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A query-qmp-schema reply by entity name."""
    return {str(entry["name"]): entry for entry in info}


def subtree(by_name: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    """The command or event ``name`` with its type references resolved."""
    entry = {k: v for k, v in by_name[name].items() if k != "name"}
    for key in ("arg-type", "ret-type"):
        if key in entry:
            entry[key] = _resolve(by_name, entry[key], ())
    return entry


def _resolve(by_name: dict[str, dict[str, Any]], name: str, path: tuple[str, ...]) -> Any:
    """The type ``name`` with its references resolved; ``path`` is the walk so far.

    A type that contains itself (SchemaInfo's and block-core's recursive
    unions) stands for itself as its position on the path, so that trees of
    the same shape compare equal whatever the names.
    """
    entry = by_name.get(name)
    if entry is None or entry["meta-type"] not in _RESOLVED:
        return name
    if name in path:
        return {"recursion": path.index(name)}
    inner = (*path, name)
    out: dict[str, Any] = {}
    for key, value in entry.items():
        if key == "name":
            continue
        if key == "element-type":
            out[key] = _resolve(by_name, value, inner)
        elif key == "members" and entry["meta-type"] in ("object", "alternate"):
            out[key] = [{**m, "type": _resolve(by_name, m["type"], inner)} for m in value]
        elif key == "variants":
            out[key] = [
                {"case": v["case"], "type": _resolve(by_name, v["type"], inner)} for v in value
            ]
        else:
            out[key] = value
    return out


def narrowed(theirs: Any, ours: Any, members: bool = True) -> Any:
    """``theirs`` cut down to the variants and enum values ``ours`` has.

    For the entries qmpnuma declares as a deliberate subset of QEMU's (the
    object types it creates, the block nodes it never has): what it keeps
    must still be QEMU's, in QEMU's order.  Object members are cut down too
    unless ``members`` is false.
    """
    if not (isinstance(theirs, dict) and isinstance(ours, dict)):
        return theirs
    out = dict(theirs)
    if "values" in theirs and "values" in ours:
        out["values"] = [v for v in theirs["values"] if v in ours["values"]]
    for key, ident in (("members", "name"), ("variants", "case")):
        if key in theirs and key in ours:
            kept = {entry.get(ident): entry for entry in ours[key]}
            keep_all = key == "members" and not members and theirs["meta-type"] == "object"
            out[key] = [
                _narrowed_entry(entry, kept[entry.get(ident)], members)
                if entry.get(ident) in kept
                else entry
                for entry in theirs[key]
                if keep_all or entry.get(ident) in kept
            ]
    for key in ("arg-type", "ret-type", "element-type"):
        if key in theirs and key in ours:
            out[key] = narrowed(theirs[key], ours[key], members)
    return out


def _narrowed_entry(theirs: dict[str, Any], ours: dict[str, Any], members: bool) -> dict[str, Any]:
    if "type" in theirs and "type" in ours:
        return {**theirs, "type": narrowed(theirs["type"], ours["type"], members)}
    return theirs
