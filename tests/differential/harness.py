"""Run one scenario against an emulator binary and record what it did.

A scenario is a command line plus QMP steps (raw bytes included).  The same
scenario runs against ``qmpnuma`` and, when it is installed, against an
oracle: QEMU 7.2 (the installed ``qemu-system-x86_64``, the default) or QEMU
10.0 (Debian 13's, unpacked by scripts/oracle-qemu-10.0), with qmpnuma
running the matching profile; the normalised transcripts must be equal.
The oracle is chosen by ``QMPNUMA_ORACLE=10.0`` or ``--oracle 10.0``.  Only volatile values are
normalised: the greeting's version, event timestamps, thread ids and the
program name in stderr.

This module is also the oracle tool for developers:

    python -m tests.differential.harness qemu -m 1G -numa node
    python -m tests.differential.harness both -m 1G -- '{"execute":"query-status"}'
    python -m tests.differential.harness both --oracle 10.0 -m 1G -- ...
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Step",
    "Scenario",
    "Transcript",
    "qmp",
    "raw",
    "hmp",
    "QEMU_BINARY",
    "ORACLE",
    "oracle_command",
    "run",
    "run_qemu",
    "run_qmpnuma",
    "normalise",
]

QEMU_BINARY = shutil.which("qemu-system-x86_64")
#: The oracle of this run: the QEMU release, which is also qmpnuma's profile.
ORACLE = os.environ.get("QMPNUMA_ORACLE", "7.2")
#: Where scripts/oracle-qemu-10.0 unpacks Debian 13 (trixie) with QEMU 10.0.
TRIXIE_ROOT = Path(os.environ.get("QMPNUMA_ORACLE_CACHE", "/var/cache/qmpnuma")) / "trixie"
#: What every differential run puts in front of the scenario's own options,
#: so that QEMU runs without devices, display or KVM.
BASE_ARGS = ("-nodefaults", "-nographic", "-display", "none", "-machine", "pc,accel=tcg")
QMPNUMA_COMMAND = (sys.executable, "-m", "qmpnuma")
REPO = Path(__file__).resolve().parents[2]

#: Seconds to wait for the monitor socket, or for a reply.
START_TIMEOUT = 15.0
REPLY_TIMEOUT = 10.0
#: Seconds the first reply may take.  QEMU sends the greeting from its
#: monitor I/O thread as soon as a client connects, but runs commands in the
#: main loop, which starts once the machine is built: 255 vCPUs and 128
#: backends take QEMU 10.0 well over REPLY_TIMEOUT on a loaded host.
FIRST_REPLY_TIMEOUT = 60.0
#: Seconds to listen after a step that expects no reply.
SETTLE_TIME = 0.3
#: Seconds a process may take to exit by itself after the last step.
EXIT_GRACE = 0.3


@dataclass(frozen=True)
class Step:
    """Bytes to send and how many non-event messages answer them."""

    send: bytes
    replies: int = 1
    #: Compare the reply's ``return`` list as a multiset: QEMU's order comes
    #: from a hash table there (query-memdev, qom-list, query-commands).
    unordered: bool = False


def qmp(execute: str, arguments: object = None, id: object = None, **kw: object) -> Step:
    """A QMP command step."""
    msg: dict[str, object] = {"execute": execute}
    if arguments is not None:
        msg["arguments"] = arguments
    if id is not None:
        msg["id"] = id
    return Step(json.dumps(msg).encode(), **kw)  # type: ignore[arg-type]


def hmp(command_line: str) -> Step:
    """A human-monitor-command step."""
    return qmp("human-monitor-command", {"command-line": command_line})


def raw(data: bytes | str, replies: int = 1) -> Step:
    """Raw bytes on the wire, for the JSON and framing rules."""
    return Step(data.encode() if isinstance(data, str) else data, replies)


@dataclass(frozen=True)
class Scenario:
    name: str
    args: tuple[str, ...]
    steps: tuple[Step, ...] = ()
    #: Send qmp_capabilities first (and record its reply like any step).
    negotiate: bool = True
    #: Talk to a pretty-printing monitor (-qmp-pretty); messages are then
    #: recorded as their exact text, line breaks and indentation included.
    pretty: bool = False


@dataclass
class Transcript:
    greeting: object = None
    #: One list per step: every message received for it, events included.
    exchanges: list[list[object]] = field(default_factory=list)
    #: None when the process was still running at the end (and was killed).
    returncode: int | None = None
    stderr: list[str] = field(default_factory=list)


class _Monitor:
    """A blocking line reader on the QMP socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.eof = False

    def read_message(self, timeout: float, pretty: bool) -> bytes | None:
        """One message: a line, or a pretty one up to its closing ``}`` line."""
        if not pretty:
            return self.read_line(timeout)
        lines = []
        while (line := self.read_line(timeout)) is not None:
            lines.append(line)
            if line == b"}\r\n":
                return b"".join(lines)
        return None

    def read_line(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if self.eof or left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"


def _wait_for_socket(path: str, proc: subprocess.Popen[bytes]) -> socket.socket | None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        if os.path.exists(path):
            sock = socket.socket(socket.AF_UNIX)
            try:
                sock.connect(path)
                return sock
            except OSError:
                sock.close()
        time.sleep(0.01)
    raise TimeoutError(f"no monitor socket at {path}")


def _parse(line: bytes, pretty: bool = False) -> object:
    try:
        message = json.loads(line)
    except ValueError:
        return {"<unparsable>": line.decode("utf-8", "replace")}
    if pretty:
        # Keep the exact text; only an event's timestamp is volatile.
        text = line.decode()
        if isinstance(message, dict) and "timestamp" in message:
            text = re.sub(r'("seconds": |"microseconds": )\d+', r"\g<1>0", text)
        return {"<pretty>": text, "event": message.get("event")}
    return message


def _exchange(
    mon: _Monitor, step: Step, pretty: bool, timeout: float = REPLY_TIMEOUT
) -> list[object]:
    mon.sock.sendall(step.send)
    got: list[object] = []
    replies = 0
    while replies < step.replies:
        line = mon.read_message(timeout, pretty)
        if line is None:
            got.append("<EOF>" if mon.eof else "<TIMEOUT>")
            return got
        msg = _parse(line, pretty)
        got.append(msg)
        if not (isinstance(msg, dict) and msg.get("event")):
            replies += 1
    if step.replies == 0:
        while (line := mon.read_message(SETTLE_TIME, pretty)) is not None:
            got.append(_parse(line, pretty))
    return got


def run(
    command: tuple[str, ...], scenario: Scenario, env: dict[str, str] | None = None
) -> Transcript:
    """Start ``command`` with the scenario's options and play its steps.

    ``env`` is added to the environment.
    """
    with tempfile.TemporaryDirectory(prefix="qmpnuma-diff-") as tmp:
        sock_path = os.path.join(tmp, "qmp.sock")
        argv = [*command, *BASE_ARGS, *scenario.args]
        if scenario.steps or scenario.negotiate:
            qmp_option = "-qmp-pretty" if scenario.pretty else "-qmp"
            argv += [qmp_option, f"unix:{sock_path},server=on,wait=off"]
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env={**os.environ, **(env or {})},
        )
        t = Transcript()
        closed = True
        try:
            sock = _wait_for_socket(sock_path, proc) if sock_path in argv[-1] else None
            if sock is not None:
                closed = False
                with sock:
                    mon = _Monitor(sock)
                    _play(mon, scenario, t)
                    closed = mon.eof
        finally:
            if proc.poll() is None:
                # A process that closed its monitor (or never had one: a
                # command line that must fail) is on its way out: give it all
                # the time it needs.  One still serving gets a short grace.
                grace = START_TIMEOUT if closed else EXIT_GRACE
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait()
                else:
                    t.returncode = proc.returncode
            else:
                t.returncode = proc.returncode
            assert proc.stderr is not None
            t.stderr = proc.stderr.read().decode("utf-8", "replace").splitlines()
        return t


def _play(mon: _Monitor, scenario: Scenario, t: Transcript) -> None:
    line = mon.read_message(START_TIMEOUT, scenario.pretty)
    if line is None:
        return
    t.greeting = _parse(line, scenario.pretty)
    steps = scenario.steps
    if scenario.negotiate:
        steps = (qmp("qmp_capabilities"), *steps)
    for i, step in enumerate(steps):
        timeout = REPLY_TIMEOUT if i else FIRST_REPLY_TIMEOUT
        t.exchanges.append(_exchange(mon, step, scenario.pretty, timeout))
        if mon.eof:
            break


#: Where Debian's QEMU loads its modules from (a path built in, not relocated).
MODULE_DIR = "/usr/lib/x86_64-linux-gnu/qemu"


def _own_modules(root: Path) -> tuple[str, ...]:
    """A prefix that shows QEMU 10.0 the root's modules where it looks for them.

    The host's are 7.2's: 10.0 refuses them and aborts when qom-list-types
    or -device help loads every module.  A private mount namespace puts the
    root's directory over the host's.  Root makes it directly, so that QEMU
    keeps CAP_IPC_LOCK (-overcommit mem-lock=on's mlockall needs it, as
    QEMU 7.2 run by root has it); anyone else gets it in a user namespace.
    """
    if not os.path.isdir(MODULE_DIR):
        return ()
    user_ns = () if os.geteuid() == 0 else ("--map-root-user",)
    bind = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'
    return ("unshare", *user_ns, "--mount", "sh", "-c", bind, "sh",
            f"{root}{MODULE_DIR}", MODULE_DIR)  # fmt: skip


def _trixie_qemu() -> tuple[str, ...] | None:
    """QEMU 10.0 run from the unpacked root through that root's own loader."""
    root = TRIXIE_ROOT
    if not (root / ".qmpnuma-complete").exists():
        return None
    libs = f"{root}/usr/lib/x86_64-linux-gnu:{root}/lib/x86_64-linux-gnu"
    return (
        *_own_modules(root),
        f"{root}/lib64/ld-linux-x86-64.so.2", "--library-path", libs,
        # The program name QEMU prints in its messages, as if installed.
        "--argv0", "qemu-system-x86_64",
        f"{root}/usr/bin/qemu-system-x86_64",
        "-L", f"{root}/usr/share/qemu", "-L", f"{root}/usr/share/seabios",
    )  # fmt: skip


def oracle_command(oracle: str | None = None) -> tuple[str, ...] | None:
    """How to start the oracle QEMU ``oracle`` (default ORACLE); None if absent."""
    oracle = oracle or ORACLE
    if oracle == "7.2":
        return None if QEMU_BINARY is None else (QEMU_BINARY,)
    if oracle == "10.0":
        return _trixie_qemu()
    raise ValueError(f"no oracle for QEMU {oracle} (known: 7.2, 10.0)")


def run_qemu(scenario: Scenario, oracle: str | None = None) -> Transcript:
    command = oracle_command(oracle)
    assert command is not None, f"the QEMU {oracle or ORACLE} oracle is not installed"
    return run(command, scenario)


def run_qmpnuma(scenario: Scenario, profile: str | None = None) -> Transcript:
    """qmpnuma with the profile of ``profile`` (default: the oracle's)."""
    return run(QMPNUMA_COMMAND, scenario, {"QMPNUMA_PROFILE": profile or ORACLE})


def _normalise_value(value: object, key: str | None = None) -> object:
    if isinstance(value, dict):
        if key == "timestamp":
            return {"seconds": 0, "microseconds": 0}
        return {k: _normalise_value(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise_value(v) for v in value]
    if key == "thread-id" and isinstance(value, int):
        return 0
    if key == "package" and isinstance(value, str):
        # query-version's distribution string (the greeting's is dropped too).
        return ""
    if isinstance(value, str):
        # HMP ``info cpus`` prints the vCPU thread ids too.
        return _HMP_THREAD_ID.sub("thread_id=0", value)
    return value


_HMP_THREAD_ID = re.compile(r"thread_id=\d+")
#: -msg timestamp=on's prefix (util/error-report.c real_time_iso8601).
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z ")
#: The program name, after the optional time and guest name.
_PROGRAM = re.compile(r"(?:qemu-system-x86_64|qmpnuma|__main__\.py): ")


def _prog_free(line: str) -> str:
    return _PROGRAM.sub("PROG: ", _TIMESTAMP.sub("TIME ", line), count=1)


def _keep_order(value: object) -> object:
    """Dicts as lists of (key, value): QEMU's key order must match too."""
    if isinstance(value, dict):
        return [(k, _keep_order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_keep_order(v) for v in value]
    return value


def _sorted_return(msg: object) -> object:
    if isinstance(msg, dict) and isinstance(msg.get("return"), list):
        items = msg["return"]
        return {**msg, "return": sorted(items, key=lambda v: json.dumps(v, sort_keys=True))}
    return msg


def normalise(t: Transcript, scenario: Scenario) -> dict[str, object]:
    """What must be equal between QEMU and qmpnuma."""
    greeting = t.greeting
    if isinstance(greeting, dict) and "QMP" in greeting:
        greeting = {"QMP": {**greeting["QMP"], "version": "<VERSION>"}}
    elif isinstance(greeting, dict) and "<pretty>" in greeting:
        text = re.sub(r'"package": "[^"]*"', '"package": ""', str(greeting["<pretty>"]))
        greeting = {"<pretty>": text}
    steps = scenario.steps
    if scenario.negotiate:
        steps = (qmp("qmp_capabilities"), *steps)
    if t.exchanges[:1] == [["<EOF>"]] or (t.returncode is not None and not t.exchanges):
        # Died while starting: whether QEMU's monitor thread managed to send
        # the greeting before the main thread exited is a race.
        greeting, t = None, Transcript(None, [], t.returncode, t.stderr)
    exchanges = []
    for step, got in zip(steps, t.exchanges, strict=False):
        msgs = [_normalise_value(m) for m in got]
        if step.unordered:
            msgs = [_sorted_return(m) for m in msgs]
        exchanges.append([_keep_order(m) for m in msgs])
    return {
        "greeting": _keep_order(greeting),
        "exchanges": exchanges,
        "returncode": t.returncode,
        "stderr": [_prog_free(line) for line in t.stderr],
    }


def _main(argv: list[str]) -> int:
    """``harness.py qemu|qmpnuma|both [--oracle V] ARGS... [-- JSON-OR-RAW ...]``.

    Prints the transcripts, and whether they are the same.
    """
    which, rest = argv[0], argv[1:]
    oracle = ORACLE
    if rest[:1] == ["--oracle"]:
        oracle, rest = rest[1], rest[2:]
    args, steps = rest, []
    if "--" in rest:
        i = rest.index("--")
        args, steps = rest[:i], [raw(s) for s in rest[i + 1 :]]
    scenario = Scenario("cli", tuple(args), tuple(steps))
    targets = ["qemu", "qmpnuma"] if which == "both" else [which]
    results = {}
    for target in targets:
        run_target = run_qemu if target == "qemu" else run_qmpnuma
        t = run_target(scenario, oracle)
        results[target] = normalise(t, scenario)
        print(f"== {target}")
        print(json.dumps(results[target], indent=1))
    if len(results) == 2:
        same = results["qemu"] == results["qmpnuma"]
        print("== SAME" if same else "== DIFFERENT")
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
