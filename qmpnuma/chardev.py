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
#: The permissions of a unix socket we create (owner only).  They are set on
#: the socket before bind(), which Linux applies to the new file, rather than
#: through os.umask(), which would change them for every thread of a fleet.
SOCKET_MODE = 0o600


@dataclass
class _Opened:
    listener: socket.socket | None = None
    connected: socket.socket | None = None
    #: wait=on, and the first client is left for the caller to accept.
    waiting: bool = False


@dataclass
class ChardevSockets:
    """The sockets of every chardev, from creation to removal at exit."""

    #: Where QEMU's info_report() goes (the wait=on message).
    info: Callable[[str], None]
    #: Leave a wait=on chardev's first client to the caller (see waiting()),
    #: instead of blocking here: a fleet must not stop for one machine.
    defer_wait: bool = False
    _opened: dict[str, _Opened] = field(default_factory=dict)
    _unix_paths: list[str] = field(default_factory=list)

    def open(self, spec: ChardevSpec) -> None:
        """Bind, inherit or connect the chardev's socket (a ChardevOpener).

        Raises:
            GenericError: QEMU's texts for a socket that cannot be had.
        """
        if not spec.server:
            # A client-mode fd= is a socket already connected (QEMU's Python
            # machine library passes one end of a socketpair).
            connected = _inherit(spec.fd) if spec.fd is not None else _connect(spec)
            self._opened[spec.id] = _Opened(connected=connected)
            return
        listener = _inherit(spec.fd) if spec.fd is not None else self._listen(spec)
        opened = _Opened(listener=listener)
        if spec.wait:
            # The chardev blocks start-up until its first client arrives.
            self.info(f"QEMU waiting for connection on: disconnected:{spec.describe()}")
            if self.defer_wait:
                opened.waiting = True
            else:
                opened.connected, _ = listener.accept()
        self._opened[spec.id] = opened

    def _listen(self, spec: ChardevSpec) -> socket.socket:
        if spec.path is not None:
            sock = _listen_unix(spec.path)
            self._unix_paths.append(spec.path)
            return sock
        return _listen_tcp(spec)

    def endpoint(self, monitor: MonitorSpec) -> MonitorEndpoint:
        """The monitor's opened sockets as trio objects (call inside trio.run)."""
        opened = self._opened[monitor.chardev.id]
        endpoint = MonitorEndpoint(pretty=monitor.pretty, chardev=monitor.chardev.id)
        if opened.listener is not None:
            endpoint.listener = trio.SocketListener(
                trio.socket.from_stdlib_socket(opened.listener)
            )
        if opened.connected is not None:
            endpoint.connected = trio.SocketStream(
                trio.socket.from_stdlib_socket(opened.connected)
            )
        return endpoint

    def waiting(self, monitor: MonitorSpec) -> bool:
        """Whether the monitor's wait=on client is still to be accepted (defer_wait)."""
        return self._opened[monitor.chardev.id].waiting

    def close(self) -> None:
        """Close every socket not yet handed to trio, and remove the files."""
        for opened in self._opened.values():
            for sock in (opened.listener, opened.connected):
                if sock is not None:
                    sock.close()
        self.remove_files()

    def connected_address(self, spec: ChardevSpec) -> str:
        """The chardev's address while a peer is connected (char-socket.c).

        An inherited fd is named after its local unix address, which QEMU
        reads from the socket: ``unix:PATH,server=on``, or ``unix:`` for
        one end of a socketpair.
        """
        opened = self._opened.get(spec.id)
        sock = None if opened is None else opened.listener or opened.connected
        if spec.fd is None or sock is None or sock.family != socket.AF_UNIX:
            return spec.describe()
        name = sock.getsockname()
        path = name if isinstance(name, str) else ""
        return f"unix:{path}{',server=on' if spec.server else ''}"

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
    os.fchmod(sock.fileno(), SOCKET_MODE)
    try:
        sock.bind(path)
    except OSError as exc:
        sock.close()
        raise GenericError(f"Failed to bind socket to {path}: {_error_text(exc)}") from exc
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
    # libvirt hands QEMU a listening socket (-chardev socket,fd=N,server=on),
    # QEMU's Python machine library a connected one (fd=N alone).
    try:
        return socket.socket(fileno=fd)
    except OSError as exc:
        # util/qemu-sockets.c socket_get_fd: a closed fd is "not a socket" too.
        raise GenericError(f"File descriptor '{fd}' is not a socket") from exc
