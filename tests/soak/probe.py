"""The soak's probe, in a process of its own so that the load generator's
scheduling does not count: ``python -m tests.soak.probe SOCKET SECONDS``
prints the round trips of ``query-status`` (seconds) as a JSON list."""

from __future__ import annotations

import json
import socket
import sys
import time

#: Seconds between probes.
PROBE_EVERY = 0.05


def main(path: str, seconds: float) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(path)
    reader = sock.makefile("rb")
    reader.readline()
    sock.sendall(b'{"execute": "qmp_capabilities"}')
    reader.readline()
    trips: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        sock.sendall(b'{"execute": "query-status"}')
        while b'"return"' not in reader.readline():
            pass  # an event
        trips.append(time.perf_counter() - start)
        time.sleep(PROBE_EVERY)
    print(json.dumps(trips))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
