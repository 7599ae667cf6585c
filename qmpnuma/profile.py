"""Version profiles: every behaviour that differs between emulated QEMU versions.

A profile is one immutable object handed to whoever needs a version-dependent
fact (the greeting, a message text, a machine-type rule), so that no module
carries scattered ``if version`` checks.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Profile", "QEMU_7_2", "DEFAULT_PROFILE"]


@dataclass(frozen=True)
class Profile:
    """What one emulated QEMU release reports and enforces."""

    #: (major, minor, micro) reported by the greeting and query-version.
    version: tuple[int, int, int]
    #: The ``package`` string of query-version.
    package: str
    #: The newest versioned machine type; ``pc`` and ``q35`` alias to it.
    latest_machine: tuple[int, int]
    #: Nodes that state no memory share RAM out between them (numa.c before
    #: 5.2, the seed's numa_complete_configuration); 5.2 and later refuse.
    numa_auto_split_ram: bool = False


#: QEMU 7.2 as shipped by Debian 12 (the project's oracle).
QEMU_7_2 = Profile(version=(7, 2, 22), package=" (qmpnuma 0.1.0)", latest_machine=(7, 2))

DEFAULT_PROFILE = QEMU_7_2
