"""The floors of docs/architecture.md: imports point down only.

The model and the protocol are sans-I/O: they import no trio, no sockets and
(for the model) no JSON.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "qmpnuma"
BOTTOM = {"errors", "profile", "cutils", "hashorder", "facts", "frozen"}
#: What each floor may import from qmpnuma, itself included.
ALLOWED: dict[str, set[str]] = {
    "errors": {"errors"},
    "profile": {"profile"},
    "cutils": {"cutils", "errors"},
    "hashorder": {"hashorder"},
    "facts": {"facts", "profile"},
    "data": set(),
    "frozen": {"frozen"},
    "machine": {"machine"} | BOTTOM,
    "protocol": {"protocol"} | BOTTOM,
    "commands": {"commands", "machine"} | BOTTOM,
    "qapi": {"qapi", "commands", "machine"} | BOTTOM,
    "cli": {"cli", "qapi", "machine"} | BOTTOM,
    "server": {"server", "protocol", "qapi", "commands", "machine"} | BOTTOM,
    "chardev": {"chardev", "server", "cli"} | BOTTOM,
    "record": {"record", "server"} | BOTTOM,
    "launch": {"launch", "cli", "machine"} | BOTTOM,
    "fleet": {"fleet", "chardev", "server", "record", "launch", "cli", "qapi",
              "machine"} | BOTTOM,
    "fleet_control": {"fleet_control", "fleet", "protocol", "qapi", "commands", "machine"}
                     | BOTTOM,
    "pytest_plugin": {"pytest_plugin", "fleet", "machine"} | BOTTOM,
    "__main__": {"__main__", "vcpu_threads", "chardev", "server", "cli", "protocol", "qapi",
                 "commands", "machine", "launch", "record"} | BOTTOM,
    "vcpu_threads": {"vcpu_threads"},
    "__init__": set(),
}
#: Third-party and stdlib modules a floor must not touch.
FORBIDDEN: dict[str, set[str]] = {
    "machine": {"trio", "socket", "json", "asyncio", "subprocess"},
    "protocol": {"trio", "socket", "asyncio", "subprocess"},
    "commands": {"trio", "socket", "asyncio", "subprocess"},
    "qapi": {"trio", "socket", "asyncio", "subprocess"},
}


def _floor(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_imports_point_down(path: Path) -> None:
    floor = _floor(path)
    for name in _imports(path):
        top, _, rest = name.partition(".")
        if top == "qmpnuma":
            target = rest.split(".")[0]
            assert target in ALLOWED[floor], f"{floor} must not import qmpnuma.{target}"
        else:
            assert top not in FORBIDDEN.get(floor, set()), f"{floor} must not import {top}"
