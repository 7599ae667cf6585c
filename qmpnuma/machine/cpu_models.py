"""x86 CPU models: what ``-cpu MODEL[,features]`` may name (target/i386/cpu.c).

The names are those ``qemu-system-x86_64 -cpu help`` lists in QEMU 7.2,
versioned ones and aliases alike, and a profile's later ones
(x86_cpu_models); each is a QOM type ``<model>-x86_64-cpu``, which is what
query-hotpluggable-cpus reports as ``type``.
"""

from __future__ import annotations

import functools
import re

from qmpnuma.errors import GenericError
from qmpnuma.profile import Profile

__all__ = [
    "X86_CPU_MODELS",
    "x86_cpu_models",
    "HOST_MODEL",
    "X86_CPU_TYPE_SUFFIX",
    "cpu_model_name",
    "cpu_type_for_model",
    "is_amd_model",
    "TCG_PHYS_ADDR_BITS",
    "x86_cpu_phys_bits",
    "x86_cpu_has_long_mode",
]

X86_CPU_MODELS = frozenset((
    "486", "486-v1", "Broadwell", "Broadwell-IBRS", "Broadwell-noTSX",
    "Broadwell-noTSX-IBRS", "Broadwell-v1", "Broadwell-v2", "Broadwell-v3", "Broadwell-v4",
    "Cascadelake-Server", "Cascadelake-Server-noTSX", "Cascadelake-Server-v1",
    "Cascadelake-Server-v2", "Cascadelake-Server-v3", "Cascadelake-Server-v4",
    "Cascadelake-Server-v5", "Conroe", "Conroe-v1", "Cooperlake", "Cooperlake-v1",
    "Cooperlake-v2", "Denverton", "Denverton-v1", "Denverton-v2", "Denverton-v3", "Dhyana",
    "Dhyana-v1", "Dhyana-v2", "EPYC", "EPYC-IBPB", "EPYC-Milan", "EPYC-Milan-v1",
    "EPYC-Rome", "EPYC-Rome-v1", "EPYC-Rome-v2", "EPYC-v1", "EPYC-v2", "EPYC-v3", "Haswell",
    "Haswell-IBRS", "Haswell-noTSX", "Haswell-noTSX-IBRS", "Haswell-v1", "Haswell-v2",
    "Haswell-v3", "Haswell-v4", "Icelake-Server", "Icelake-Server-noTSX",
    "Icelake-Server-v1", "Icelake-Server-v2", "Icelake-Server-v3", "Icelake-Server-v4",
    "Icelake-Server-v5", "Icelake-Server-v6", "IvyBridge", "IvyBridge-IBRS", "IvyBridge-v1",
    "IvyBridge-v2", "KnightsMill", "KnightsMill-v1", "Nehalem", "Nehalem-IBRS",
    "Nehalem-v1", "Nehalem-v2", "Opteron_G1", "Opteron_G1-v1", "Opteron_G2",
    "Opteron_G2-v1", "Opteron_G3", "Opteron_G3-v1", "Opteron_G4", "Opteron_G4-v1",
    "Opteron_G5", "Opteron_G5-v1", "Penryn", "Penryn-v1", "SandyBridge", "SandyBridge-IBRS",
    "SandyBridge-v1", "SandyBridge-v2", "Skylake-Client", "Skylake-Client-IBRS",
    "Skylake-Client-noTSX-IBRS", "Skylake-Client-v1", "Skylake-Client-v2",
    "Skylake-Client-v3", "Skylake-Client-v4", "Skylake-Server", "Skylake-Server-IBRS",
    "Skylake-Server-noTSX-IBRS", "Skylake-Server-v1", "Skylake-Server-v2",
    "Skylake-Server-v3", "Skylake-Server-v4", "Skylake-Server-v5", "Snowridge",
    "Snowridge-v1", "Snowridge-v2", "Snowridge-v3", "Snowridge-v4", "Westmere",
    "Westmere-IBRS", "Westmere-v1", "Westmere-v2", "athlon", "athlon-v1", "core2duo",
    "core2duo-v1", "coreduo", "coreduo-v1", "kvm32", "kvm32-v1", "kvm64", "kvm64-v1",
    "n270", "n270-v1", "pentium", "pentium-v1", "pentium2", "pentium2-v1", "pentium3",
    "pentium3-v1", "phenom", "phenom-v1", "qemu32", "qemu32-v1", "qemu64", "qemu64-v1",
    "base", "host", "max"
))  # fmt: skip
#: Needs a hardware accelerator; we emulate TCG only.
HOST_MODEL = "host"
#: Models whose CPUID vendor is AMD (under TCG ``max`` is too): QEMU warns
#: about their hyperthreading (target/i386/cpu.c x86_cpu_realizefn) and
#: moves their RAM above 1 TiB (hw/i386/pc.c pc_memory_init).
_AMD_FAMILIES = ("qemu64", "max", "athlon", "phenom", "Opteron_G", "EPYC")
#: target/i386/cpu.h: the physical address width of every 64-bit CPU under TCG.
TCG_PHYS_ADDR_BITS = 40
#: Models without long mode (versions stripped), those of them with PSE36,
#: and those with PAE but not PSE36 (PPRO_FEATURES).
_PSE36_MODELS = frozenset(("athlon", "kvm32", "pentium2", "pentium3"))
_PAE_ONLY_MODELS = frozenset(("coreduo", "n270", "qemu32"))
_NO_LM_MODELS = _PSE36_MODELS | _PAE_ONLY_MODELS | {"486", "base", "pentium"}
#: target/i386/cpu.h X86_CPU_TYPE_SUFFIX for qemu-system-x86_64.
X86_CPU_TYPE_SUFFIX = "-x86_64-cpu"


@functools.cache
def x86_cpu_models(profile: Profile) -> frozenset[str]:
    """The CPU models of ``profile``'s release: 7.2's and those added since."""
    return X86_CPU_MODELS | frozenset(profile.new_x86_cpu_models)


def cpu_model_name(option: str) -> str:
    """The model part of ``-cpu MODEL[,features]``."""
    return option.split(",", 1)[0]


def is_amd_model(model: str) -> bool:
    """IS_AMD_CPU for a model's CPUID vendor."""
    return model.startswith(_AMD_FAMILIES)


def _base_model(model: str) -> str:
    return re.sub(r"-v[0-9]+$", "", model)


def x86_cpu_has_long_mode(model: str) -> bool:
    """CPUID_EXT2_LM in the model's features (a 64-bit CPU)."""
    return _base_model(model) not in _NO_LM_MODELS


def x86_cpu_phys_bits(model: str, *, pae_phys_bits_36: bool = False) -> int:
    """X86CPU::phys_bits under TCG (target/i386/cpu.c x86_cpu_realizefn).

    32-bit models get 36 bits with PSE36, and with PAE when
    ``pae_phys_bits_36`` (Profile.pae_phys_bits_36), else 32; the
    ``phys-bits`` feature flag is not modelled (see cpu_type_for_model).
    """
    name = _base_model(model)
    if x86_cpu_has_long_mode(name):
        return TCG_PHYS_ADDR_BITS
    if name in _PSE36_MODELS or (pae_phys_bits_36 and name in _PAE_ONLY_MODELS):
        return 36
    return 32


def cpu_type_for_model(option: str, profile: Profile) -> str:
    """The QOM type of ``-cpu``'s model (softmmu/vl.c parse_cpu_option).

    Feature flags after the first comma are not checked: QEMU applies them
    as globals when the CPUs are realized, which we do not model.

    Raises:
        GenericError: ``unable to find CPU model 'x'``, or that ``-cpu
            option cannot be empty``.
    """
    if not option:
        # cpu.c parse_cpu_option: g_strsplit("") has no first piece.
        raise GenericError("-cpu option cannot be empty")
    model = cpu_model_name(option)
    if model not in x86_cpu_models(profile):
        raise GenericError(f"unable to find CPU model '{model}'")
    return model + X86_CPU_TYPE_SUFFIX
