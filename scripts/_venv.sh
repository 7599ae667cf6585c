# Sourced by scripts/serve and scripts/test: make sure .venv exists and holds
# qmpnuma (editable) with the pinned dependencies of pyproject.toml.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.qmpnuma-installed"

ensure_venv() {
    local extras="$1"
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    # Reinstall only when pyproject.toml changed since the last install.
    if [ ! -f "$STAMP.$extras" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP.$extras" ]; then
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            -e "$ROOT[$extras]"
        touch "$STAMP.$extras"
    fi
}
