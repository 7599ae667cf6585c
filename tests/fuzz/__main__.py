"""Run one coverage-guided fuzz target with atheris (libFuzzer).

    python -m tests.fuzz TARGET [libFuzzer options] [CORPUS_DIR ...]

TARGET is one of tests.fuzz.targets.TARGETS (json, session, qemu-opts,
keyval, cmdline).  For example, a million inputs into the JSON reader:

    .venv/bin/python -m tests.fuzz json -atheris_runs=1000000

libFuzzer prints its progress on stderr and stops at the first input that
breaks an invariant, saving it as crash-<sha1> in the current directory.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["qmpnuma"]):
    from tests.fuzz.targets import TARGETS


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: python -m tests.fuzz {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[argv[1]]
    atheris.Setup([argv[0], *argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
