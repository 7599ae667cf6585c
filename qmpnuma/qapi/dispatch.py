"""Command dispatch: find, gate, validate, call.

QEMU's counterparts: qapi/qmp-dispatch.c (qmp_dispatch), qapi/qmp-registry.c
(the command table), monitor/qmp.c (the capabilities-negotiation command
list) and the generated qmp-commands.c, whose marshallers check the
arguments and call ``qmp_<c_name>()``.

Handlers are found by the same convention: command ``set-numa-node`` is
served by a function ``qmp_set_numa_node(ctx, args)`` in one of the
modules of package :mod:`qmpnuma.commands`.  query-qmp-schema and
query-commands are served here, since they describe the schema itself.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from types import ModuleType

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import CommandNotFound, GenericError
from qmpnuma.machine.phase import Phase
from qmpnuma.qapi.introspect import qmp_query_commands, qmp_query_qmp_schema
from qmpnuma.qapi.schema import Schema
from qmpnuma.qapi.validate import validate_arguments

__all__ = [
    "Handler",
    "Dispatcher",
    "MissingHandlerError",
    "handler_name",
    "find_handlers",
    "NEGOTIATION_COMMAND",
]

#: A command handler: validated arguments in, QAPI-shaped result out.
Handler = Callable[[CommandContext, dict[str, object]], object]

#: The only command of the capabilities-negotiation command list
#: (monitor/qmp.c monitor_init_qmp_commands).
NEGOTIATION_COMMAND = "qmp_capabilities"

# qapi/qmp-dispatch.c qmp_dispatch
COMMAND_NOT_FOUND = "The command {name} has not been found"
NO_OOB = "The command {name} does not support OOB"
# qapi/qmp-dispatch.c qmp_command_available
NOT_BEFORE_MACHINE_READY = (
    "The command '{name}' is permitted only after machine initialization has completed"
)

_COMMANDS_PACKAGE = "qmpnuma.commands"
_HANDLER_PREFIX = "qmp_"


class MissingHandlerError(LookupError):
    """Schema commands that no module of qmpnuma.commands implements."""


def handler_name(command: str) -> str:
    """``set-numa-node`` -> ``qmp_set_numa_node`` (QEMU's c_name, prefixed)."""
    return _HANDLER_PREFIX + command.replace("-", "_").replace(".", "_")


def _command_modules() -> list[ModuleType]:
    package = importlib.import_module(_COMMANDS_PACKAGE)
    return [
        importlib.import_module(f"{_COMMANDS_PACKAGE}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]


def find_handlers(schema: Schema) -> dict[str, Handler]:
    """The handler of each schema command that has one.

    The introspection commands are this floor's own; the others are looked
    up in the modules of qmpnuma.commands.
    """
    found: dict[str, Handler] = {
        "query-qmp-schema": functools.partial(qmp_query_qmp_schema, schema=schema),
        "query-commands": functools.partial(qmp_query_commands, schema=schema),
    }
    modules = _command_modules()
    for name in schema.commands:
        if name in found:
            continue
        for module in modules:
            handler = getattr(module, handler_name(name), None)
            if callable(handler):
                found[name] = handler
                break
    return found


class Dispatcher:
    """Runs the commands of one schema.

    Args:
        schema: the loaded schema.
        handlers: command name -> handler; by default :func:`find_handlers`.
        strict: refuse to start when a schema command has no handler.

    Raises:
        MissingHandlerError: ``strict`` and some command has no handler.
    """

    def __init__(
        self,
        schema: Schema,
        handlers: Mapping[str, Handler] | None = None,
        *,
        strict: bool = True,
    ) -> None:
        self.schema = schema
        self.handlers = dict(find_handlers(schema) if handlers is None else handlers)
        missing = self.missing_handlers()
        if strict and missing:
            raise MissingHandlerError("no handler for: " + ", ".join(missing))

    def missing_handlers(self) -> list[str]:
        """Schema commands without a handler, in schema order."""
        return [name for name in self.schema.commands if name not in self.handlers]

    def dispatch(
        self,
        request_name: str,
        arguments: dict[str, object],
        ctx: CommandContext,
        *,
        oob: bool,
        negotiating: bool,
    ) -> object:
        """Run one command, with QEMU's checks in QEMU's order.

        Returns the handler's result, ``{}`` for a handler returning None.

        Raises:
            CommandNotFound: unknown command, or any command but
                qmp_capabilities while ``negotiating`` (the session words
                that case its own way).
            GenericError: oob for a command without allow-oob; a command
                without allow-preconfig before the machine is ready; an
                argument error.
            QMPError: whatever the handler raises.
        """
        command = self.schema.commands.get(request_name)
        if command is None or (negotiating and request_name != NEGOTIATION_COMMAND):
            raise CommandNotFound(COMMAND_NOT_FOUND.format(name=request_name))
        if oob and not command.allow_oob:
            raise GenericError(NO_OOB.format(name=request_name))
        if not command.allow_preconfig and ctx.vm.machine.phase < Phase.MACHINE_READY:
            raise GenericError(NOT_BEFORE_MACHINE_READY.format(name=request_name))
        args = validate_arguments(self.schema, request_name, arguments)
        handler = self.handlers.get(request_name)
        if handler is None:
            # Only a non-strict dispatcher gets here (tests, partial builds).
            raise CommandNotFound(COMMAND_NOT_FOUND.format(name=request_name))
        result = handler(ctx, args)
        return {} if result is None else result
