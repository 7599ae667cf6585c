"""util/keyval.c parsing as -machine and -smp use it (QEMU 7.2 texts)."""

from __future__ import annotations

import pytest

from qmpnuma.cli.keyval import KeyvalDict, keyval_merge, keyval_parse_into
from qmpnuma.errors import GenericError


def parse(params: str, implied: str | None = "type") -> KeyvalDict:
    into: KeyvalDict = {}
    assert keyval_parse_into(into, params, implied) is False
    return into


def error(params: str, implied: str | None = "type") -> str:
    with pytest.raises(GenericError) as info:
        keyval_parse_into({}, params, implied)
    return info.value.desc


def test_implied_key_dotted_keys_and_last_wins() -> None:
    assert parse("pc,accel=tcg,smp.cpus=4,smp.cpus=2,hmat=on") == {
        "type": "pc",
        "accel": "tcg",
        "smp": {"cpus": "2"},
        "hmat": "on",
    }


def test_values_unescape_double_commas_but_the_implied_one_does_not() -> None:
    assert parse("pc,kernel=a,,b") == {"type": "pc", "kernel": "a,b"}
    # -machine pc,,x: the implied value ends at the first comma.
    assert error("pc,,x") == "Invalid parameter ''"


def test_errors() -> None:
    assert error("pc,hmat") == "Expected '=' after parameter 'hmat'"
    assert error("pc,=1") == "Invalid parameter ''"
    assert error(",") == "Invalid parameter ''"
    assert error("a=1,a.b=2") == "Parameters 'a.*' used inconsistently"
    assert error("0a=1") == "Invalid parameter '0a'"
    assert error("x" * 128 + "=1") == f"Parameter '{'x' * 128}' is too long"


def test_help() -> None:
    into: KeyvalDict = {}
    assert keyval_parse_into(into, "4,help", "cpus") is True
    assert into == {"cpus": "4"}


def test_merge() -> None:
    dest: KeyvalDict = {"smp": {"cpus": "4"}, "hmat": "on"}
    keyval_merge(dest, {"smp": {"sockets": "2"}, "hmat": "off"})
    assert dest == {"smp": {"cpus": "4", "sockets": "2"}, "hmat": "off"}
    with pytest.raises(GenericError, match="^Parameter 'memory' used inconsistently$"):
        keyval_merge({"memory": "1G"}, {"memory": {}})
