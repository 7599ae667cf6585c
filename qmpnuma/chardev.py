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
import secrets
import select
import socket
import string
from collections.abc import Callable, Iterator
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
#: sizeof(struct sockaddr_un.sun_path) on Linux.
UNIX_PATH_MAX = 108
#: chardev/char-socket.c tcp_chr_telnet_init: IAC WILL ECHO, IAC WILL
#: SUPPRESS-GO-AHEAD, IAC WILL BINARY, IAC DO BINARY.
TELNET_INIT = bytes((0xFF, 0xFB, 0x01, 0xFF, 0xFB, 0x03, 0xFF, 0xFB, 0x00, 0xFF, 0xFD, 0x00))
_IAC = 0xFF
#: What mkstemp() replaces each X with.
_MKSTEMP_LETTERS = string.ascii_letters + string.digits
_IAC_BREAK = 0xF3


@dataclass
class _Opened:
    listeners: list[socket.socket] = field(default_factory=list)
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
    #: Entered while start-up blocks for a wait=on chardev's first client.
    while_waiting: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext
    #: error_report() without a location: a reconnecting chardev's failure.
    report: Callable[[str], None] = print
    _opened: dict[str, _Opened] = field(default_factory=dict)
    _specs: dict[str, ChardevSpec] = field(default_factory=dict)
    _unix_paths: list[str] = field(default_factory=list)

    def open(self, spec: ChardevSpec) -> None:
        """Bind, inherit or connect the chardev's socket (a ChardevOpener).

        Raises:
            GenericError: QEMU's texts for a socket that cannot be had.
        """
        self._specs[spec.id] = spec
        if not spec.server:
            # A client-mode fd= is a socket already connected (QEMU's Python
            # machine library passes one end of a socketpair).
            connected = _inherit(spec.fd) if spec.fd is not None else self._connect_first(spec)
            self._opened[spec.id] = _Opened(connected=connected)
            return
        listeners = [_inherit(spec.fd)] if spec.fd is not None else self._listen(spec)
        opened = _Opened(listeners=listeners)
        if spec.wait:
            # The chardev blocks start-up until its first client arrives.
            where = _listening_address(spec, listeners[0])
            self.info(f"QEMU waiting for connection on: disconnected:{where}")
            if self.defer_wait:
                opened.waiting = True
            else:
                with self.while_waiting():
                    opened.connected = _accept_any(listeners)
        self._opened[spec.id] = opened

    def _connect_first(self, spec: ChardevSpec) -> socket.socket | None:
        try:
            return _connect(spec)
        except GenericError as err:
            if not spec.reconnect:
                raise
            # chardev/char-socket.c check_report_connect_error: reported
            # once, without location, and start-up goes on.
            self.report(f"Unable to connect character device {spec.id}: {err.desc}")
            return None

    def _listen(self, spec: ChardevSpec) -> list[socket.socket]:
        if spec.path is None:
            return _listen_tcp(spec)
        if spec.abstract:
            return [_listen_unix(spec.path, _abstract_address(spec.path, spec.tight))]
        path = spec.path or _temporary_socket_path()
        sock = _listen_unix(path, path)
        # By absolute name: a daemon leaves its directory for /.
        self._unix_paths.append(os.path.abspath(path))
        return [sock]

    def endpoint(self, monitor: MonitorSpec) -> MonitorEndpoint:
        """The monitor's opened sockets as trio objects (call inside trio.run)."""
        spec = self._specs[monitor.chardev.id]
        opened = self._opened[spec.id]
        endpoint = MonitorEndpoint(pretty=monitor.pretty, chardev=spec.id)
        wrap: Callable[[trio.abc.Stream], trio.abc.Stream] = (
            TelnetStream if spec.telnet else _as_is
        )
        if opened.listeners:
            listeners = [
                trio.SocketListener(trio.socket.from_stdlib_socket(sock))
                for sock in opened.listeners
            ]
            endpoint.listener = _AnyListener(listeners, wrap)
        if opened.connected is not None:
            endpoint.connected = wrap(
                trio.SocketStream(trio.socket.from_stdlib_socket(opened.connected))
            )
        if spec.reconnect:
            endpoint.redial = _Redialer(spec, wrap)
            endpoint.redial_delay = float(spec.reconnect)
        return endpoint

    def waiting(self, monitor: MonitorSpec) -> bool:
        """Whether the monitor's wait=on client is still to be accepted (defer_wait)."""
        return self._opened[monitor.chardev.id].waiting

    def close(self) -> None:
        """Close every socket not yet handed to trio, and remove the files."""
        for opened in self._opened.values():
            for sock in [*opened.listeners, opened.connected]:
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
        sock = None
        if opened is not None:
            sock = opened.listeners[0] if opened.listeners else opened.connected
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


def _listening_address(spec: ChardevSpec, sock: socket.socket) -> str:
    """chardev/char-socket.c qemu_chr_socket_address for a listening chardev.

    QEMU names the address its first listening socket got (0.0.0.0 for
    ``tcp::PORT``, the temporary name of an empty unix path, whatever an
    inherited fd is bound to), with no brackets around an IPv6 host.
    """
    if sock.family == socket.AF_UNIX:
        if spec.abstract:
            assert spec.path is not None
            tight = "on" if spec.tight else "off"
            return f"unix:{spec.path},abstract=on,tight={tight},server=on"
        return f"unix:{sock.getsockname()},server=on"
    host, port = sock.getsockname()[:2]
    protocol = "telnet" if spec.telnet else "tcp"
    return f"{protocol}:{host}:{port},server=on"


def _as_is(stream: trio.abc.Stream) -> trio.abc.Stream:
    return stream


def _error_text(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno is not None else str(exc)


def _too_long(path: str, abstract: bool) -> GenericError:
    # util/qemu-sockets.c unix_listen_saddr / unix_connect_saddr
    limit = UNIX_PATH_MAX - 1 if abstract else UNIX_PATH_MAX
    return GenericError(
        f"UNIX socket path '{path}' is too long", hint=f"Path must be less than {limit} bytes"
    )


def _abstract_address(name: str, tight: bool) -> bytes:
    """A Linux abstract socket address: NUL, the name, NUL padding unless tight."""
    raw = name.encode()
    if len(raw) > UNIX_PATH_MAX - 1:
        raise _too_long(name, abstract=True)
    address = b"\0" + raw
    return address if tight else address.ljust(UNIX_PATH_MAX, b"\0")


def _temporary_socket_path() -> str:
    """util/qemu-sockets.c unix_listen_saddr: an empty path is a fresh temporary name.

    mkstemp() with glib's temporary directory: ``$TMPDIR/qemu-socket-XXXXXX``.
    """
    directory = os.environ.get("TMPDIR") or "/tmp"
    while True:
        name = "".join(secrets.choice(_MKSTEMP_LETTERS) for _ in range(6))
        path = os.path.join(directory, f"qemu-socket-{name}")
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        except OSError as exc:
            raise GenericError(
                f"Failed to make a temporary socket {path}: {_error_text(exc)}"
            ) from exc
        return path


@contextlib.contextmanager
def _bindable(path: str) -> Iterator[str]:
    """``path``, or an alias of it short enough for Python's bind().

    sun_path holds 108 bytes, and the kernel takes a path that fills it
    without a terminating NUL (QEMU does); Python refuses such a path, so
    it is reached from its directory, made current for the call.
    """
    if len(path.encode()) < UNIX_PATH_MAX or not os.path.dirname(path):
        yield path
        return
    saved = os.open(".", os.O_PATH | os.O_DIRECTORY)
    try:
        os.chdir(os.path.dirname(path))
        yield os.path.basename(path)
    finally:
        os.fchdir(saved)
        os.close(saved)


def _listen_unix(shown: str, address: str | bytes) -> socket.socket:
    if isinstance(address, str):
        if len(address.encode()) > UNIX_PATH_MAX:
            raise _too_long(shown, abstract=False)
        # util/qemu-sockets.c unix_listen_saddr replaces whatever is there.
        try:
            os.unlink(address)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise GenericError(f"Failed to unlink socket {shown}: {_error_text(exc)}") from exc
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    os.fchmod(sock.fileno(), SOCKET_MODE)
    try:
        if isinstance(address, str):
            with _bindable(address) as alias:
                sock.bind(alias)
        else:
            sock.bind(address)
    except OSError as exc:
        sock.close()
        raise GenericError(f"Failed to bind socket to {shown}: {_error_text(exc)}") from exc
    sock.listen(LISTEN_BACKLOG)
    return sock


_AddrInfo = tuple[int, socket.SocketKind, int, str, tuple[object, ...]]


def _family(spec: ChardevSpec) -> int:
    """util/qemu-sockets.c inet_ai_family_from_address (both off is refused earlier)."""
    ipv4, ipv6 = spec.ipv4, spec.ipv6
    if ipv4 and ipv6:
        return socket.AF_INET6 if not spec.host else socket.AF_UNSPEC
    if ipv6 or ipv4 is False:
        return socket.AF_INET6
    if ipv4 or ipv6 is False:
        return socket.AF_INET
    return socket.AF_UNSPEC


def _resolve(spec: ChardevSpec, passive: bool) -> list[_AddrInfo]:
    host = spec.host or None
    try:
        return socket.getaddrinfo(
            host,
            spec.port or None,
            family=_family(spec),
            type=socket.SOCK_STREAM,
            flags=socket.AI_PASSIVE if passive else 0,
        )  # type: ignore[return-value]
    except socket.gaierror as exc:
        # util/qemu-sockets.c inet_parse / inet_listen_saddr
        raise GenericError(
            f"address resolution failed for {spec.host}:{spec.port}: {exc.strerror}"
        ) from exc


def _listen_tcp(spec: ChardevSpec) -> list[socket.socket]:
    """io/net-listener.c qio_net_listener_open_sync: one socket per address.

    ``tcp::4444`` resolves to 0.0.0.0 and ::, and listens on both, as QEMU
    does; it fails only when no address could be listened on, with the
    first address's error.
    """
    listening: list[socket.socket] = []
    first_error: GenericError | None = None
    for family, kind, proto, _, address in _resolve(spec, passive=True):
        try:
            listening.append(_listen_inet(spec, family, kind, proto, address))
        except GenericError as err:
            first_error = first_error or err
    if not listening:
        assert first_error is not None
        raise first_error
    return listening


def _listen_inet(
    spec: ChardevSpec, family: int, kind: int, proto: int, address: tuple[object, ...]
) -> socket.socket:
    """util/qemu-sockets.c inet_listen_saddr for one resolved address."""
    first_port = int(str(address[1]))
    last_port = spec.to if spec.to is not None else first_port
    # try_bind: a wildcard IPv6 socket takes IPv4 too unless one was chosen.
    v6only = not (spec.ipv4 is spec.ipv6 is None or (spec.ipv4 and spec.ipv6))
    last: OSError | None = None
    for port in range(first_port, last_port + 1):
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        target = (address[0], port, *address[2:])
        try:
            _bind_inet(sock, family, target, v6only)
            sock.listen(LISTEN_BACKLOG)
            return sock
        except OSError as exc:
            sock.close()
            if exc.errno != errno.EADDRINUSE:
                raise GenericError(f"Failed to bind socket: {_error_text(exc)}") from exc
            last = exc
    text = _error_text(last) if last is not None else os.strerror(errno.EADDRNOTAVAIL)
    raise GenericError(f"Failed to find an available port: {text}")


def _bind_inet(sock: socket.socket, family: int, target: tuple[object, ...], v6only: bool) -> None:
    if family != socket.AF_INET6:
        sock.bind(target)
        return
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    try:
        sock.bind(target)
    except OSError as exc:
        # The IPv4 side of the port may be taken: settle for IPv6 alone.
        if exc.errno != errno.EADDRINUSE or v6only:
            raise
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(target)


def _accept_any(listeners: list[socket.socket]) -> socket.socket:
    """The first client of any of the chardev's listening sockets."""
    ready, _, _ = select.select(listeners, [], [])
    connected, _ = ready[0].accept()
    return connected


def _connect(spec: ChardevSpec) -> socket.socket:
    if spec.path is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if spec.abstract:
            target: object = _abstract_address(spec.path, spec.tight)
        else:
            if len(spec.path.encode()) > UNIX_PATH_MAX:
                sock.close()
                raise _too_long(spec.path, abstract=False)
            target = spec.path
        shown = spec.path
    else:
        family, kind, proto, _, address = _resolve(spec, passive=False)[0]
        sock = socket.socket(family, kind, proto)
        target, shown = address, f"{spec.host}:{spec.port}"
    try:
        if isinstance(target, str):
            with _bindable(target) as alias:
                sock.connect(alias)
        else:
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


@dataclass
class _Redialer:
    """Connects a client-mode chardev again (``reconnect=``)."""

    spec: ChardevSpec
    wrap: Callable[[trio.abc.Stream], trio.abc.Stream]

    async def __call__(self) -> trio.abc.Stream:
        sock = await trio.to_thread.run_sync(_connect, self.spec)
        return self.wrap(trio.SocketStream(trio.socket.from_stdlib_socket(sock)))


class _AnyListener(trio.abc.Listener[trio.abc.Stream]):
    """One chardev's listening sockets (IPv4 and IPv6), one client at a time."""

    def __init__(
        self,
        listeners: list[trio.SocketListener],
        wrap: Callable[[trio.abc.Stream], trio.abc.Stream],
    ) -> None:
        self._listeners = listeners
        self._wrap = wrap

    async def accept(self) -> trio.abc.Stream:
        if len(self._listeners) == 1:
            return self._wrap(await self._listeners[0].accept())
        ready: list[trio.SocketListener] = []
        async with trio.open_nursery() as nursery:
            for listener in self._listeners:
                nursery.start_soon(self._wait, listener, ready, nursery.cancel_scope)
        # Readable; a client that left meanwhile makes this wait for the next.
        return self._wrap(await ready[0].accept())

    @staticmethod
    async def _wait(
        listener: trio.SocketListener, ready: list[trio.SocketListener], scope: trio.CancelScope
    ) -> None:
        await trio.lowlevel.wait_readable(listener.socket)
        ready.append(listener)
        scope.cancel()

    async def aclose(self) -> None:
        for listener in self._listeners:
            await listener.aclose()


class TelnetStream(trio.abc.Stream):
    """A monitor socket with ``telnet=on`` (chardev/char-socket.c).

    The server opens with TELNET_INIT (binary, no echo, character mode);
    telnet commands are taken out of the input as QEMU's
    tcp_chr_process_IAC_bytes does: IAC IAC is a 0xFF data byte, IAC BREAK
    two bytes, and any other IAC sequence three.
    """

    def __init__(self, inner: trio.abc.Stream) -> None:
        self._inner = inner
        self._greeted = False
        #: tcp_chr_process_IAC_bytes' do_telnetopt: 1 data, 2 after IAC, 3 in a command.
        self._state = 1

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        if not self._greeted:
            self._greeted = True
            data = TELNET_INIT + bytes(data)
        await self._inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self._inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        while True:
            data = await self._inner.receive_some(max_bytes)
            if not data:
                return b""
            kept = self._strip(bytes(data))
            if kept:
                return kept

    def _strip(self, data: bytes) -> bytes:
        kept = bytearray()
        for byte in data:
            if self._state == 1:
                if byte == _IAC:
                    self._state = 2
                else:
                    kept.append(byte)
                continue
            if byte == _IAC and self._state == 2:
                kept.append(byte)
                self._state = 1
                continue
            if byte == _IAC_BREAK and self._state == 2:
                self._state += 1
            self._state += 1
            if self._state >= 4:
                self._state = 1
        return bytes(kept)

    async def aclose(self) -> None:
        await self._inner.aclose()
