"""Tests for qmpnuma.protocol.session: one monitor's QMP protocol state.

Expected replies were recorded from qemu-system-x86_64 7.2 over a QMP unix
socket (byte for byte, CRLF included).
"""

from __future__ import annotations

import dataclasses

import pytest

from qmpnuma.errors import CommandNotFound, GenericError
from qmpnuma.frozen import FrozenResult
from qmpnuma.profile import QEMU_7_2, Profile
from qmpnuma.protocol.session import NO_ID, MonitorSession, Request


def session(*, negotiated: bool = False, oob: bool = False) -> MonitorSession:
    s = MonitorSession(QEMU_7_2)
    if negotiated or oob:
        s.enable_capabilities(["oob"] if oob else [])
    return s


def events(s: MonitorSession, data: bytes) -> list[Request | bytes]:
    s.receive_data(data)
    found = []
    while (event := s.next_event()) is not None:
        found.append(event)
    return found


def one(s: MonitorSession, data: bytes) -> Request | bytes:
    (event,) = events(s, data)
    return event


def test_greeting() -> None:
    profile = Profile(name="7.2", version=(7, 2, 22), package="Debian 1:7.2+dfsg-7",
                      latest_machine=(7, 2))
    assert MonitorSession(profile).greeting() == (
        b'{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, '
        b'"package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}}\r\n'
    )


def test_greeting_without_oob() -> None:
    greeting = MonitorSession(QEMU_7_2, oob_offered=False).greeting()
    assert greeting.endswith(b'"capabilities": []}}\r\n')


def test_request_fields() -> None:
    s = session(negotiated=True)
    assert one(s, b'{"execute": "stop", "arguments": {"a": [1]}, "id": "x"}') == Request(
        "x", "stop", {"a": [1]}, oob=False
    )
    assert one(s, b'{"execute": "stop"}') == Request(NO_ID, "stop", {}, oob=False)


def test_request_is_frozen() -> None:
    request = Request(NO_ID, "stop", {}, oob=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.command = "cont"  # type: ignore[misc]


def test_nothing_until_a_message_is_complete() -> None:
    s = session()
    s.receive_data(b'{"execute": "qmp_cap')
    assert s.next_event() is None
    s.receive_data(b'abilities"}')
    assert s.next_event() == Request(NO_ID, "qmp_capabilities", {}, oob=False)
    assert s.next_event() is None


def test_several_requests_in_one_chunk_come_in_order() -> None:
    s = session(negotiated=True)
    got = events(s, b'{"execute": "stop", "id": 1}{"execute": "cont", "id": 2}')
    assert [r.id for r in got if isinstance(r, Request)] == [1, 2]


# --- protocol errors, answered without dispatch -------------------------------


@pytest.mark.parametrize(
    ("data", "reply"),
    [
        (
            b'{ "execute": }',
            b'{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}',
        ),
        (
            b"\xff",
            b'{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\uFFFD\'"}}',
        ),
        (
            b"[1]",
            b'{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}',
        ),
        (
            b'"id"',
            b'{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}',
        ),
        (
            b'{"execute": 1, "id": 3}',
            b'{"id": 3, "error": {"class": "GenericError", '
            b'"desc": "QMP input member \'execute\' must be a string"}}',
        ),
        (
            b'{"id": 4}',
            b'{"id": 4, "error": {"class": "GenericError", '
            b'"desc": "QMP input lacks member \'execute\'"}}',
        ),
        (
            b'{"exec-oob": "query-status", "id": 2}',
            b'{"id": 2, "error": {"class": "GenericError", '
            b'"desc": "QMP input member \'exec-oob\' is unexpected"}}',
        ),
        (
            b'{"execute": "query-status", "arguments": []}',
            b'{"error": {"class": "GenericError", '
            b'"desc": "QMP input member \'arguments\' must be an object"}}',
        ),
        # Members are checked in QDict order, not input order.
        (
            b'{"foo": 1, "execute": "x", "arguments": 1}',
            b'{"error": {"class": "GenericError", '
            b'"desc": "QMP input member \'arguments\' must be an object"}}',
        ),
        (
            b'{"execute": "x", "foo": 1}',
            b'{"error": {"class": "GenericError", '
            b'"desc": "QMP input member \'foo\' is unexpected"}}',
        ),
    ],
)
def test_protocol_errors(data: bytes, reply: bytes) -> None:
    for s in (session(), session(negotiated=True)):
        assert one(s, data) == reply + b"\r\n"


def test_a_parse_error_reply_has_no_id() -> None:
    reply = one(session(), b'{"id": 1, "execute": }')
    assert isinstance(reply, bytes) and b'"id"' not in reply


# --- negotiation -----------------------------------------------------------


def test_commands_before_negotiation_are_rewritten() -> None:
    s = session()
    request = one(s, b'{"execute": "query-status", "id": 1}')
    assert isinstance(request, Request)
    reply = s.error_reply(request, CommandNotFound("The command query-status has not been found"))
    assert reply == (
        b'{"id": 1, "error": {"class": "CommandNotFound", '
        b'"desc": "Expecting capabilities negotiation with \'qmp_capabilities\'"}}\r\n'
    )


def test_only_command_not_found_is_rewritten() -> None:
    s = session()
    request = Request(NO_ID, "qmp_capabilities", {}, oob=False)
    reply = s.error_reply(request, GenericError("Capability oob not available"))
    assert reply == (
        b'{"error": {"class": "GenericError", "desc": "Capability oob not available"}}\r\n'
    )


def test_negotiation() -> None:
    s = session()
    assert s.negotiating and not s.oob_enabled
    s.enable_capabilities([])
    assert not s.negotiating and not s.oob_enabled


def test_enable_oob() -> None:
    s = session()
    s.enable_capabilities(["oob", "oob"])
    assert not s.negotiating and s.oob_enabled


def test_oob_not_offered_changes_nothing() -> None:
    s = MonitorSession(QEMU_7_2, oob_offered=False)
    with pytest.raises(GenericError, match="^Capability oob not available$"):
        s.enable_capabilities(["oob"])
    with pytest.raises(GenericError, match="^Capability oob, oob not available$"):
        s.enable_capabilities(["oob", "oob"])
    assert s.negotiating and not s.oob_enabled


def test_negotiating_twice() -> None:
    s = session(negotiated=True)
    with pytest.raises(CommandNotFound) as raised:
        s.enable_capabilities([])
    request = Request(5, "qmp_capabilities", {}, oob=False)
    assert s.error_reply(request, raised.value) == (
        b'{"id": 5, "error": {"class": "CommandNotFound", '
        b'"desc": "Capabilities negotiation is already complete, command ignored"}}\r\n'
    )


# --- out-of-band -----------------------------------------------------------


def test_exec_oob_once_enabled() -> None:
    s = session(oob=True)
    assert one(s, b'{"exec-oob": "migrate-pause", "id": 6}') == Request(
        6, "migrate-pause", {}, oob=True
    )


@pytest.mark.parametrize(
    "data",
    [
        b'{"exec-oob": "migrate-pause", "execute": "query-status", "id": 7}',
        b'{"execute": "query-status", "exec-oob": "migrate-pause", "id": 7}',
    ],
)
def test_execute_clashes_with_exec_oob(data: bytes) -> None:
    assert one(session(oob=True), data) == (
        b'{"id": 7, "error": {"class": "GenericError", '
        b"\"desc\": \"QMP input member 'execute' clashes with 'exec-oob'\"}}\r\n"
    )


# --- replies and events ----------------------------------------------------


@pytest.mark.parametrize(
    ("id_text", "echo"),
    [
        (b'"a"', b'"a"'),
        (b"'a'", b'"a"'),
        (b"-12", b"-12"),
        (b"1.0", b"1"),
        (b"1e400", b"inf"),
        (
            b'{"b": 1, "a": [true, false, null, {}], "c": {}, "": []}',
            b'{"": [], "a": [true, false, null, {}], "b": 1, "c": {}}',
        ),
        (b"[1, [2]]", b"[1, [2]]"),
        (b"null", b"null"),
        (b"true", b"true"),
        (b'"\\u00e9\xc3\xa9"', b'"\\u00E9\\u00E9"'),
    ],
)
def test_id_is_echoed_verbatim(id_text: bytes, echo: bytes) -> None:
    s = session(negotiated=True)
    request = one(s, b'{"execute": "query-status", "id": ' + id_text + b"}")
    assert isinstance(request, Request)
    assert s.reply(request, {"running": False, "singlestep": False, "status": "prelaunch"}) == (
        b'{"return": {"status": "prelaunch", "singlestep": false, "running": false}, "id": '
        + echo
        + b"}\r\n"
    )


def test_reply_without_data_or_id() -> None:
    s = session(negotiated=True)
    request = Request(NO_ID, "stop", {}, oob=False)
    assert s.reply(request, None) == b'{"return": {}}\r\n'
    assert s.reply(request, {}) == b'{"return": {}}\r\n'
    assert s.reply(request, [1]) == b'{"return": [1]}\r\n'


def test_error_reply_after_negotiation() -> None:
    s = session(negotiated=True)
    request = Request("x", "nosuch", {}, oob=False)
    assert s.error_reply(request, CommandNotFound("The command nosuch has not been found")) == (
        b'{"id": "x", "error": {"class": "CommandNotFound", '
        b'"desc": "The command nosuch has not been found"}}\r\n'
    )


def test_events() -> None:
    s = session(negotiated=True)
    assert s.event("STOP", None, 1700000000, 12) == (
        b'{"timestamp": {"seconds": 1700000000, "microseconds": 12}, "event": "STOP"}\r\n'
    )
    assert s.event("SHUTDOWN", {"guest": False, "reason": "host-qmp-quit"}, 1, 2) == (
        b'{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "SHUTDOWN", '
        b'"data": {"guest": false, "reason": "host-qmp-quit"}}\r\n'
    )


def test_no_events_while_negotiating() -> None:
    assert session().event("STOP", None, 1, 2) == b""


def test_pretty_monitor_breaks_lines_with_crlf() -> None:
    session = MonitorSession(QEMU_7_2, pretty=True)
    assert session.greeting().startswith(b'{\r\n    "QMP": {\r\n        "version": {\r\n')
    assert session.greeting().endswith(b"\r\n    }\r\n}\r\n")


@pytest.mark.parametrize("pretty", [False, True])
@pytest.mark.parametrize("request_id", [NO_ID, 1, "x", {"b": [1, {"c": None}], "a": {}}, []])
def test_a_frozen_result_is_written_as_its_value(pretty: bool, request_id: object) -> None:
    value = [{"name": "query-status", "meta-type": "command", "arg-type": "0"}, {}, [], "é"]
    frozen = FrozenResult(value)
    session = MonitorSession(QEMU_7_2, pretty=pretty)
    request = Request(request_id, "query-qmp-schema", {}, oob=False)
    expected = session.reply(request, value)
    assert session.reply(request, frozen) == expected
    # The second time from the bytes kept on the result.
    assert frozen.encodings and session.reply(request, frozen) == expected
