"""Fuzz targets: one function per input surface, bytes in, invariants checked.

Each target takes arbitrary bytes and raises AssertionError (or lets an
unexpected exception escape) only on a defect: the JSON reader and a
monitor session, QemuOpts, keyval, and whole command lines.  They are
driven by atheris (``python -m tests.fuzz TARGET``) and, with a bounded
budget, by the test suite.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable

from qmpnuma.cli.driver import CliError, CliReporter, configure
from qmpnuma.cli.keyval import keyval_parse_into
from qmpnuma.cli.options import BOOT_OPTS, CHARDEV_OPTS, MEMORY_OPTS, MON_OPTS, NUMA_OPTS
from qmpnuma.cli.qemu_opts import HelpRequested, OptsStore
from qmpnuma.errors import QMPError
from qmpnuma.profile import DEFAULT_PROFILE
from qmpnuma.protocol.json import JSONParseError, JSONStreamer, encode
from qmpnuma.protocol.session import MonitorSession, Request

__all__ = ["TARGETS", "json_reader", "session", "qemu_opts", "keyval", "command_line"]

#: Small limits, so that the limit paths are reached by short inputs.
_LIMITS = {"max_token_size": 256, "max_token_count": 64, "max_nesting": 8}


def _cut(data: bytes) -> tuple[int, bytes]:
    """A split point chosen by the input's first byte, and the rest."""
    if not data:
        return 0, data
    return data[0], data[1:]


def json_reader(data: bytes) -> None:
    """Any cut of the stream gives the same messages; every message encodes."""
    cut, stream = _cut(data)
    cut = min(cut, len(stream))
    whole = JSONStreamer(**_LIMITS).feed(stream)
    split = JSONStreamer(**_LIMITS)
    pieces = split.feed(stream[:cut]) + split.feed(stream[cut:])
    assert repr(pieces) == repr(whole), (stream, cut)
    for message in whole:
        if not isinstance(message, JSONParseError):
            encode(message)


def session(data: bytes) -> None:
    """A monitor answers any bytes with QEMU-shaped errors or requests."""
    monitor = MonitorSession(DEFAULT_PROFILE)
    monitor.receive_data(data)
    while (event := monitor.next_event()) is not None:
        if isinstance(event, Request):
            assert isinstance(event.command, str) and isinstance(event.arguments, dict)
            continue
        assert event.endswith(b"\r\n")
        reply = json.loads(event)
        assert set(reply) <= {"error", "id"} and set(reply["error"]) == {"class", "desc"}


_OPTS_LISTS = (NUMA_OPTS, MEMORY_OPTS, CHARDEV_OPTS, BOOT_OPTS, MON_OPTS)


def qemu_opts(data: bytes) -> None:
    """QemuOpts parsing fails only with QEMU's errors (or asks for help)."""
    which, rest = _cut(data)
    opts_list = _OPTS_LISTS[which % len(_OPTS_LISTS)]
    with contextlib.suppress(QMPError, HelpRequested):
        OptsStore().parse_noisily(
            opts_list, rest.decode(errors="replace"), "-x", CliReporter("q", io.StringIO())
        )


def keyval(data: bytes) -> None:
    """keyval parsing fails only with QEMU's errors."""
    which, rest = _cut(data)
    with contextlib.suppress(QMPError):
        keyval_parse_into({}, rest.decode(errors="replace"), "type" if which & 1 else None)


def command_line(data: bytes) -> None:
    """A command line is configured or refused with QEMU's lines, nothing else."""
    argv = [arg for arg in data.decode(errors="replace").split("\0") if arg != "-daemonize"]
    stderr = io.StringIO()
    try:
        configure(argv, DEFAULT_PROFILE, CliReporter("qmpnuma", stderr))
    except CliError as err:
        assert err.status in (0, 1) and (err.lines or err.stdout or err.status == 0)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "json": json_reader,
    "session": session,
    "qemu-opts": qemu_opts,
    "keyval": keyval,
    "cmdline": command_line,
}
