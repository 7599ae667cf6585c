"""x86 CPU model facts: physical address width and vendor under TCG."""

from __future__ import annotations

import pytest

from qmpnuma.errors import GenericError
from qmpnuma.machine.cpu_models import (
    X86_CPU_MODELS,
    cpu_type_for_model,
    is_amd_model,
    x86_cpu_has_long_mode,
    x86_cpu_phys_bits,
)
from qmpnuma.machine.device_types import device_types
from qmpnuma.profile import QEMU_7_2, QEMU_10_0


@pytest.mark.parametrize(
    ("model", "bits"),
    [
        ("qemu64", 40), ("Skylake-Client-v4", 40), ("max", 40),
        ("pentium2", 36), ("athlon-v1", 36), ("kvm32", 36),
        ("pentium", 32), ("qemu32-v1", 32), ("486", 32), ("base", 32),
    ],
)  # fmt: skip
def test_phys_bits(model: str, bits: int) -> None:
    # As QEMU 7.2's "phys-bits too low (N)" reports them.
    assert x86_cpu_phys_bits(model) == bits


@pytest.mark.parametrize(
    ("model", "bits"),
    [
        ("qemu64", 40), ("pentium2", 36), ("qemu32-v1", 36), ("coreduo", 36), ("n270", 36),
        ("pentium", 32), ("486", 32), ("base", 32),
    ],
)  # fmt: skip
def test_phys_bits_with_pae(model: str, bits: int) -> None:
    # target/i386/cpu.c x86_cpu_realizefn since 8.2: PAE gives 36 bits too
    # (10.0's "phys-bits too low (36)" for qemu32).
    assert x86_cpu_phys_bits(model, pae_phys_bits_36=True) == bits


def test_long_mode() -> None:
    assert x86_cpu_has_long_mode("qemu64") and x86_cpu_has_long_mode("Skylake-Client-v4")
    assert not x86_cpu_has_long_mode("pentium3-v1") and not x86_cpu_has_long_mode("qemu32")


def test_amd_vendor() -> None:
    amd = {m for m in X86_CPU_MODELS if is_amd_model(m)}
    assert {"qemu64", "max", "athlon", "phenom-v1", "Opteron_G5", "EPYC-Rome"} <= amd
    # Dhyana is Hygon, not AMD.
    assert not {"Dhyana", "Skylake-Client", "qemu32", "kvm64"} & amd


def test_models_added_since_7_2_are_10_0s_only() -> None:
    assert cpu_type_for_model("GraniteRapids,+avx", QEMU_10_0) == "GraniteRapids-x86_64-cpu"
    with pytest.raises(GenericError, match="^unable to find CPU model 'GraniteRapids'$"):
        cpu_type_for_model("GraniteRapids", QEMU_7_2)
    assert "YongFeng-v2-x86_64-cpu" in device_types(QEMU_10_0).classes
    assert "YongFeng-v2-x86_64-cpu" not in device_types(QEMU_7_2).classes
