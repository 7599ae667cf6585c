"""The I/O of socket character devices (QEMU's chardev/char-socket.c).

QEMU creates its chardevs while it parses the command line, so a socket
that cannot be bound or reached is reported there, with the option as the
error location, before any NUMA option is looked at.  ``ChardevSockets.open``
is that step: it runs synchronously inside ``configure()`` (the driver calls
it where QEMU would) and leaves listening or connected sockets behind, which
the trio server adopts once it runs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

import trio

from qmpnuma.cli.monitors import ChardevSpec, MonitorSpec
from qmpnuma.errors import GenericError
from qmpnuma.server import MonitorEndpoint

__all__ = ["ChardevSockets"]

#: Pending connections per listening chardev.  QEMU listens with a backlog
#: of 1; a few more spare a test rig's parallel connects a refusal, and the
#: extra clients wait unanswered exactly as they would on QEMU.
LISTEN_BACKLOG = 8
#: The permissions of a unix socket we create (owner only).
SOCKET_UMASK = 0o177


@dataclass
class _Opened:
    listener: socket.socket | None = None
    connected: socket.socket | None = None


@dataclass
class ChardevSockets:
    """The sockets of every chardev, from creation to removal at exit."""

    #: Where QEMU's info_report() goes (the wait=on message).
    info: Callable[[str], None]
    #: Entered while start-up blocks for a wait=on chardev's first client.
    while_waiting: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext
    _opened: dict[str, _Opened] = field(default_factory=dict)
    _unix_paths: list[str] = field(default_factory=list)

    def open(self, spec: ChardevSpec) -> None:
        """Bind, inherit or connect the chardev's socket (a ChardevOpener).

        Raises:
            GenericError: QEMU's texts for a socket that cannot be had.
        """
        if not spec.server:
            self._opened[spec.id] = _Opened(connected=_connect(spec))
            return
        listener = _inherit(spec.fd) if spec.fd is not None else self._listen(spec)
        opened = _Opened(listener=listener)
        if spec.wait:
            # The chardev blocks start-up until its first client arrives.
            self.info(f"QEMU waiting for connection on: disconnected:{spec.describe()}")
            with self.while_waiting():
                opened.connected, _ = listener.accept()
        self._opened[spec.id] = opened

    def _listen(self, spec: ChardevSpec) -> socket.socket:
        if spec.path is not None:
            sock = _listen_unix(spec.path)
            # By absolute name: a daemon leaves its directory for /.
            self._unix_paths.append(os.path.abspath(spec.path))
            return sock
        return _listen_tcp(spec)

    def endpoint(self, monitor: MonitorSpec) -> MonitorEndpoint:
        """The monitor's opened sockets as trio objects (call inside trio.run)."""
        opened = self._opened[monitor.chardev.id]
        endpoint = MonitorEndpoint(pretty=monitor.pretty)
        if opened.listener is not None:
            endpoint.listener = trio.SocketListener(
                trio.socket.from_stdlib_socket(opened.listener)
            )
        if opened.connected is not None:
            endpoint.connected = trio.SocketStream(
                trio.socket.from_stdlib_socket(opened.connected)
            )
        return endpoint

    def remove_files(self) -> None:
        """What QEMU does at exit: its unix socket files go away."""
        for path in self._unix_paths:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def _error_text(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno is not None else str(exc)


def _listen_unix(path: str) -> socket.socket:
    # util/qemu-sockets.c unix_listen_saddr replaces an old socket file.
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(SOCKET_UMASK)
    try:
        sock.bind(path)
    except OSError as exc:
        sock.close()
        raise GenericError(f"Failed to bind socket to {path}: {_error_text(exc)}") from exc
    finally:
        os.umask(old_umask)
    sock.listen(LISTEN_BACKLOG)
    return sock


def _resolve(spec: ChardevSpec, passive: bool) -> list[tuple[int, socket.SocketKind, int, str,
                                                             tuple[object, ...]]]:
    host = spec.host or None
    try:
        return socket.getaddrinfo(
            host, spec.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE if passive else 0
        )  # type: ignore[return-value]
    except socket.gaierror as exc:
        # util/qemu-sockets.c inet_parse / inet_listen_saddr
        raise GenericError(
            f"address resolution failed for {spec.host}:{spec.port}: {exc.strerror}"
        ) from exc


def _listen_tcp(spec: ChardevSpec) -> socket.socket:
    last: OSError | None = None
    for family, kind, proto, _, address in _resolve(spec, passive=True):
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        sock.listen(LISTEN_BACKLOG)
        return sock
    text = _error_text(last) if last is not None else os.strerror(errno.EADDRNOTAVAIL)
    raise GenericError(f"Failed to find an available port: {text}")


def _connect(spec: ChardevSpec) -> socket.socket:
    if spec.path is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target: object = spec.path
        shown = spec.path
    else:
        family, kind, proto, _, address = _resolve(spec, passive=False)[0]
        sock = socket.socket(family, kind, proto)
        target, shown = address, f"{spec.host}:{spec.port}"
    try:
        sock.connect(target)  # type: ignore[arg-type]
    except OSError as exc:
        sock.close()
        raise GenericError(f"Failed to connect to '{shown}': {_error_text(exc)}") from exc
    return sock


def _inherit(fd: int) -> socket.socket:
    # libvirt hands QEMU a listening socket: -chardev socket,fd=N,server=on.
    try:
        return socket.socket(fileno=fd)
    except OSError as exc:
        # util/qemu-sockets.c socket_get_fd: a closed fd is "not a socket" too.
        raise GenericError(f"File descriptor '{fd}' is not a socket") from exc
