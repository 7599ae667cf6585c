"""The fleet's spec file and control schema, without sockets."""

from __future__ import annotations

from pathlib import Path

import pytest

from qmpnuma.errors import GenericError
from qmpnuma.fleet_control import FLEET_SCHEMA_PATH, load_spec
from qmpnuma.qapi.introspect import command_names
from qmpnuma.qapi.schema import load_schema

SCHEMA = load_schema(FLEET_SCHEMA_PATH)


def test_the_control_schema_declares_the_fleet_commands() -> None:
    assert set(command_names(SCHEMA)) == {
        "qmp_capabilities", "query-version", "query-commands", "query-qmp-schema", "quit",
        "machine-add", "machine-del", "query-machines-fleet"}


def test_spec_entries_are_machine_add_arguments(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text('{"machines": [{"name": "a", "argv": ["-m", "1G"], "log": "a.log"}]}')
    assert load_spec(spec, SCHEMA) == [{"name": "a", "argv": ["-m", "1G"], "log": "a.log"}]


@pytest.mark.parametrize(("text", "error"), [
    ('{"machines": [{"name": "a"}]}', "Parameter 'argv' is missing"),
    ('{"machines": [{"name": "a", "argv": "-m 1G"}]}',
     "Invalid parameter type for 'argv', expected: array"),
    ('{"machines": [{"name": "a", "argv": [], "size": 1}]}', "Parameter 'size' is unexpected"),
    ('{"machine": []}', "must be an object with a 'machines' list"),
    ("[", "Could not read spec file"),
])
def test_a_bad_spec_is_refused_with_the_qmp_text(tmp_path: Path, text: str, error: str) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(text)
    with pytest.raises(GenericError, match=error.replace("(", r"\(")):
        load_spec(spec, SCHEMA)
