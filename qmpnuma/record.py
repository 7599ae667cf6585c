"""Recording a machine's QMP traffic as JSON lines, for scripts/replay.

One line per message, in the order the daemon saw them::

    {"time": 1764590000.123456, "monitor": 0, "direction": "in",
     "message": {"execute": "qmp_capabilities"}}

``direction`` is ``in`` (client to daemon) or ``out``; ``monitor`` numbers
the connections of the machine from 0, in the order they were accepted;
``time`` is seconds since the epoch.  A received chunk that is not exactly
one JSON value (a message split over writes, several in one, or bad input)
is kept verbatim as ``raw`` text instead of ``message``, so that a replay
sends the same bytes.  Outgoing messages are always whole JSON values.

The recorder wraps a monitor's trio streams: the server is none the wiser.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TextIO

import trio

from qmpnuma.server import MonitorEndpoint

__all__ = ["TrafficRecorder", "RecordingStream", "RecordingListener"]

#: Bytes that are not UTF-8 survive a round trip through the JSON line.
RAW_ERRORS = "surrogateescape"


class TrafficRecorder:
    """Writes the traffic of one machine's monitors to ``stream``."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.time) -> None:
        self.stream = stream
        self.clock = clock
        self._monitors = 0

    def new_monitor(self) -> int:
        """Number a new connection."""
        number, self._monitors = self._monitors, self._monitors + 1
        return number

    def received(self, monitor: int, data: bytes) -> None:
        text = data.decode("utf-8", RAW_ERRORS)
        try:
            self._write(monitor, "in", "message", json.loads(text))
        except ValueError:
            self._write(monitor, "in", "raw", text)

    def sent(self, monitor: int, message: object) -> None:
        self._write(monitor, "out", "message", message)

    def wrap(self, endpoint: MonitorEndpoint) -> MonitorEndpoint:
        """The endpoint with its listener and stream recording to us."""
        listener = endpoint.listener
        connected = endpoint.connected
        return replace(
            endpoint,
            listener=None if listener is None else RecordingListener(listener, self),
            connected=None if connected is None else RecordingStream(connected, self),
        )

    def _write(self, monitor: int, direction: str, key: str, value: object) -> None:
        line = {"time": self.clock(), "monitor": monitor, "direction": direction, key: value}
        # Flushed line by line: a test that fails still leaves its recording.
        self.stream.write(json.dumps(line) + "\n")
        self.stream.flush()


class RecordingStream(trio.abc.Stream):
    """A monitor connection whose traffic goes to a recorder as it passes."""

    def __init__(self, inner: trio.abc.Stream, recorder: TrafficRecorder) -> None:
        self.inner = inner
        self.recorder = recorder
        self.monitor = recorder.new_monitor()
        self._decoder = json.JSONDecoder()
        self._pending = ""

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        self._record_out(bytes(data))
        await self.inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        data = await self.inner.receive_some(max_bytes)
        if data:
            self.recorder.received(self.monitor, bytes(data))
        return data

    async def aclose(self) -> None:
        await self.inner.aclose()

    def _record_out(self, data: bytes) -> None:
        # The server writes whole messages, perhaps several at once.
        self._pending += data.decode("utf-8", RAW_ERRORS)
        while True:
            text = self._pending.lstrip()
            if not text:
                self._pending = ""
                return
            try:
                message, end = self._decoder.raw_decode(text)
            except ValueError:
                self._pending = text
                return
            self.recorder.sent(self.monitor, message)
            self._pending = text[end:]


class RecordingListener(trio.abc.Listener[trio.abc.Stream]):
    """A monitor listener whose connections record their traffic."""

    def __init__(self, inner: trio.abc.Listener[trio.abc.Stream],
                 recorder: TrafficRecorder) -> None:
        self.inner = inner
        self.recorder = recorder

    async def accept(self) -> trio.abc.Stream:
        return RecordingStream(await self.inner.accept(), self.recorder)

    async def aclose(self) -> None:
        await self.inner.aclose()
