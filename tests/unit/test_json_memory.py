"""Long non-ASCII strings cost memory in proportion to their size.

Issue 11, item 3: a 60 MB ``id`` of "é" took 2.47 GB peak (QEMU 7.2:
532 MB), the writer escaping character by character.  The text QEMU sends
back is 6 bytes per "é"; here the whole round (read, reply, write) must
stay within a small multiple of that.
"""

from __future__ import annotations

import json
import tracemalloc

from qmpnuma.errors import GenericError
from qmpnuma.profile import DEFAULT_PROFILE
from qmpnuma.protocol.session import MonitorSession, Request

CHARS = 1 << 20
#: Bytes of the echoed id in the reply: ``\u00E9`` per character.
REPLY_SIZE = 6 * CHARS


def test_a_long_non_ascii_id_is_read_and_echoed_in_bounded_memory() -> None:
    session = MonitorSession(DEFAULT_PROFILE)
    message = json.dumps({"execute": "x", "id": "é" * CHARS}, ensure_ascii=False).encode()
    tracemalloc.start()
    try:
        for start in range(0, len(message), 1 << 16):
            session.receive_data(message[start : start + (1 << 16)])
        request = session.next_event()
        assert isinstance(request, Request)
        reply = session.error_reply(request, GenericError("x"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reply.count(b"\\u00E9") == CHARS
    # The reply as text and as bytes, the id and the input: about 4x.
    assert peak < 5 * REPLY_SIZE, peak


def test_caches_keyed_by_client_data_stay_small() -> None:
    # Issue 11, item 4: no cache may hold client data without a byte bound.
    # Distinct id objects of the largest cached shape (16 keys, 256
    # characters, none of it ASCII) fill every cache to its limit.
    session = MonitorSession(DEFAULT_PROFILE)
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for i in range(3000):
            keys = [f"{i:04}{k:02}" + "é" * 10 for k in range(16)]
            reply = session.reply(Request({k: 0 for k in keys}, "x", {}, False), None)
            assert reply.endswith(b"\r\n")
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held - before < 8 << 20, held - before
