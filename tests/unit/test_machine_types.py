"""Machine types of QEMU 7.2 (qemu-system-x86_64 -machine help)."""

from __future__ import annotations

import pytest

from qmpnuma.machine.machine_types import find_machine_class, machine_class_names
from qmpnuma.profile import QEMU_7_2


def test_aliases_point_to_the_newest_versions() -> None:
    pc = find_machine_class("pc", QEMU_7_2)
    q35 = find_machine_class("q35", QEMU_7_2)
    assert pc is not None and pc.name == "pc-i440fx-7.2"
    assert q35 is not None and q35.name == "pc-q35-7.2"
    assert find_machine_class("pc-i440fx-7.2", QEMU_7_2) == pc


@pytest.mark.parametrize("name", ["pc-i440fx-8.0", "pc-q35-2.3", "bogus", "microvm-x"])
def test_unknown_types(name: str) -> None:
    assert find_machine_class(name, QEMU_7_2) is None


def test_every_listed_name_resolves() -> None:
    names = machine_class_names(QEMU_7_2)
    assert "pc-q35-4.0.1" in names and "none" in names and "pc-i440fx-1.4" in names
    assert all(find_machine_class(name, QEMU_7_2) is not None for name in names)


@pytest.mark.parametrize(
    ("name", "mem", "memhp", "memdev", "max_cpus"),
    [
        ("pc-i440fx-5.0", True, True, False, 255),
        ("pc-i440fx-5.1", False, True, True, 255),
        ("pc-i440fx-2.10", True, False, False, 255),
        ("pc-i440fx-2.11", True, True, False, 255),
        ("pc-q35-7.2", False, True, True, 288),
        ("pc-q35-2.7", True, False, False, 255),
    ],
)
def test_compat_flags(name: str, mem: bool, memhp: bool, memdev: bool, max_cpus: int) -> None:
    mc = find_machine_class(name, QEMU_7_2)
    assert mc is not None
    assert mc.numa_mem_supported is mem
    assert mc.auto_enable_numa_with_memhp is memhp
    assert mc.auto_enable_numa_with_memdev is memdev
    assert mc.max_cpus == max_cpus


def test_none_machine_has_no_numa() -> None:
    mc = find_machine_class("none", QEMU_7_2)
    assert mc is not None and not mc.has_numa and mc.max_cpus == 1


def test_old_types_are_deprecated() -> None:
    old = find_machine_class("pc-i440fx-1.7", QEMU_7_2)
    assert old is not None
    assert old.deprecation_reason == "old and unattended - use a newer version instead"
    new = find_machine_class("pc-i440fx-2.0", QEMU_7_2)
    assert new is not None and new.deprecation_reason is None
