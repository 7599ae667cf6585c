"""The option table and vl.c's lookup_opt."""

from __future__ import annotations

import pytest

from qmpnuma.cli.options import Opt, OptionError, split_argv


def test_spellings_and_arguments() -> None:
    parsed = split_argv(["-S", "--numa", "node", "-m", "1G", "disk.img"])
    assert [p.option.opt if p.option else None for p in parsed] == [Opt.S, Opt.numa, Opt.m, None]
    assert [p.location for p in parsed] == ["-S", "--numa node", "-m 1G", "disk.img"]


@pytest.mark.parametrize(
    ("argv", "location", "desc"),
    [
        (["-bogus"], "-bogus", "invalid option"),
        (["-drive", "file=x"], "-drive", "invalid option"),
        (["-"], "-", "invalid option"),
        (["-m"], "-m", "requires an argument"),
        (["--m"], "--m", "requires an argument"),
        # The first pass finds a late bad word before an early bad value.
        (["-numa", "bogus", "-bogus"], "-bogus", "invalid option"),
    ],
)
def test_errors(argv: list[str], location: str, desc: str) -> None:
    with pytest.raises(OptionError) as info:
        split_argv(argv)
    assert (info.value.location, info.value.desc) == (location, desc)
