"""The soak's probe, in a process of its own so that the load generator's
scheduling does not count: ``python -m tests.soak.probe SOCKET OUTPUT``
appends the round trip of each ``query-status`` (seconds) to OUTPUT, one a
line, until it is killed."""

from __future__ import annotations

import socket
import sys
import time

#: Seconds between probes.
PROBE_EVERY = 0.05


def main(path: str, output: str) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(path)
    reader = sock.makefile("rb")
    reader.readline()
    sock.sendall(b'{"execute": "qmp_capabilities"}')
    reader.readline()
    with open(output, "w") as trips:
        while True:
            start = time.perf_counter()
            sock.sendall(b'{"execute": "query-status"}')
            while b'"return"' not in reader.readline():
                pass  # an event
            print(time.perf_counter() - start, file=trips, flush=True)
            time.sleep(PROBE_EVERY)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
