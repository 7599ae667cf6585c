"""qmpnuma.chardev: telnet framing (chardev/char-socket.c tcp_chr_process_IAC_bytes)."""

from __future__ import annotations

import trio
import trio.testing

from qmpnuma.chardev import TELNET_INIT, TelnetStream


async def test_telnet_opens_with_its_negotiation_and_strips_commands() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    telnet = TelnetStream(theirs)
    await telnet.send_all(b"hello")
    await telnet.send_all(b"again")
    assert await ours.receive_some() == TELNET_INIT + b"hello" + b"again"
    # IAC DO ECHO (three bytes), IAC IAC (a data 0xFF), IAC BREAK (two bytes).
    await ours.send_all(b"a\xff\xfd\x01b\xff\xffc\xff\xf3d")
    assert await telnet.receive_some() == b"ab\xffcd"


async def test_a_command_split_across_reads_is_still_stripped() -> None:
    ours, theirs = trio.testing.memory_stream_pair()
    telnet = TelnetStream(theirs)
    await ours.send_all(b"x\xff")
    assert await telnet.receive_some() == b"x"
    # Only the rest of the command arrives: nothing to deliver yet, so wait.
    await ours.send_all(b"\xfb\x03")
    await ours.send_all(b"y")
    assert await telnet.receive_some() == b"y"
    await ours.send_eof()
    assert await telnet.receive_some() == b""
