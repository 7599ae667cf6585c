"""Sans-I/O QMP: bytes in, requests out; replies and events in, bytes out.

Nothing here touches a socket or an event loop (compare h11): the server
feeds received bytes to a :class:`MonitorSession` and writes the bytes it
gets back.  ``json`` is QEMU's JSON dialect, ``session`` one monitor's
protocol state (monitor/qmp.c).
"""

from __future__ import annotations

from qmpnuma.protocol.json import JSONParseError, JSONStreamer, encode
from qmpnuma.protocol.session import NO_ID, MonitorSession, Request

__all__ = ["JSONParseError", "JSONStreamer", "encode", "NO_ID", "MonitorSession", "Request"]
