"""``qmpnuma-fleet``: a fleet behind a control socket that speaks QMP.

    qmpnuma-fleet --control PATH [--spec FILE] [--profile NAME]

The control socket greets like QEMU and serves the commands of
schema/fleet-schema.json: the monitor-control commands (qmp_capabilities,
query-version, query-commands, query-qmp-schema, ``quit``, which ends the
whole fleet) and machine-add, machine-del and query-machines-fleet.  Their
arguments are checked by the same QAPI layer as a machine's, with QEMU's
texts, so a qemu.qmp client or qmp-shell works on it unchanged.

The spec file starts machines before the control socket opens: a JSON
object ``{"machines": [...]}`` whose entries are machine-add arguments.
Each machine emulates the release its ``profile`` names, by default the
fleet's (``--profile``, else ``QMPNUMA_PROFILE``, else 7.2).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import resource
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from qmpnuma.errors import CommandNotFound, GenericError, QMPError
from qmpnuma.fleet import Fleet, FleetMachine, open_fleet
from qmpnuma.profile import (
    DEFAULT_PROFILE,
    PROFILE_ENV,
    PROFILES,
    Profile,
    find_profile,
    unknown_profile,
)
from qmpnuma.protocol.session import MonitorSession, Request
from qmpnuma.qapi.dispatch import COMMAND_NOT_FOUND, NEGOTIATION_COMMAND, NO_OOB
from qmpnuma.qapi.introspect import command_names, schema_info
from qmpnuma.qapi.schema import SCHEMA_DIR, Schema, load_schema
from qmpnuma.qapi.validate import validate_arguments

__all__ = ["ControlServer", "FLEET_SCHEMA_PATH", "add_machine", "load_spec", "main"]

LOGGER = logging.getLogger(__name__)

#: The control socket's schema (schema/fleet-schema.json).
FLEET_SCHEMA_PATH = SCHEMA_DIR / "fleet-schema.json"
#: Bytes asked of the control socket per read, as a machine's monitors.
READ_CHUNK = 64 * 1024
#: Pending connections on the control socket.
CONTROL_BACKLOG = 64
#: Only the owner may drive the fleet (set before bind, as chardev.py does).
CONTROL_MODE = 0o600

Args = dict[str, Any]
Handler = Callable[[MonitorSession, Args], Awaitable[object]]


class ControlServer:
    """Serves a fleet's control commands on any number of connections."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.schema: Schema = load_schema(FLEET_SCHEMA_PATH)
        #: Set by ``quit``: whoever runs the fleet ends it.
        self.quit = trio.Event()
        self._handlers: dict[str, Handler] = {
            NEGOTIATION_COMMAND: self._qmp_capabilities,
            "query-version": self._query_version,
            "query-commands": self._query_commands,
            "query-qmp-schema": self._query_qmp_schema,
            "quit": self._quit,
            "machine-add": self._machine_add,
            "machine-del": self._machine_del,
            "query-machines-fleet": self._query_machines_fleet,
        }

    async def serve(
        self,
        listener: trio.abc.Listener[trio.abc.Stream],
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Accept control clients until cancelled; each runs in its own task."""
        async with listener, trio.open_nursery() as nursery:
            task_status.started()
            while True:
                stream = await listener.accept()
                nursery.start_soon(self.handle_stream, stream)

    async def handle_stream(self, stream: trio.abc.Stream) -> None:
        """One control connection, until the client leaves."""
        session = MonitorSession(self.fleet.profile)
        try:
            async with stream:
                await stream.send_all(session.greeting())
                while data := await stream.receive_some(READ_CHUNK):
                    session.receive_data(bytes(data))
                    while (event := session.next_event()) is not None:
                        reply = event if isinstance(event, bytes) else await self._execute(
                            session, event)
                        await stream.send_all(reply)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            LOGGER.info("control client went away")
        except Exception:
            # A bug must not take the fleet down: this connection ends, logged.
            LOGGER.exception("control connection failed")

    async def _execute(self, session: MonitorSession, request: Request) -> bytes:
        try:
            result = await self._dispatch(session, request)
        except QMPError as err:
            return session.error_reply(request, err)
        return session.reply(request, result)

    async def _dispatch(self, session: MonitorSession, request: Request) -> object:
        # qapi/qmp-dispatch.c's order, as the machines' Dispatcher.
        name = request.command
        command = self.schema.commands.get(name)
        if command is None or (session.negotiating and name != NEGOTIATION_COMMAND):
            raise CommandNotFound(COMMAND_NOT_FOUND.format(name=name))
        if request.oob and not command.allow_oob:
            raise GenericError(NO_OOB.format(name=name))
        args = validate_arguments(self.schema, name, request.arguments)
        return await self._handlers[name](session, args)

    async def _qmp_capabilities(self, session: MonitorSession, args: Args) -> object:
        session.enable_capabilities(args.get("enable", []))
        return {}

    async def _query_version(self, session: MonitorSession, args: Args) -> object:
        profile = self.fleet.profile
        major, minor, micro = profile.version
        return {"qemu": {"major": major, "minor": minor, "micro": micro},
                "package": profile.package}

    async def _query_commands(self, session: MonitorSession, args: Args) -> object:
        return [{"name": name} for name in command_names(self.schema)]

    async def _query_qmp_schema(self, session: MonitorSession, args: Args) -> object:
        return schema_info(self.schema)

    async def _quit(self, session: MonitorSession, args: Args) -> object:
        self.quit.set()
        return {}

    async def _machine_add(self, session: MonitorSession, args: Args) -> object:
        machine = await add_machine(self.fleet, args)
        return machine.info()

    async def _machine_del(self, session: MonitorSession, args: Args) -> object:
        await self.fleet.remove(args["name"])
        return {}

    async def _query_machines_fleet(self, session: MonitorSession, args: Args) -> object:
        return [machine.info() for machine in self.fleet.machines]


def load_spec(path: Path, schema: Schema) -> list[Args]:
    """The machine-add arguments of a spec file, each checked by the schema.

    Raises:
        GenericError: an unreadable file, or QEMU's text for a bad entry.
    """
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GenericError(f"Could not read spec file '{path}': {exc}") from exc
    machines = spec.get("machines") if isinstance(spec, dict) else None
    if not isinstance(machines, list):
        raise GenericError(f"Spec file '{path}' must be an object with a 'machines' list")
    return [validate_arguments(schema, "machine-add", entry) for entry in machines]


async def add_machine(fleet: Fleet, args: Args) -> FleetMachine:
    """machine-add: start the machine that ``args`` describes.

    Raises:
        GenericError: an unknown profile, or what Fleet.add() refuses.
    """
    profile = None
    if "profile" in args:
        profile = find_profile(args["profile"])
        if profile is None:
            raise GenericError(unknown_profile(args["profile"]))
    return await fleet.add(args["name"], args["argv"], profile=profile,
                           record=args.get("record"), log=args.get("log"))


async def run_fleet(control: Path, machines: list[Args], profile: Profile) -> None:
    """Start ``machines`` (machine-add arguments), then serve the control
    socket until ``quit`` or a terminating signal; ``profile`` is the
    release of machines that name none."""
    async with open_fleet(profile=profile) as fleet:
        server = ControlServer(fleet)
        # Modules and schemas live as long as the process: keep the cyclic
        # garbage collector from walking them again at every collection,
        # which grows with the fleet and delays machine-add.
        gc.freeze()
        for args in machines:
            await add_machine(fleet, args)
        listener = _listen(control)
        async with trio.open_nursery() as nursery:
            await nursery.start(server.serve, listener)
            nursery.start_soon(_until_signal, server.quit)
            print(f"qmpnuma-fleet: ready; control on unix:{control.absolute()}", flush=True)
            await server.quit.wait()
            nursery.cancel_scope.cancel()
    control.unlink(missing_ok=True)


def _listen(path: Path) -> trio.SocketListener:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    os.fchmod(sock.fileno(), CONTROL_MODE)
    path.unlink(missing_ok=True)
    sock.bind(str(path))
    sock.listen(CONTROL_BACKLOG)
    return trio.SocketListener(trio.socket.from_stdlib_socket(sock))


async def _until_signal(quit_event: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as signals:
        async for _ in signals:
            quit_event.set()
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="qmpnuma-fleet", description="Many emulated machines in one process.")
    parser.add_argument("--control", type=Path, required=True,
                        help="unix socket path of the control monitor")
    parser.add_argument("--spec", type=Path, help="JSON file of machines to start")
    parser.add_argument("--profile", choices=PROFILES, default=os.environ.get(PROFILE_ENV),
                        help="the release of machines that name none "
                             f"(default: ${PROFILE_ENV}, else {DEFAULT_PROFILE.name})")
    options = parser.parse_args(argv)
    profile = find_profile(options.profile or DEFAULT_PROFILE.name)
    if profile is None:  # $QMPNUMA_PROFILE is not checked by choices
        parser.error(unknown_profile(options.profile))
    _raise_fd_limit()
    failures: list[QMPError] = []
    try:
        spec = [] if options.spec is None else load_spec(options.spec,
                                                         load_schema(FLEET_SCHEMA_PATH))
        trio.run(run_fleet, options.control, spec, profile)
    except* QMPError as group:
        failures = _leaves(group)
    for err in failures:
        print(f"qmpnuma-fleet: {err.desc}", file=sys.stderr)
    return 1 if failures else 0


def _raise_fd_limit() -> None:
    # Each machine holds a listening socket and its clients' connections: a
    # thousand machines need more than the usual soft limit of 1024 fds.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _leaves(group: BaseExceptionGroup[QMPError]) -> list[QMPError]:
    """The errors of a group of nurseries' errors, nested groups flattened."""
    found: list[QMPError] = []
    for err in group.exceptions:
        found.extend(_leaves(err) if isinstance(err, BaseExceptionGroup) else [err])
    return found


if __name__ == "__main__":
    sys.exit(main())
