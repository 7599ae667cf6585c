"""pyproject.toml ships every package, and the schema as package data.

The package list is explicit because qmpnuma.schema lives outside the
package directory (it is the top-level schema/); a new subpackage must be
added to it, or the wheel would lack it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_is_listed() -> None:
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "qmpnuma").rglob("__init__.py")}
    assert set(SETUPTOOLS["packages"]) == found | {"qmpnuma.schema"}


def test_the_schema_package_is_the_schema_directory() -> None:
    assert SETUPTOOLS["package-dir"] == {"qmpnuma.schema": "schema"}
    assert (ROOT / "schema" / "__init__.py").is_file()


def test_every_schema_file_is_package_data() -> None:
    # Profiles keep their overlays in subdirectories (schema/10.0/).
    globs = SETUPTOOLS["package-data"]["qmpnuma.schema"]
    schema = ROOT / "schema"
    for path in schema.rglob("*.json"):
        relative = path.relative_to(schema)
        assert any(relative.match(glob) for glob in globs), relative
