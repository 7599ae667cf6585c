"""Monitors on the command line: ``-qmp``, ``-monitor``, ``-chardev`` + ``-mon``.

Counterparts: softmmu/vl.c monitor_parse() and mon_init_func(),
chardev/char.c qemu_chr_parse_compat() and qemu_chr_new_from_opts(),
chardev/char-socket.c qemu_chr_parse_socket() / qmp_chardev_validate_socket()
and monitor/monitor.c monitor_init().

Only socket character devices are emulated (unix path, TCP host:port, or an
inherited listening fd as libvirt passes it); they are what QMP clients
use.  Other QEMU backends (stdio, pty, file...) are rejected with QEMU's
"not a valid char driver" texts.  Nothing here opens a socket: the result is
a list of :class:`MonitorSpec` for the server.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from qmpnuma.cli.options import CHARDEV_OPTS, MON_OPTS
from qmpnuma.cli.qemu_opts import OptsStore, QemuOpt, QemuOpts
from qmpnuma.cutils import StrtoxError, qemu_strtoi64
from qmpnuma.errors import GenericError, missing_parameter

__all__ = [
    "MonitorMode",
    "ChardevSpec",
    "MonitorSpec",
    "CompatParseError",
    "monitor_parse",
    "chardev_check",
    "mon_init",
]

#: softmmu/vl.c monitor_parse: chardev ids of -qmp / -monitor monitors.
COMPAT_LABEL = "compat_monitor{}"
#: The one backend we emulate.
SOCKET_BACKEND = "socket"
#: chardev/char.c qemu_chr_parse_compat: "%64[^:]:%32[^,]" and ":%32[^,]".
_TCP_HOST_PORT = re.compile(r"([^:]{1,64}):([^,]{1,32})")
_TCP_PORT_ONLY = re.compile(r":([^,]{1,32})")


class MonitorMode(enum.Enum):
    """QAPI MonitorMode."""

    #: HMP, the human monitor (-monitor, and -mon's default).
    READLINE = "readline"
    #: QMP.
    CONTROL = "control"


@dataclass(frozen=True)
class ChardevSpec:
    """One socket character device: where QEMU listens or connects.

    Exactly one of ``path`` (unix socket), ``host``/``port`` (TCP) or ``fd``
    (an inherited socket) is set.  ``server`` False means QEMU connects out
    to the address instead of listening; ``wait`` means QEMU blocks start-up
    until a client has connected (the default when listening).
    """

    id: str
    #: The option as typed, QEMU's error location for this chardev.
    location: str
    server: bool
    wait: bool
    path: str | None = None
    host: str | None = None
    port: str | None = None
    fd: int | None = None
    #: InetSocketAddress ipv4/ipv6: None when not given.
    ipv4: bool | None = None
    ipv6: bool | None = None
    #: The last port to try when ``port`` is taken (``to=``).
    to: int | None = None
    #: A Linux abstract-namespace unix socket; ``tight`` sizes its address
    #: to the name rather than to all of sun_path.
    abstract: bool = False
    tight: bool = True
    #: Speak telnet's option negotiation (RFC 854) around the QMP stream.
    telnet: bool = False
    #: Seconds between attempts to (re)connect a client-mode chardev; 0: never.
    reconnect: int = 0

    def describe(self) -> str:
        """The chardev's address as QEMU prints it (char-socket.c).

        E.g. ``unix:/tmp/q.sock,server=on`` in ``QEMU waiting for connection
        on: disconnected:unix:/tmp/q.sock,server=on``.
        """
        server = ",server=on" if self.server else ""
        if self.path is not None:
            return f"unix:{self.path}{server}"
        if self.host is not None:
            return f"tcp:{self.host}:{self.port}{server}"
        return f"fd:{self.fd}{server}"


@dataclass(frozen=True)
class MonitorSpec:
    """One monitor (-mon, or the one -qmp/-monitor implies) on its chardev."""

    chardev: ChardevSpec
    mode: MonitorMode
    pretty: bool


class CompatParseError(GenericError):
    """monitor_parse's failure: QEMU prints ``lines`` (error_report()s) and exits."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines[-1])
        self.lines = lines


def monitor_parse(
    store: OptsStore, arg: str, mode: MonitorMode, pretty: bool, location: str, index: int
) -> None:
    """vl.c monitor_parse: a -qmp/-monitor argument becomes a chardev and a mon.

    ``index`` numbers the compat chardevs (monitor_device_index).

    Raises:
        CompatParseError: QEMU's lines for an unusable argument.
        GenericError: a duplicate chardev or mon id.
    """
    if arg.startswith("chardev:"):
        label = arg[len("chardev:") :]
    else:
        label = COMPAT_LABEL.format(index)
        chardev = store.create(CHARDEV_OPTS, label, location)
        _parse_compat(store, chardev, arg)
    mon = store.create(MON_OPTS, label, location)
    store.do_parse(mon, f"mode={mode.value},chardev={label}", None)
    if mode is MonitorMode.CONTROL:
        store.do_parse(mon, f"pretty={'on' if pretty else 'off'}", None)


def _parse_compat(store: OptsStore, chardev: QemuOpts, arg: str) -> None:
    """chardev/char.c qemu_chr_parse_compat, for the socket forms.

    On failure QEMU deletes the half-built chardev; so do we.
    """
    try:
        if arg.startswith("unix:"):
            store.do_parse(chardev, f"backend={SOCKET_BACKEND}", None)
            store.do_parse(chardev, arg[len("unix:") :], "path")
            return
        if arg.startswith("tcp:"):
            rest = arg[len("tcp:") :]
            m = _TCP_HOST_PORT.match(rest)
            if m is not None:
                host, port = m.group(1), m.group(2)
            else:
                m = _TCP_PORT_ONLY.match(rest)
                if m is None:
                    raise CompatParseError([_parse_error(arg)])
                host, port = "", m.group(1)
            store.do_parse(chardev, f"backend={SOCKET_BACKEND}", None)
            # qemu_opt_set(): the address parts are not re-split on commas.
            chardev.opts += [QemuOpt("host", host), QemuOpt("port", port)]
            if rest[m.end() : m.end() + 1] == ",":
                store.do_parse(chardev, rest[m.end() + 1 :], None)
            return
    except CompatParseError:
        _drop(store, chardev)
        raise
    except GenericError as e:
        _drop(store, chardev)
        raise CompatParseError([e.desc, _parse_error(arg)]) from e
    _drop(store, chardev)
    # chardev/char.c qemu_chr_parse_compat
    raise CompatParseError([f"'{arg}' is not a valid char driver", _parse_error(arg)])


def _parse_error(arg: str) -> str:
    # softmmu/vl.c monitor_parse
    return f"parse error: {arg}"


def _drop(store: OptsStore, opts: QemuOpts) -> None:
    store.groups[opts.opts_list.name].remove(opts)


def chardev_check(opts: QemuOpts) -> ChardevSpec:
    """qemu_chr_new_from_opts + qemu_chr_parse_socket's checks, without I/O.

    Returns what the server needs to open the socket.

    Raises:
        GenericError: QEMU's texts, in QEMU's order.
    """
    if opts.id is None:
        # chardev/char.c qemu_chr_new_from_opts
        raise GenericError("chardev: no id specified")
    backend = opts.get("backend") or ""
    if backend != SOCKET_BACKEND:
        # chardev/char.c qemu_chr_new_from_opts (char_get_class); other
        # QEMU backends are not emulated.
        raise GenericError(f"'{backend}' is not a valid char driver name")
    path, host, fd = opts.get("path"), opts.get("host"), opts.get("fd")
    if sum(v is not None for v in (path, host, fd)) > 1:
        # chardev/char-socket.c qemu_chr_parse_socket
        raise GenericError("None or one of 'path', 'fd' or 'host' option required.")
    if host is not None and opts.get("port") is None:
        # chardev/char-socket.c qemu_chr_parse_socket
        raise GenericError("chardev: socket: no port given")
    if opts.get("delay") is not None and opts.get("nodelay") is not None:
        # chardev/char-socket.c qemu_chr_parse_socket
        raise GenericError("'delay' and 'nodelay' are mutually exclusive")
    tls_creds = opts.get("tls-creds")
    if tls_creds is not None:
        # chardev/char-socket.c qmp_chardev_open_socket: no TLS credentials
        # object can exist here (tls-creds-* objects are not emulated), so
        # a TLS monitor is refused rather than served in plaintext.
        raise GenericError(f"No TLS credentials with id '{tls_creds}'")
    server = opts.get_bool("server", False)
    _validate(opts, server, is_fd=path is None and host is None)
    ipv4, ipv6 = _opt_bool(opts, "ipv4"), _opt_bool(opts, "ipv6")
    if host is not None and ipv4 is False and ipv6 is False:
        # util/qemu-sockets.c inet_ai_family_from_address
        raise GenericError("Cannot disable IPv4 and IPv6 at same time")
    _refuse_unemulated(opts)
    return ChardevSpec(
        id=opts.id,
        location=opts.location,
        server=server,
        wait=server and opts.get_bool("wait", True),
        path=path,
        host=host,
        port=opts.get("port") if host is not None else None,
        fd=_socket_fd(fd or "") if path is None and host is None else None,
        ipv4=ipv4,
        ipv6=ipv6,
        to=opts.get_number("to", 0) if opts.find("to") is not None else None,
        abstract=opts.get_bool("abstract", False),
        tight=opts.get_bool("tight", True),
        telnet=opts.get_bool("telnet", False),
        reconnect=opts.get_number("reconnect", 0),
    )


def _opt_bool(opts: QemuOpts, name: str) -> bool | None:
    return opts.get_bool(name, False) if opts.get(name) is not None else None


def _validate(opts: QemuOpts, server: bool, is_fd: bool) -> None:
    """chardev/char-socket.c qmp_chardev_validate_socket, in its order."""
    reconnect = opts.find("reconnect") is not None
    if is_fd and reconnect:
        raise GenericError("'reconnect' option is incompatible with 'fd' address type")
    if opts.get("tls-authz") is not None:
        raise GenericError("'tls_authz' option requires 'tls_creds' option")
    if server and reconnect:
        raise GenericError(
            "'reconnect' option is incompatible with socket in server listen mode"
        )
    if not server and opts.get_bool("websocket", False):
        raise GenericError("Websocket client is not implemented")
    if not server and opts.find("wait") is not None:
        raise GenericError("'wait' option is incompatible with socket in client connect mode")


def _refuse_unemulated(opts: QemuOpts) -> None:
    """Protocols QEMU can wrap around a socket that we do not speak.

    Serving plain QMP where a client expects WebSocket or TN3270 framing
    would only confuse it; say so instead.
    """
    for name in ("websocket", "tn3270"):
        if opts.get_bool(name, False):
            raise GenericError(f"'{name}' chardev sockets are not emulated")


def _socket_fd(text: str) -> int:
    try:
        return qemu_strtoi64(text, 10)
    except StrtoxError as e:
        # util/qemu-sockets.c socket_get_fd
        raise GenericError(f"Unable to parse FD number {text}") from e


def mon_init(mon: QemuOpts, chardevs: dict[str, ChardevSpec]) -> MonitorSpec:
    """mon_init_func: the MonitorOptions of one -mon, then monitor_init's checks.

    ``chardevs`` are the character devices created so far, by id.

    Raises:
        GenericError: QEMU's texts.
    """
    mode_text = mon.get("mode")
    modes = {m.value: m for m in MonitorMode}
    if mode_text is not None and mode_text not in modes:
        # qapi/opts-visitor.c (enum member of MonitorOptions)
        raise GenericError(f"Parameter 'mode' does not accept value '{mode_text}'")
    label = mon.get("chardev")
    if label is None:
        # qapi/opts-visitor.c (mandatory member of MonitorOptions)
        raise missing_parameter("chardev")
    chardev = chardevs.get(label)
    if chardev is None:
        # monitor/monitor.c monitor_init
        raise GenericError(f'chardev "{label}" not found')
    mode = modes[mode_text] if mode_text is not None else MonitorMode.READLINE
    pretty = mon.get_bool("pretty", False)
    if mode is MonitorMode.READLINE and pretty:
        # monitor/monitor.c monitor_init
        raise GenericError("'pretty' is not compatible with HMP monitors")
    return MonitorSpec(chardev=chardev, mode=mode, pretty=pretty)
