"""Start-up errors of the robustness issue (11) against QEMU 7.2.

Bad ``-pidfile`` paths; socket chardev options; the smaller command-line
differences the black-box probe found.
"""

from __future__ import annotations

from tests.differential.harness import Scenario

__all__ = ["SCENARIOS"]


def fails(name: str, *args: str) -> Scenario:
    """A command line QEMU refuses: exit status and stderr only."""
    return Scenario(f"robust-{name}", args, negotiate=False)


# fmt: off
SCENARIOS: list[Scenario] = [
    fails("pidfile-missing-dir", "-pidfile", "/nonexistent/dir/vm.pid"),
    fails("pidfile-is-a-directory", "-pidfile", "/"),
    fails("pidfile-empty", "-pidfile", ""),
    # The pidfile comes before the machine's own errors (vl.c qemu_maybe_daemonize).
    fails("pidfile-before-numa", "-numa", "node,memdev=nope", "-pidfile", "/nonexistent/x"),
]
# fmt: on
