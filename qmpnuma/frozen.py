"""Command results that never change, so that their wire form is made once.

``query-qmp-schema`` answers the same ~100 KiB on every call.  Its handler
returns one shared :class:`FrozenResult`; the protocol layer encodes the
value the first time and keeps the bytes on the object, so a later call
costs a copy of bytes rather than a walk (or a deep copy) of the tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FrozenResult"]


@dataclass(eq=False)
class FrozenResult:
    """A command result shared by every call; nobody may modify ``value``."""

    #: The QAPI-shaped result.
    value: object
    #: Its encodings, by key of the protocol layer's choosing (the pretty flag).
    encodings: dict[object, bytes] = field(default_factory=dict)
