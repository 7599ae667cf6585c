"""qmpnuma.record over trio's in-memory streams: what a recording holds."""

from __future__ import annotations

import io
import json

import trio
import trio.testing

from qmpnuma.record import RecordingStream, TrafficRecorder


def _entries(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_messages_in_and_out_with_their_monitor() -> None:
    log = io.StringIO()
    recorder = TrafficRecorder(log, clock=lambda: 12.5)
    client, server = trio.testing.memory_stream_pair()
    first = RecordingStream(server, recorder)
    second = RecordingStream(trio.testing.memory_stream_pair()[1], recorder)
    await client.send_all(b'{"execute": "query-status"}')
    assert await first.receive_some() == b'{"execute": "query-status"}'
    # The server may write several messages at once, each ending in CRLF.
    await first.send_all(b'{"return": {}}\r\n{"event": "STOP"}\r\n')
    assert (first.monitor, second.monitor) == (0, 1)
    assert _entries(log) == [
        {"time": 12.5, "monitor": 0, "direction": "in", "message": {"execute": "query-status"}},
        {"time": 12.5, "monitor": 0, "direction": "out", "message": {"return": {}}},
        {"time": 12.5, "monitor": 0, "direction": "out", "message": {"event": "STOP"}},
    ]


async def test_input_that_is_not_one_message_is_kept_verbatim() -> None:
    log = io.StringIO()
    client, server = trio.testing.memory_stream_pair()
    stream = RecordingStream(server, TrafficRecorder(log))
    for chunk in (b'{"execute": ', b'"stop"}{"execute": "cont"}', b"\xff}"):
        await client.send_all(chunk)
        await stream.receive_some()
    raws = [entry["raw"] for entry in _entries(log)]
    assert raws == ['{"execute": ', '"stop"}{"execute": "cont"}', "\udcff}"]
    assert raws[2].encode("utf-8", "surrogateescape") == b"\xff}"


async def test_a_message_split_over_writes_is_recorded_once_whole() -> None:
    log = io.StringIO()
    stream = RecordingStream(trio.testing.memory_stream_pair()[1], TrafficRecorder(log))
    await stream.send_all(b'{"return": {"a')
    assert _entries(log) == []
    await stream.send_all(b'": 1}}\r\n')
    assert [entry["message"] for entry in _entries(log)] == [{"return": {"a": 1}}]
