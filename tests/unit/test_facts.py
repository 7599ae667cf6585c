"""The recorded QEMU facts (qmpnuma/data/, one file per profile) against our schema.

scripts/record-qemu-facts records replies from QEMU; each must be a value
of the type the profile's schema declares for that command's reply, so that
what the probe commands return is what query-qmp-schema announces.
"""

from __future__ import annotations

from collections.abc import Iterable

import jsonschema
import pytest

from qmpnuma.facts import qemu_facts
from qmpnuma.machine.cpu_models import x86_cpu_models
from qmpnuma.profile import QEMU_7_2, QEMU_10_0, Profile
from qmpnuma.protocol.json import encode
from qmpnuma.qapi.schema import load_profile_schema
from qmpnuma.qapi.validate import argument_schema

RECORDED = [pytest.param(p, id=".".join(map(str, p.version[:2]))) for p in (QEMU_7_2, QEMU_10_0)]


@pytest.mark.parametrize("profile", RECORDED)
def test_replies_are_values_of_the_declared_types(profile: Profile) -> None:
    schema = load_profile_schema(profile.schema_dir)

    def check(type_name: str, values: Iterable[object]) -> None:
        validator = jsonschema.Draft202012Validator(argument_schema(schema, type_name))
        for value in values:
            validator.validate(value)

    facts = qemu_facts(profile)
    check("MachineInfo", facts.machines)
    check("CpuDefinitionInfo", facts.cpu_definitions)
    check("ObjectTypeInfo", facts.qom_types)
    check("ObjectPropertyInfo", (p for r in facts.qom_properties.values() for p in r["return"]))
    check("ObjectPropertyInfo",
          (p for r in facts.device_properties.values() if "return" in r for p in r["return"]))
    check("CpuModelExpansionInfo",
          (r["return"] for _, r in facts.cpu_model_expansions if "return" in r))
    check("TargetInfo", [facts.replies["query-target"]["return"]])
    check("KvmInfo", [facts.replies["query-kvm"]["return"]])
    check("CommandLineOptionInfo", facts.replies["query-command-line-options"]["return"])
    check("MigrationCapabilityStatus", facts.replies["query-migrate-capabilities"]["return"])


@pytest.mark.parametrize("profile", RECORDED)
@pytest.mark.parametrize("args", [0, 3])
def test_dict_order_survives_the_encoder(profile: Profile, args: int) -> None:
    # Recorded in QEMU's output order; loaded so that our QDict-ordered
    # encoder writes that order back, even for keys sharing a bucket.
    _, reply = qemu_facts(profile).cpu_model_expansions[args]
    props = reply["return"]["model"]["props"]
    text = encode(props).decode()
    positions = [text.index(f'"{key}"') for key in reversed(list(props))]
    assert positions == sorted(positions)


@pytest.mark.parametrize("profile", RECORDED)
def test_the_profile_has_the_recorded_cpu_models(profile: Profile) -> None:
    recorded = {info["name"] for info in qemu_facts(profile).cpu_definitions}
    assert x86_cpu_models(profile) == recorded
