"""One QMP monitor's protocol state, without I/O.

Counterparts in QEMU 7.2: monitor/qmp.c (greeting, capabilities
negotiation, the error rewrite while negotiating, responses and events),
monitor/qmp-cmds-control.c (qmp_capabilities' own checks) and the request
checks of qapi/qmp-dispatch.c (qmp_dispatch_check_obj).

The server passes received bytes to :meth:`MonitorSession.receive_data`,
then calls :meth:`MonitorSession.next_event` until it returns None: each
:class:`Request` goes to the dispatcher, each ``bytes`` is a finished error
reply to send as is.  Replies and events come back as bytes ending in CRLF.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass
from typing import Final

from qmpnuma.errors import CommandNotFound, GenericError, QMPError
from qmpnuma.frozen import FrozenResult
from qmpnuma.hashorder import qdict_order
from qmpnuma.profile import Profile
from qmpnuma.protocol.json import JSONParseError, JSONStreamer, encode, encode_line

__all__ = ["NO_ID", "Request", "MonitorSession"]

#: Every message QEMU sends ends with CRLF (monitor/qmp.c qmp_send_response).
LINE_END: Final = b"\r\n"
#: One level of qobject_to_json_pretty()'s indentation.
_PRETTY_INDENT: Final = b"    "

#: QMPCapability (qapi/control.json).  ``oob`` is offered on monitors whose
#: chardev can run in the monitor I/O thread, which includes unix sockets.
CAPABILITY_OOB: Final = "oob"

# monitor/qmp.c monitor_qmp_dispatch(): the "more useful error message"
# that replaces any CommandNotFound while negotiating.
EXPECTING_NEGOTIATION: Final = "Expecting capabilities negotiation with 'qmp_capabilities'"


#: The members of an ordinary request (``exec-oob`` aside).
_PLAIN_MEMBERS: Final = frozenset({"execute", "arguments", "id"})


class _NoId(enum.Enum):
    NO_ID = "NO_ID"

    def __repr__(self) -> str:
        return "NO_ID"


#: ``Request.id`` of a request that had no ``id`` member.
NO_ID: Final = _NoId.NO_ID


@dataclass(frozen=True, slots=True)
class Request:
    """A command that passed the protocol checks and goes to dispatch.

    Don't subclass this.
    """

    #: The ``id`` member, any JSON value, echoed verbatim; NO_ID when absent.
    id: object
    #: The ``execute`` (or ``exec-oob``) member.
    command: str
    #: The ``arguments`` member; empty when absent.
    arguments: dict[str, object]
    #: True when the command came as ``exec-oob``.
    oob: bool


class MonitorSession:
    """The protocol side of one QMP monitor (MonitorQMP in monitor/qmp.c).

    Args:
        profile: the emulated release, for the greeting's version.
        oob_offered: whether the greeting offers the ``oob`` capability.
        pretty: write every message pretty-printed (``-qmp-pretty``,
            ``-mon ...,pretty=on``), its line breaks sent as ``\r\n``.
    """

    def __init__(
        self, profile: Profile, *, oob_offered: bool = True, pretty: bool = False
    ) -> None:
        self._profile = profile
        self._pretty = pretty
        self._offered = [CAPABILITY_OOB] if oob_offered else []
        self._streamer = JSONStreamer()
        self._inbox: deque[object | JSONParseError] = deque()
        self._negotiating = True
        self._oob_enabled = False

    @property
    def negotiating(self) -> bool:
        """True until qmp_capabilities succeeds (capabilities negotiation mode)."""
        return self._negotiating

    @property
    def pretty(self) -> bool:
        """Whether this monitor pretty-prints its messages."""
        return self._pretty

    @property
    def oob_enabled(self) -> bool:
        """Whether the client enabled ``oob`` (so ``exec-oob`` is accepted)."""
        return self._oob_enabled

    def greeting(self) -> bytes:
        """qmp_greeting(): the banner sent when a client connects."""
        major, minor, micro = self._profile.version
        version = {
            "qemu": {"major": major, "minor": minor, "micro": micro},
            "package": self._profile.package,
        }
        return self._line({"QMP": {"version": version, "capabilities": list(self._offered)}})

    def receive_data(self, data: bytes) -> None:
        """Take bytes from the client; any slice of the stream will do.

        Bytes of an unfinished message are held by the JSON streamer, within
        QEMU's per-message limits (json.MAX_TOKEN_SIZE and friends): a peer
        that floods or never closes a brace gets a limit error, not memory.
        """
        self._inbox.extend(self._streamer.feed(data))

    def next_event(self) -> Request | bytes | None:
        """The next complete input: a Request, a ready error reply, or None.

        None means more data is needed.  Errors that QEMU reports before a
        command is looked up come back as reply bytes: JSON parse errors
        (never with an ``id``) and malformed requests (with the ``id`` when
        the request was an object that had one).  Looking the command up,
        with only ``qmp_capabilities`` known while negotiating, is the
        dispatcher's job.
        """
        if not self._inbox:
            return None
        message = self._inbox.popleft()
        if isinstance(message, JSONParseError):
            return self._error_line(GenericError.error_class, message.desc, NO_ID)
        if not isinstance(message, dict):
            # qapi/qmp-dispatch.c qmp_dispatch()
            return self._error_line(
                GenericError.error_class, "QMP input must be a JSON object", NO_ID
            )
        request_id = message.get("id", NO_ID)
        try:
            return self._check_obj(message, request_id)
        except QMPError as e:
            return self._error_reply(request_id, e)

    def enable_capabilities(self, enable: list[str]) -> None:
        """qmp_qmp_capabilities(): switch ``enable`` on and leave negotiation.

        ``enable`` holds QMPCapability names the QAPI layer has validated.
        Nothing changes when this raises.

        Raises:
            CommandNotFound: negotiation is already over.
            GenericError: a capability the monitor did not offer
                (``Capability oob not available``).
        """
        if not self._negotiating:
            # monitor/qmp-cmds-control.c qmp_qmp_capabilities()
            raise CommandNotFound("Capabilities negotiation is already complete, command ignored")
        unavailable = [name for name in enable if name not in self._offered]
        if unavailable:
            # monitor/qmp-cmds-control.c qmp_caps_accept()
            raise GenericError(f"Capability {', '.join(unavailable)} not available")
        self._oob_enabled = CAPABILITY_OOB in enable
        self._negotiating = False

    def reply(self, request: Request, result: object) -> bytes:
        """The success response to ``request``: ``{"return": ..., "id": ...}``.

        ``result`` is the command's QAPI-shaped return value; None stands for
        a command without one, which QEMU answers with ``{}``.  A
        FrozenResult is encoded once and its bytes reused.
        """
        if isinstance(result, FrozenResult):
            return self._frozen_reply(request, result)
        response: dict[str, object] = {"return": {} if result is None else result}
        if request.id is not NO_ID:
            response["id"] = request.id
        return self._line(response)

    def error_reply(self, request: Request, error: QMPError) -> bytes:
        """The error response to ``request``: ``{"id": ..., "error": ...}``.

        While negotiating, a CommandNotFound reads ``Expecting capabilities
        negotiation with 'qmp_capabilities'`` (monitor_qmp_dispatch()).
        """
        return self._error_reply(request.id, error)

    def event(
        self, name: str, data: dict[str, object] | None, seconds: int, microseconds: int
    ) -> bytes:
        """qmp_event_build_dict(): an event as sent to this monitor.

        Empty while negotiating: monitor_qapi_event_emit() skips monitors
        that have not finished capabilities negotiation.
        """
        if self._negotiating:
            return b""
        message: dict[str, object] = {
            "timestamp": {"seconds": seconds, "microseconds": microseconds},
            "event": name,
        }
        if data is not None:
            message["data"] = data
        return self._line(message)

    def _error_reply(self, request_id: object, error: QMPError) -> bytes:
        desc = error.desc
        if self._negotiating and error.error_class == CommandNotFound.error_class:
            desc = EXPECTING_NEGOTIATION
        return self._error_line(error.error_class, desc, request_id)

    def _check_obj(self, message: dict[str, object], request_id: object) -> Request:
        """qmp_dispatch_check_obj(): the members of a request object.

        QEMU walks the members in QDict order, not input order, so when two
        members are wrong the one that comes first in that order is reported.

        Raises:
            GenericError: with QEMU's text for the first bad member.
        """
        command = message.get("execute")
        arguments = message.get("arguments", {})
        if (
            isinstance(command, str)
            and isinstance(arguments, dict)
            and _PLAIN_MEMBERS.issuperset(message)
        ):
            # Nothing to report, so no member order to follow.
            return Request(request_id, command, arguments, oob=False)
        return self._check_obj_in_order(message, request_id)

    def _check_obj_in_order(self, message: dict[str, object], request_id: object) -> Request:
        """_check_obj() member by member, in QDict order."""
        exec_key: str | None = None
        for key in qdict_order(message):
            value = message[key]
            if key == "execute" or (key == "exec-oob" and self._oob_enabled):
                if not isinstance(value, str):
                    raise GenericError(f"QMP input member '{key}' must be a string")
                if exec_key is not None:
                    raise GenericError(f"QMP input member '{key}' clashes with '{exec_key}'")
                exec_key = key
            elif key == "arguments":
                if not isinstance(value, dict):
                    raise GenericError("QMP input member 'arguments' must be an object")
            elif key != "id":
                raise GenericError(f"QMP input member '{key}' is unexpected")
        if exec_key is None:
            raise GenericError("QMP input lacks member 'execute'")
        command = message[exec_key]
        arguments = message.get("arguments", {})
        assert isinstance(command, str) and isinstance(arguments, dict)
        return Request(request_id, command, arguments, oob=exec_key == "exec-oob")

    def _frozen_reply(self, request: Request, result: FrozenResult) -> bytes:
        body = result.encodings.get(self._pretty)
        if body is None:
            body = result.encodings[self._pretty] = encode(result.value, self._pretty)
        members = {"return": body}
        if request.id is not NO_ID:
            members["id"] = encode(request.id, self._pretty)
        # The members in QDict order, laid out as qobject_to_json() would.
        order = qdict_order(members)
        if self._pretty:
            nested = b"\n" + _PRETTY_INDENT
            text = b"{" + b",".join(
                nested + b'"%s": ' % key.encode() + members[key].replace(b"\n", nested)
                for key in order
            ) + b"\n}"
        else:
            text = b"{" + b", ".join(b'"%s": ' % k.encode() + members[k] for k in order) + b"}"
        return text.replace(b"\n", LINE_END) + LINE_END

    def _line(self, message: dict[str, object]) -> bytes:
        return encode_line(message, self._pretty)

    def _error_line(self, error_class: str, desc: str, request_id: object) -> bytes:
        """qmp_error_response(), plus the ``id`` that qmp_dispatch() adds."""
        response: dict[str, object] = {"error": {"class": error_class, "desc": desc}}
        if request_id is not NO_ID:
            response["id"] = request_id
        return self._line(response)
