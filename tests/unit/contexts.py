"""The CommandContext that handler tests run commands in, with no monitor behind it."""

from __future__ import annotations

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import CollectingReporter
from qmpnuma.machine.machine import Machine
from qmpnuma.machine.runstate import VM

__all__ = ["Negotiated", "command_context"]


class Negotiated:
    """A monitor past capabilities negotiation."""

    negotiating = False

    def enable_capabilities(self, enable: list[str]) -> None:
        raise AssertionError("not used")


def command_context(machine: Machine) -> CommandContext:
    """A context on ``machine``'s VM, from a negotiated monitor."""
    return CommandContext(vm=VM(machine), monitor=Negotiated(), reporter=CollectingReporter())
