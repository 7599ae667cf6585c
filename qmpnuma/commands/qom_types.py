"""QOM type introspection: qom-list-types, qom-list-properties, device-list-properties.

QEMU counterpart: qom/qom-qmp-cmds.c.  The types and their property lists
are the profile's QEMU's, recorded by scripts/record-qemu-facts (qmpnuma.facts); the
commands show the types that qmpnuma models and their ancestors, and treat
every other name as QEMU treats a type it does not have.  Management
software decides what to put on a command line from these lists, so a type
we cannot create must not appear in them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import DeviceNotFound, GenericError
from qmpnuma.facts import QemuFacts, qemu_facts
from qmpnuma.machine.backends import USER_CREATABLE_TYPES
from qmpnuma.machine.device_types import device_types
from qmpnuma.machine.machine_types import machine_classes
from qmpnuma.profile import Profile

__all__ = [
    "qmp_qom_list_types",
    "qmp_qom_list_properties",
    "qmp_device_list_properties",
    "modelled_types",
]

Args = dict[str, Any]

#: include/hw/qdev-core.h TYPE_DEVICE, qom/object.c TYPE_OBJECT.
TYPE_DEVICE = "device"
TYPE_OBJECT = "object"
#: qmpnuma emulates TCG only; libvirt reads support for virt type 'qemu'
#: from this type's presence (QEMU_CAPS_TCG).
TCG_ACCEL_TYPE = "tcg-accel"


def _ancestors(facts: QemuFacts, name: str) -> Iterator[str]:
    current: str | None = name
    while current is not None:
        yield current
        current = facts.parent(current)


@functools.cache
def modelled_types(profile: Profile) -> frozenset[str]:
    """Every QOM type qmpnuma models, with its ancestors (which QEMU lists too).

    A fact of the profile and the recorded data, computed once per profile.
    """
    facts = qemu_facts(profile)
    leaves = {mc.qom_type for mc in machine_classes(profile)}
    leaves |= set(USER_CREATABLE_TYPES)
    leaves.add(TCG_ACCEL_TYPE)
    # The CPU types are among the device types.
    leaves |= {name for name, dc in device_types(profile).classes.items() if not dc.abstract}
    return frozenset(t for leaf in leaves for t in _ancestors(facts, leaf))


def _implements(facts: QemuFacts, name: str, wanted: str) -> bool:
    """object_class_dynamic_cast: ``name`` is ``wanted``, a subtype, or an implementer."""
    return wanted in _ancestors(facts, name) or name in facts.interfaces.get(wanted, ())


def qmp_qom_list_types(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    facts = qemu_facts(ctx.vm.machine.profile)
    shown = modelled_types(ctx.vm.machine.profile)
    implements = args.get("implements")
    abstract = args.get("abstract", False)
    return [
        dict(info)
        for info in facts.qom_types
        if info["name"] in shown
        and (abstract or not info.get("abstract", False))
        and (implements is None or _implements(facts, info["name"], implements))
    ]


def _is_abstract(facts: QemuFacts, name: str) -> bool:
    return any(t["name"] == name and t.get("abstract", False) for t in facts.qom_types)


def qmp_qom_list_properties(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    facts = qemu_facts(ctx.vm.machine.profile)
    name = args["typename"]
    if name not in modelled_types(ctx.vm.machine.profile):
        # qom/qom-qmp-cmds.c qmp_qom_list_properties
        raise DeviceNotFound(f"Class '{name}' not found")
    if TYPE_OBJECT not in _ancestors(facts, name):
        # qom/qom-qmp-cmds.c qmp_qom_list_properties (QERR_INVALID_PARAMETER_VALUE)
        raise GenericError("Parameter 'typename' expects a QOM type")
    # scripts/record-qemu-facts records every modelled type (a test checks).
    return [dict(prop) for prop in facts.qom_properties[name]["return"]]


def qmp_device_list_properties(ctx: CommandContext, args: Args) -> list[dict[str, Any]]:
    facts = qemu_facts(ctx.vm.machine.profile)
    name = args["typename"]
    if name not in modelled_types(ctx.vm.machine.profile):
        # qom/qom-qmp-cmds.c qmp_device_list_properties
        raise DeviceNotFound(f"Device '{name}' not found")
    if TYPE_DEVICE not in _ancestors(facts, name) or _is_abstract(facts, name):
        # qom/qom-qmp-cmds.c qmp_device_list_properties (QERR_INVALID_PARAMETER_VALUE)
        raise GenericError("Parameter 'typename' expects a non-abstract device type")
    return [dict(prop) for prop in facts.device_properties[name]["return"]]
