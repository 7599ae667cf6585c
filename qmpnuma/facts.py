"""A QEMU release's static facts, as scripts/record-qemu-facts recorded them.

Management software probes an emulator for facts that belong to the QEMU
binary rather than to a machine: machine types, CPU models, QOM types and
their properties, command-line option lists, help texts.  They live in
``qmpnuma/data/``, one file per release, named by the profile's
``facts_file`` (``qemu72.json`` from Debian 12's qemu-system-x86_64,
``qemu100.json`` from Debian 13's; never edited by hand), and each is read
once, on first use, into an immutable :class:`QemuFacts`.  Which of them
qmpnuma shows is decided by the callers, from what the model knows: a fact
about something we do not model is not offered.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from qmpnuma.profile import Profile

__all__ = ["QemuFacts", "CpuProperty", "qemu_facts"]


@dataclass(frozen=True)
class CpuProperty:
    """One property of a recorded boot CPU, with what qom-get answered."""

    name: str
    qom_type: str
    value: object
    #: qom-get's error text; both None for children and links (not read).
    error: str | None
    read: bool


def _cpu_property(name: str, qom_type: str, reply: dict[str, Any] | None) -> CpuProperty:
    if reply is None:
        return CpuProperty(name, qom_type, None, None, read=False)
    if "error" in reply:
        return CpuProperty(name, qom_type, None, reply["error"]["desc"], read=True)
    return CpuProperty(name, qom_type, reply["return"], None, read=True)


@dataclass(frozen=True)
class QemuFacts:
    """Read-only views of the recorded data (callers must not mutate them)."""

    #: The help texts, by topic (``usage``, ``version``, ``machine``...).
    help: Mapping[str, Any]
    #: query-target, query-command-line-options... replies, by command.
    replies: Mapping[str, Any]
    #: qom-list-types {"abstract": true}, in QEMU's order.
    qom_types: tuple[Mapping[str, Any], ...]
    #: Interface name -> the types implementing it.
    interfaces: Mapping[str, tuple[str, ...]]
    machines: tuple[Mapping[str, Any], ...]
    #: Machine type -> query-machines' compat-props (recorded where the
    #: release has them, 9.1 and later).
    machine_compat_props: Mapping[str, tuple[Mapping[str, Any], ...]]
    cpu_definitions: tuple[Mapping[str, Any], ...]
    #: Type name -> the device-list-properties reply.
    device_properties: Mapping[str, Any]
    #: Type name -> the qom-list-properties reply.
    qom_properties: Mapping[str, Any]
    #: (arguments, reply) pairs of query-cpu-model-expansion.
    cpu_model_expansions: tuple[tuple[Any, Any], ...]
    #: CPU model -> its boot CPU's qom-list, in order.
    cpu_properties: Mapping[str, tuple[CpuProperty, ...]]

    def parent(self, type_name: str) -> str | None:
        return self._parents.get(type_name)

    @functools.cached_property
    def _parents(self) -> Mapping[str, str]:
        return {t["name"]: t["parent"] for t in self.qom_types if "parent" in t}


def _insertion_order(value: Any) -> Any:
    """Recorded dicts, keyed in an order the reply encoder turns back into QEMU's.

    The file holds every dict in QEMU's output order, which is QDict
    iteration order: buckets by hash, and within a bucket the keys last
    inserted first.  The encoder orders keys the same way, so inserting
    them in reverse reproduces the recorded order exactly, even for keys
    that share a bucket (the 400-odd CPU properties of an expansion do).
    """
    if isinstance(value, dict):
        return {k: _insertion_order(v) for k, v in reversed(value.items())}
    if isinstance(value, list):
        return [_insertion_order(v) for v in value]
    return value


def _compat_props(data: Mapping[str, Any] | None) -> Mapping[str, tuple[Any, ...]]:
    if data is None:
        return MappingProxyType({})
    table = data["table"]
    return MappingProxyType(
        {name: tuple(table[i] for i in props) for name, props in data["machines"].items()}
    )


def qemu_facts(profile: Profile) -> QemuFacts:
    """The facts of ``profile``'s release, parsed on first use (start-up does
    not pay for them)."""
    return _load(profile.facts_file)


@functools.cache
def _load(name: str) -> QemuFacts:
    text = resources.files("qmpnuma.data").joinpath(name).read_text()
    data = _insertion_order(json.loads(text))
    tables = data["tables"]
    return QemuFacts(
        help=MappingProxyType(data["help"]),
        replies=MappingProxyType(data["replies"]),
        qom_types=tuple(data["qom-types"]),
        interfaces=MappingProxyType({k: tuple(v) for k, v in data["interfaces"].items()}),
        machines=tuple(data["machines"]),
        machine_compat_props=_compat_props(data.get("machine-compat-props")),
        cpu_definitions=tuple(data["cpu-definitions"]),
        device_properties=MappingProxyType(
            {k: tables[i] for k, i in data["device-properties"].items()}
        ),
        qom_properties=MappingProxyType({k: tables[i] for k, i in data["qom-properties"].items()}),
        cpu_model_expansions=tuple(
            (e["arguments"], e["reply"]) for e in data["cpu-model-expansions"]
        ),
        cpu_properties=MappingProxyType({
            model: tuple(_cpu_property(*prop) for prop in props)
            for model, props in data["cpu-properties"].items()
        }),
    )
