"""Errors as values: QEMU's error classes with QEMU's exact texts.

QEMU has five error classes (qapi/error.json); the detail lives in the text.
Every layer raises these; only the QMP dispatcher turns them into
``{"error": {"class": ..., "desc": ...}}`` and only the command line turns
them into ``prog: location: desc`` on stderr.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

__all__ = [
    "QMPError",
    "GenericError",
    "CommandNotFound",
    "DeviceNotActive",
    "DeviceNotFound",
    "KVMMissingCap",
    "FatalError",
    "Reporter",
    "CollectingReporter",
    "QERR_INVALID_PARAMETER_TYPE",
    "QERR_INVALID_PARAMETER_VALUE",
    "QERR_MISSING_PARAMETER",
    "QERR_INVALID_PARAMETER",
    "invalid_parameter_type",
    "invalid_parameter_value",
    "missing_parameter",
]


class QMPError(Exception):
    """An error with one of QEMU's classes and QEMU's description.

    ``hint`` is what QEMU adds with error_append_hint(): printed on the
    command line, on its own line, and never sent over QMP.
    """

    error_class: ClassVar[str] = "GenericError"

    def __init__(self, desc: str, hint: str | None = None) -> None:
        super().__init__(desc)
        self.desc = desc
        self.hint = hint

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.desc!r})"


class GenericError(QMPError):
    error_class = "GenericError"


class CommandNotFound(QMPError):
    error_class = "CommandNotFound"


class DeviceNotActive(QMPError):
    error_class = "DeviceNotActive"


class DeviceNotFound(QMPError):
    error_class = "DeviceNotFound"


# include/qapi/qmp/qerror.h: the visitors' texts, one home for every layer.
QERR_INVALID_PARAMETER_TYPE = "Invalid parameter type for '{name}', expected: {expected}"
QERR_INVALID_PARAMETER_VALUE = "Parameter '{name}' expects {expected}"
QERR_MISSING_PARAMETER = "Parameter '{name}' is missing"
QERR_INVALID_PARAMETER = "Parameter '{name}' is unexpected"


def invalid_parameter_type(name: str, expected: str) -> GenericError:
    """A value of the wrong JSON type (QObject input visitor)."""
    return GenericError(QERR_INVALID_PARAMETER_TYPE.format(name=name, expected=expected))


def invalid_parameter_value(name: str, expected: str) -> GenericError:
    """A value of the right type but out of range or malformed (any visitor)."""
    return GenericError(QERR_INVALID_PARAMETER_VALUE.format(name=name, expected=expected))


def missing_parameter(name: str) -> GenericError:
    return GenericError(QERR_MISSING_PARAMETER.format(name=name))


class KVMMissingCap(QMPError):
    error_class = "KVMMissingCap"


class FatalError(Exception):
    """QEMU would print ``message`` and exit(1): no reply, the process ends.

    Raised by a command whose failure QEMU treats as fatal, e.g. a NUMA
    configuration that x-exit-preconfig cannot complete.  It is not a
    QMPError, so the dispatcher lets it through to the server.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Reporter(Protocol):
    """Where the model sends what QEMU prints without failing.

    QEMU's warn_report() and error_report() print to stderr with a location
    prefix that depends on who is running the code (a command-line option,
    or a QMP command).  The model only says *what*; the caller's reporter
    decides *how*.
    """

    def warn(self, msg: str) -> None: ...

    def error(self, msg: str) -> None: ...


@dataclass
class CollectingReporter:
    """A reporter that keeps ``(kind, msg)`` pairs, kind being 'warning' or 'error'."""

    messages: list[tuple[str, str]] = field(default_factory=list)

    def warn(self, msg: str) -> None:
        self.messages.append(("warning", msg))

    def error(self, msg: str) -> None:
        self.messages.append(("error", msg))
