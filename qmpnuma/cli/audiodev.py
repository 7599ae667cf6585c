"""-audiodev: checked as QEMU 7.2 checks it, then forgotten.

QEMU counterpart: audio/audio.c audio_parse_option, which visits the
option (JSON, or keyval with the implied key ``driver``) as a QAPI
``Audiodev`` (qapi/audio.json).  qmpnuma plays no sound and nothing about
an audio back end shows on QMP in 7.2, so the option is only checked: the
base members and each driver's own top-level members; the per-direction
``in.*`` / ``out.*`` settings are accepted unchecked.
"""

from __future__ import annotations

from qmpnuma.cli.keyval import KeyvalDict
from qmpnuma.errors import GenericError
from qmpnuma.hashorder import first_unexpected

__all__ = ["AUDIODEV_IMPLIED_KEY", "audiodev_check", "audiodev_help"]

#: audio/audio.c: qobject_input_visitor_new_str(opt, "driver", ...)
AUDIODEV_IMPLIED_KEY = "driver"
#: qapi/audio.json Audiodev's base members, in visiting order.
_BASE = ("id", "driver", "timer-period")
_DIRECTIONS = ("in", "out")
#: qapi/audio.json: each AudiodevDriver's own members besides in/out.
_DRIVER_MEMBERS: dict[str, tuple[str, ...]] = {
    "none": (), "alsa": ("threshold",), "coreaudio": (), "dbus": (),
    "dsound": ("latency",), "jack": (), "oss": ("try-mmap", "exclusive", "dsp-policy"),
    "pa": ("server",), "sdl": (), "sndio": ("dev", "latency"), "spice": (),
    "wav": ("path",),
}  # fmt: skip
#: The drivers Debian's qemu-system-x86_64 7.2 has (-audiodev help).
_AVAILABLE = ("none", "alsa", "dbus", "jack", "oss", "pa", "sdl", "sndio", "spice", "wav")


def audiodev_help() -> str:
    """audio/audio.c audio_help."""
    return "Available audio drivers:\n" + "".join(f"{name}\n" for name in _AVAILABLE)


def audiodev_check(value: dict[str, object] | KeyvalDict) -> None:
    """visit_type_Audiodev's checks, with the QObject input visitor's texts.

    Raises:
        GenericError: a missing, unknown or unexpected member.
    """
    for member in ("id", "driver"):
        if member not in value:
            raise GenericError(f"Parameter '{member}' is missing")
    driver = value["driver"]
    if not isinstance(driver, str) or driver not in _DRIVER_MEMBERS:
        raise GenericError(f"Parameter 'driver' does not accept value '{driver}'")
    allowed = [*_BASE, *_DIRECTIONS, *_DRIVER_MEMBERS[driver]]
    extra = first_unexpected(list(value), allowed)
    if extra is not None:
        raise GenericError(f"Parameter '{extra}' is unexpected")
