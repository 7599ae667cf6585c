"""Choosing a profile, and the machine types each profile registers."""

from __future__ import annotations

import pytest

from qmpnuma.__main__ import _choose_profile
from qmpnuma.cli.driver import CliError, smp_opts
from qmpnuma.cli.qemu_opts import qemu_opts_print_help
from qmpnuma.machine.device_types import device_types
from qmpnuma.machine.machine_types import find_machine_class, machine_class_names
from qmpnuma.profile import DEFAULT_PROFILE, PROFILE_ENV, QEMU_7_2, QEMU_10_0, SEED
from qmpnuma.qapi.schema import load_profile_schema


@pytest.fixture(autouse=True)
def no_profile_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROFILE_ENV, raising=False)


def test_7_2_is_the_default() -> None:
    assert _choose_profile(["-m", "1G"], None) == (DEFAULT_PROFILE, ["-m", "1G"])
    assert DEFAULT_PROFILE is QEMU_7_2


@pytest.mark.parametrize("option", ["-qmpnuma-profile", "--qmpnuma-profile"])
def test_the_option_is_taken_out_of_argv(option: str) -> None:
    assert _choose_profile(["-S", option, "10.0", "-m", "1G"], None) == (
        QEMU_10_0, ["-S", "-m", "1G"],
    )  # fmt: skip


def test_precedence_option_then_script_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROFILE_ENV, "seed")
    assert _choose_profile([], None)[0] is SEED
    assert _choose_profile([], "10.0")[0] is QEMU_10_0
    assert _choose_profile(["-qmpnuma-profile", "7.2"], "10.0")[0] is QEMU_7_2


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["-qmpnuma-profile", "9.9"], "unknown profile '9.9' (known: 7.2, 10.0, seed)"),
        (["-m", "1G", "-qmpnuma-profile"], "-qmpnuma-profile: requires an argument"),
    ],
)
def test_bad_choices(argv: list[str], line: str) -> None:
    with pytest.raises(CliError) as info:
        _choose_profile(argv, None)
    assert info.value.lines[0].endswith(line)
    assert info.value.status == 1


def test_10_0_machine_types() -> None:
    # qemu-system-x86_64 -machine help of Debian 13's QEMU 10.0.
    names = machine_class_names(QEMU_10_0)
    assert "pc-i440fx-2.3" not in names and "pc-i440fx-2.4" in names
    assert find_machine_class("q35", QEMU_10_0) == find_machine_class("pc-q35-10.0", QEMU_10_0)
    old = find_machine_class("pc-q35-7.0", QEMU_10_0)
    new = find_machine_class("pc-q35-7.1", QEMU_10_0)
    assert old is not None and new is not None
    assert old.deprecation_reason == (
        "machines more than 3 years old are subject to deletion after 6 years"
    )
    assert new.deprecation_reason is None


def test_7_2_keeps_its_own_deprecations() -> None:
    old = find_machine_class("pc-i440fx-1.7", QEMU_7_2)
    assert old is not None
    assert old.deprecation_reason == "old and unattended - use a newer version instead"
    assert find_machine_class("pc-i440fx-8.0", QEMU_7_2) is None


def test_each_profile_has_its_schema() -> None:
    # QEMU 10.0's query-qmp-schema: StatusInfo has lost 'singlestep'.
    for profile in (QEMU_7_2, QEMU_10_0, SEED):
        schema = load_profile_schema(profile.schema_dir)
        members = [m.name for m in schema.object_type("StatusInfo").members]
        assert sorted(members) == sorted(profile.status_info_members)


def test_10_0_cpus_have_a_module_id() -> None:
    cpu = "qemu64-x86_64-cpu"
    for profile, has in ((QEMU_7_2, False), (QEMU_10_0, True)):
        dc = device_types(profile).lookup(cpu)
        assert dc is not None
        assert (dc.find_property("module-id") is not None) == has


def test_smp_help_lists_the_profiles_members() -> None:
    # softmmu/vl.c qemu_smp_opts: sorted by qemu_opts_print_help.
    text = qemu_opts_print_help(smp_opts(QEMU_10_0))
    assert [line.split("=")[0].strip() for line in text.splitlines()[1:]] == sorted(
        QEMU_10_0.smp_members
    )
