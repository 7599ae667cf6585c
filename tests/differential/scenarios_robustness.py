"""Start-up errors of the robustness issue (11) against QEMU 7.2.

Bad ``-pidfile`` paths; socket chardev options; the smaller command-line
differences the black-box probe found.
"""

from __future__ import annotations

from tests.differential.harness import Scenario

__all__ = ["SCENARIOS"]


def fails(name: str, *args: str) -> Scenario:
    """A command line QEMU refuses: exit status and stderr only."""
    return Scenario(f"robust-{name}", args, negotiate=False)


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
]
# fmt: on
