"""Start-up errors of the robustness issue (11) against QEMU 7.2.

Bad ``-pidfile`` paths; socket chardev options; the smaller command-line
differences the black-box probe found.
"""

from __future__ import annotations

from tests.differential.harness import Scenario, Step, qmp

__all__ = ["SCENARIOS"]


def fails(name: str, *args: str) -> Scenario:
    """A command line QEMU refuses: exit status and stderr only."""
    return Scenario(f"robust-{name}", args, negotiate=False)


def runs(name: str, args: tuple[str, ...], *steps: Step) -> Scenario:
    return Scenario(f"robust-{name}", ("-S", *args), steps)


MEMFD, FILE = "memory-backend-memfd", "memory-backend-file"


def backend(qom_type: str, ident: str, size: int, **props: object) -> Step:
    extra = {"mem-path": "/tmp"} if qom_type == FILE else {}
    return qmp("object-add", {"qom-type": qom_type, "id": ident, "size": size, **extra, **props})


def hmp_on(cpu_index: int) -> Step:
    return qmp("human-monitor-command", {"command-line": "info numa", "cpu-index": cpu_index})


# fmt: off
SCENARIOS: list[Scenario] = [
    fails("pidfile-missing-dir", "-pidfile", "/nonexistent/dir/vm.pid"),
    fails("pidfile-is-a-directory", "-pidfile", "/"),
    fails("pidfile-empty", "-pidfile", ""),
    # The pidfile comes before the machine's own errors (vl.c qemu_maybe_daemonize).
    fails("pidfile-before-numa", "-numa", "node,memdev=nope", "-pidfile", "/nonexistent/x"),
    # TLS is refused, never served in plaintext (chardev/char-socket.c).
    fails("tls-unix", "-qmp", "unix:/tmp/qmpnuma-never.sock,server=on,wait=off,tls-creds=x"),
    fails("tls-tcp", "-qmp", "tcp:127.0.0.1:1,server=on,wait=off,tls-creds=sec0"),
    fails("tls-chardev", "-chardev", "socket,id=c,host=127.0.0.1,port=1,server=on,tls-creds=t",
          "-mon", "c,mode=control"),
    fails("tls-authz-alone", "-qmp", "tcp:127.0.0.1:1,server=on,wait=off,tls-authz=a"),
    fails("ipv4-and-ipv6-off", "-qmp", "tcp::1,server=on,wait=off,ipv4=off,ipv6=off"),
    fails("delay-and-nodelay", "-qmp", "tcp::1,server=on,wait=off,delay=on,nodelay=on"),
    fails("reconnect-server", "-qmp", "unix:/tmp/qmpnuma-never.sock,server=on,reconnect=1"),
    fails("reconnect-fd", "-chardev", "socket,id=c,fd=3,reconnect=1", "-mon", "c,mode=control"),
    fails("websocket-client", "-qmp", "tcp:127.0.0.1:1,websocket=on"),
    fails("unix-path-too-long", "-qmp", "unix:/tmp/" + "x" * 120 + ",server=on,wait=off"),
    fails("abstract-too-long", "-qmp", "unix:" + "y" * 108 + ",server=on,wait=off,abstract=on"),
    fails("abstract-client-refused", "-qmp", "unix:qmpnuma-nobody-here,abstract=on"),
    # Item 12: the smaller differences.
    fails("smp-negative", "-smp", "-4"),
    fails("smp-negative-maxcpus", "-smp", "1,maxcpus=-2"),
    fails("cpu-empty", "-cpu", ""),
    fails("cpu-empty-model", "-cpu", ",foo"),
    fails("image-before-numa-error", "disk.img", "-numa", "node,memdev=x"),
    fails("image-after-numa-error", "-numa", "node,memdev=x", "disk.img"),
    runs("hmp-cpu-index-truncated", ("-smp", "2"),
         hmp_on(5), hmp_on(2**32 + 1), hmp_on(-1), hmp_on(2**63 - 1), hmp_on(-(2**32))),
    runs("backend-sizes-wrap", (),
         backend(MEMFD, "a", 2**64 - 1), backend(MEMFD, "b", -1), backend(MEMFD, "c", 2**63),
         backend(FILE, "d", 2**64 - 1), backend(FILE, "e", -1), backend(FILE, "f", 2**64 - 4095),
         qmp("query-memdev", unordered=True)),
    runs("qom-list-empty-path", (),
         qmp("qom-list", {"path": ""}), qmp("qom-get", {"path": "", "property": "type"})),
    # object-add's link property (qom/object.c object_resolve_link).
    runs("prealloc-context", (),
         backend(MEMFD, "m0", 1 << 20),
         backend(MEMFD, "a", 1 << 20, **{"prealloc-context": "1"}),
         backend(MEMFD, "b", 1 << 20, **{"prealloc-context": "m0"}),
         backend(MEMFD, "c", 1 << 20, **{"prealloc-context": "/objects/m0"}),
         backend(MEMFD, "d", 1 << 20, **{"prealloc-context": "/machine"}),
         backend(MEMFD, "e", 1 << 20, **{"prealloc-context": "objects"}),
         backend(MEMFD, "f", 1 << 20, **{"prealloc-context": ""}),
         backend(MEMFD, "g", 1 << 20, **{"prealloc-context": 5}),
         qmp("qom-get", {"path": "/objects/f", "property": "prealloc-context"}),
         qmp("query-memdev", unordered=True)),
    fails("prealloc-context-cli-missing",
          "-object", "memory-backend-ram,id=m,size=1M,prealloc-context=nope"),
    fails("prealloc-context-cli-wrong-type",
          "-object", "memory-backend-ram,id=m,size=1M,prealloc-context=machine"),
]
# fmt: on
