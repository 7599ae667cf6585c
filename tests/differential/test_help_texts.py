"""The help texts (``-h``, ``-version``, ``... help``) against the oracle's.

The scenarios of test_differential.py compare the monitor and stderr; these
texts go to stdout.  qmpnuma prints QEMU's texts restricted to what it
models, so a listing must be the oracle's with lines left out (and equal
where everything is modelled), with the profile matching the oracle
(harness.ORACLE, ``QMPNUMA_ORACLE=10.0`` for QEMU 10.0).
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.differential import harness

#: Listings whose every entry qmpnuma models: the same bytes.
SAME = (
    ("-cpu", "help"),
    ("-device", "pc-dimm,help"), ("-device", "nvdimm,help"),
    ("-device", "virtio-mem-pci,help"), ("-device", "virtio-pmem-pci,help"),
    ("-device", "virtio-balloon-pci,help"), ("-device", "piix3-usb-uhci,help"),
    ("-object", "memory-backend-ram,help"), ("-object", "memory-backend-file,help"),
    ("-object", "memory-backend-memfd,help"), ("-object", "secret,help"),
)  # fmt: skip
#: Listings restricted to the modelled machine types, devices, objects and
#: accelerators.
RESTRICTED = (("-machine", "help"), ("-device", "help"), ("-object", "help"), ("-accel", "help"))


def _stdout(command: tuple[str, ...], args: tuple[str, ...], env: dict[str, str]) -> str:
    proc = subprocess.run(
        [*command, *args], capture_output=True, text=True, env={**os.environ, **env}, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _both(args: tuple[str, ...]) -> tuple[str, str]:
    """(qmpnuma's text, the oracle's) for ``args``."""
    oracle = harness.oracle_command()
    if oracle is None:
        pytest.skip(f"the QEMU {harness.ORACLE} oracle is not installed")
    ours = _stdout(harness.QMPNUMA_COMMAND, args, {"QMPNUMA_PROFILE": harness.ORACLE})
    return ours, _stdout(oracle, args, {})


def _is_subsequence(lines: list[str], of: list[str]) -> bool:
    rest = iter(of)
    return all(line in rest for line in lines)


@pytest.mark.parametrize("args", SAME, ids=" ".join)
def test_same_listing(args: tuple[str, ...]) -> None:
    ours, theirs = _both(args)
    assert ours == theirs


@pytest.mark.parametrize("args", RESTRICTED, ids=" ".join)
def test_restricted_listing(args: tuple[str, ...]) -> None:
    ours, theirs = _both(args)
    # QEMU's lines in QEMU's order, titles and blank lines included.
    assert ours and _is_subsequence(ours.splitlines(), theirs.splitlines())


def test_version_names_the_release() -> None:
    ours, theirs = _both(("-version",))
    # QEMU's package is the distribution's; qmpnuma's says what it is.
    release = theirs.split(" (", 1)[0]
    assert ours.startswith(release + " (qmpnuma ")


def test_usage_is_qemus_for_the_options_we_take() -> None:
    ours, theirs = _both(("-h",))
    # After qmpnuma's introduction and before its own options: QEMU's
    # sections, with the entries of the options qmpnuma refuses left out.
    start = ours.index("Standard options:\n")
    qemu_part = ours[start:].split("\nqmpnuma options:\n", 1)[0]
    assert _is_subsequence(qemu_part.splitlines(), theirs.splitlines())
