"""Fuzzing: coverage-guided targets (atheris) and hypothesis properties."""
