"""x86 CPU devices on the board: the checks before a plug, plug and unplug.

QEMU counterparts (7.2): hw/i386/x86.c (x86_cpu_pre_plug, x86_cpu_plug,
x86_cpu_unplug_request_cb, x86_cpu_unplug_cb, x86_find_cpu_slot,
x86_cpus_init), hw/core/numa.c numa_cpu_pre_plug (through numa.py),
target/i386/cpu.c (the CPU's topology properties and their defaults) and
cpus-common.c (the ``cpus`` list that CPU_FOREACH walks).

Boot CPUs and plugged ones take the same path: ``pre_plug`` validates and
resolves everything and changes nothing; ``plug`` commits.  Unplugging is
two steps as well: ``unplug_request`` is device_del's part and
``unplug`` is the completion once the guest has ejected the CPU.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from qmpnuma.errors import GenericError
from qmpnuma.facts import CpuProperty, qemu_facts
from qmpnuma.machine.acpi_cpu_hotplug import AcpiCpuHotplug
from qmpnuma.machine.cpu_models import X86_CPU_TYPE_SUFFIX
from qmpnuma.machine.numa import CPU_UNSET_NUMA_NODE_ID, numa_cpu_pre_plug
from qmpnuma.machine.qdev import DeviceClass, DeviceKind, DeviceState, PropertyInfo, PropType
from qmpnuma.machine.topology import (
    CpuSlot,
    SmpConfig,
    X86TopoIds,
    x86_apicid_from_topo_ids,
    x86_topo_ids_from_apicid,
)

if TYPE_CHECKING:
    from qmpnuma.machine.machine import Machine

__all__ = [
    "UNASSIGNED_APIC_ID",
    "UNSET_ID",
    "X86CPUProps",
    "X86CPU",
    "CpuPlacement",
    "X86Cpus",
    "X86CPUKind",
    "X86_CPU_PROPERTIES",
    "X86_CPU_QOM_ORDER",
    "x86_cpu_types",
]

#: target/i386/cpu.h: apic-id's default, "set it from the topology ids".
UNASSIGNED_APIC_ID = 0xFFFFFFFF
#: target/i386/cpu.c x86_cpu_properties: socket/die/core/thread-id default.
UNSET_ID = -1
#: QEMU prints the ids with %u.
_UINT32_MASK = 0xFFFFFFFF
#: The topology properties in the order x86_cpu_pre_plug checks them
#: (module-id: 10.0; a 7.2 CPU has none and is always in module 0).
_TOPOLOGY_NAMES = ("socket-id", "die-id", "module-id", "core-id", "thread-id")
#: The same levels as x86_cpu_pre_plug's "Invalid CPU [...]" names them.
_LEVELS = tuple(name.removesuffix("-id") for name in _TOPOLOGY_NAMES)


@dataclass(frozen=True)
class X86CPUProps:
    """The properties of an X86CPU that plugging reads (-1: not set)."""

    socket_id: int = UNSET_ID
    die_id: int = UNSET_ID
    core_id: int = UNSET_ID
    thread_id: int = UNSET_ID
    node_id: int = CPU_UNSET_NUMA_NODE_ID
    apic_id: int = UNASSIGNED_APIC_ID
    module_id: int = UNSET_ID

    @property
    def topology(self) -> X86TopoIds:
        """(socket, die, module, core, thread), the order of _TOPOLOGY_NAMES."""
        return self.socket_id, self.die_id, self.module_id, self.core_id, self.thread_id

    def with_topology(self, ids: X86TopoIds) -> X86CPUProps:
        socket, die, module, core, thread = ids
        return replace(
            self, socket_id=socket, die_id=die, module_id=module, core_id=core, thread_id=thread
        )


@dataclass(frozen=True)
class CpuPlacement:
    """Where a CPU goes: what pre_plug resolved, ready to plug."""

    #: The slot's index in possible_cpus, which becomes the CPU's cpu-index.
    cpu_index: int
    qom_type: str
    #: Every property set: ids from the APIC id, node-id from the slot.
    props: X86CPUProps


@dataclass(frozen=True)
class X86CPU:
    """A realized CPU on the board."""

    placement: CpuPlacement
    #: Canonical QOM path.
    qom_path: str
    #: DeviceState::hotplugged: plugged once the machine was ready (device_add).
    hotplugged: bool

    @property
    def cpu_index(self) -> int:
        return self.placement.cpu_index

    @property
    def qom_type(self) -> str:
        return self.placement.qom_type

    @property
    def props(self) -> X86CPUProps:
        return self.placement.props


def _check_topology_ids(smp: SmpConfig, props: X86CPUProps) -> X86CPUProps:
    """The id checks of x86_cpu_pre_plug when no apic-id is given.

    Returns the props with die-id defaulted to 0 on a topology without dies
    (die-id was optional before QEMU 4.1), and module-id likewise without
    modules (optional before 9.1).

    Raises:
        GenericError: an id missing or out of range, in QEMU's order.
    """
    if props.die_id < 0 and smp.dies == 1:
        props = replace(props, die_id=0)
    if props.module_id < 0 and smp.modules == 1:
        props = replace(props, module_id=0)
    max_socket = (smp.max_cpus - 1) // smp.threads // smp.cores // smp.modules // smp.dies
    limits = (max_socket, smp.dies - 1, smp.modules - 1, smp.cores - 1, smp.threads - 1)
    for name, value, limit in zip(_TOPOLOGY_NAMES, props.topology, limits, strict=True):
        if value < 0:
            raise GenericError(f"CPU {name} is not set")
        if value > limit:
            raise GenericError(f"Invalid CPU {name}: {value} must be in range 0:{limit}")
    return props


def _check_ids_match(smp: SmpConfig, props: X86CPUProps) -> X86CPUProps:
    """Ids given next to an APIC id must agree with it; unset ones are filled in.

    Raises:
        GenericError: ``property socket-id: 1 doesn't match set apic-id: ...``.
    """
    actual = x86_topo_ids_from_apicid(smp, props.apic_id)
    for name, given, real in zip(_TOPOLOGY_NAMES, props.topology, actual, strict=True):
        if given != UNSET_ID and given != real:
            raise GenericError(
                f"property {name}: {given & _UINT32_MASK} doesn't match set apic-id: "
                f"{props.apic_id:#x} ({name}: {real})"
            )
    return props.with_topology(actual)


class X86Cpus:
    """The board's CPUs: possible slots, realized CPUs and the ACPI interface.

    Made by board init (x86_cpus_init) once the topology, the CPU type and
    the NUMA mapping of the slots are final.
    """

    def __init__(
        self,
        smp: SmpConfig,
        cpu_type: str,
        slots: list[CpuSlot],
        acpi: AcpiCpuHotplug | None,
        modules_supported: bool = False,
    ) -> None:
        self.smp = smp
        #: The board has a module level (10.0), which the texts name.
        self.modules_supported = modules_supported
        #: ms->cpu_type: the only CPU type that may be plugged.
        self.cpu_type = cpu_type
        #: The machine's possible_cpus; a slot's qom_path marks it occupied.
        self._slots = slots
        self._arch_ids = [slot.arch_id for slot in slots]
        #: None when the board has no ACPI device (pc with acpi=off).
        self.acpi = acpi
        #: Realized CPUs in CPU_FOREACH order: plug order, not cpu-index order.
        self._cpus: list[X86CPU] = []

    @property
    def cpus(self) -> list[X86CPU]:
        return list(self._cpus)

    @property
    def present_slots(self) -> list[CpuSlot]:
        """The slots of the realized CPUs, in CPU_FOREACH order."""
        return [self._slots[cpu.cpu_index] for cpu in self._cpus]

    def find(self, qom_path: str) -> X86CPU | None:
        return next((cpu for cpu in self._cpus if cpu.qom_path == qom_path), None)

    def _find_slot(self, apic_id: int) -> int | None:
        """x86_find_cpu_slot: the index of the slot with this APIC id."""
        index = bisect_left(self._arch_ids, apic_id)
        if index < len(self._arch_ids) and self._arch_ids[index] == apic_id:
            return index
        return None

    def pre_plug(self, qom_type: str, props: X86CPUProps) -> CpuPlacement:
        """Check a CPU against the board and resolve its slot (x86_cpu_pre_plug).

        Changes nothing.  The ACPI device's pre_plug accepts every CPU.

        Raises:
            GenericError: QEMU's texts, in QEMU's order.
        """
        if qom_type != self.cpu_type:
            raise GenericError(f"Invalid CPU type, expected cpu type: '{self.cpu_type}'")
        if props.apic_id == UNASSIGNED_APIC_ID:
            props = _check_topology_ids(self.smp, props)
            props = replace(props, apic_id=x86_apicid_from_topo_ids(self.smp, props.topology))
        index = self._find_slot(props.apic_id)
        if index is None:
            raise GenericError(
                f"Invalid CPU [{self._place(props.apic_id)}] "
                f"with APIC ID {props.apic_id}, valid index range 0:{len(self._slots) - 1}"
            )
        slot = self._slots[index]
        if slot.qom_path is not None:
            raise GenericError(f"CPU[{index}] with APIC ID {props.apic_id} exists")
        props = _check_ids_match(self.smp, props)
        props = replace(props, node_id=numa_cpu_pre_plug(slot, props.node_id))
        return CpuPlacement(index, qom_type, props)

    def _place(self, apic_id: int) -> str:
        """``socket: 1, die: 0, [module: 0, ]core: 0, thread: 1``."""
        ids = x86_topo_ids_from_apicid(self.smp, apic_id)
        return ", ".join(
            f"{level}: {value}"
            for level, value in zip(_LEVELS, ids, strict=True)
            if level != "module" or self.modules_supported
        )

    def plug(self, placement: CpuPlacement, qom_path: str, hotplugged: bool) -> X86CPU:
        """Occupy the slot and add the CPU to the CPU list (x86_cpu_plug).

        ``placement`` must come from pre_plug with nothing plugged since.
        """
        slot = self._slots[placement.cpu_index]
        assert slot.qom_path is None, f"slot {placement.cpu_index} is occupied"
        cpu = X86CPU(placement, qom_path, hotplugged)
        self._slots[placement.cpu_index] = replace(slot, qom_path=qom_path)
        self._cpus.append(cpu)
        return cpu

    def unplug_request(self, cpu: X86CPU) -> None:
        """device_del of a CPU (x86_cpu_unplug_request_cb).

        Raises:
            GenericError: no ACPI device, the boot CPU, or the ACPI device's
                refusal (legacy mode).
        """
        if self.acpi is None:
            raise GenericError("CPU hot unplug not supported without ACPI")
        if cpu.cpu_index == 0:
            raise GenericError("Boot CPU is unpluggable")
        self.acpi.unplug_request(cpu.cpu_index, cpu.qom_type)

    def unplug(self, cpu: X86CPU) -> None:
        """The guest ejected the CPU: free its slot (x86_cpu_unplug_cb)."""
        assert self.acpi is not None, "only an ACPI device ejects CPUs"
        self.acpi.unplug(cpu.cpu_index)
        slot = self._slots[cpu.cpu_index]
        self._slots[cpu.cpu_index] = replace(slot, qom_path=None)
        self._cpus.remove(cpu)


# -- the CPU device types (-device / device_add) ------------------------------

#: target/i386/cpu.c x86_cpu_properties: the ones plugging reads.  The CPUID
#: feature flags and the other tunables are not modelled.
X86_CPU_PROPERTIES = (
    PropertyInfo("node-id", PropType.INT32, CPU_UNSET_NUMA_NODE_ID),
    PropertyInfo("die-id", PropType.INT32, UNSET_ID),
    PropertyInfo("apic-id", PropType.UINT32, UNASSIGNED_APIC_ID),
    PropertyInfo("thread-id", PropType.INT32, UNSET_ID),
    PropertyInfo("socket-id", PropType.INT32, UNSET_ID),
    PropertyInfo("core-id", PropType.INT32, UNSET_ID),
)
#: 10.0's CPUs (x86 has modules from 9.1) have a module-id too.
_MODULE_ID = PropertyInfo("module-id", PropType.INT32, UNSET_ID)
#: qom-list order on QEMU 7.2, restricted to the modelled properties.
X86_CPU_QOM_ORDER = (
    "type", "parent_bus", "realized", "hotplugged", "hotpluggable",
    "node-id", "die-id", "apic-id", "thread-id", "socket-id", "core-id",
)  # fmt: skip
#: target/i386/cpu.c x86_cpu_realizefn: a CPU no board gave an APIC id.
_NO_APIC_ID = "apic-id property was not initialized properly"


def _requested(dev: DeviceState) -> X86CPUProps:
    props = dev.props

    def value(name: str) -> int:
        number = props[name]
        assert isinstance(number, int)
        return number

    return X86CPUProps(
        value("socket-id"), value("die-id"), value("core-id"), value("thread-id"),
        value("node-id"), value("apic-id"),
        value("module-id") if "module-id" in props else UNSET_ID,
    )  # fmt: skip


def _board_cpus(machine: Machine) -> X86Cpus:
    assert machine.cpus is not None, "only a board with CPU slots plugs CPUs"
    return machine.cpus


def _plugged(dev: DeviceState) -> X86CPU:
    cpu = dev.state["cpu"]
    assert isinstance(cpu, X86CPU)
    return cpu


class X86CPUKind(DeviceKind):
    """The hooks of every ``*-x86_64-cpu`` type: the pc machine's CPU callbacks."""

    def has_hotplug_handler(self, machine: Machine) -> bool:
        # pc_get_hotplug_handler claims TYPE_CPU; ``none`` has no handler.
        return machine.cpus is not None

    def pre_plug(self, machine: Machine, dev: DeviceState) -> None:
        placement = _board_cpus(machine).pre_plug(dev.dc.name, _requested(dev))
        dev.state["placement"] = placement
        # x86_cpu_pre_plug and numa_cpu_pre_plug write the resolved ids back.
        resolved = placement.props
        dev.props.update({
            "node-id": resolved.node_id, "die-id": resolved.die_id, "apic-id": resolved.apic_id,
            "thread-id": resolved.thread_id, "socket-id": resolved.socket_id,
            "core-id": resolved.core_id,
        })  # fmt: skip
        if "module-id" in dev.props:
            dev.props["module-id"] = resolved.module_id

    def realize(self, machine: Machine, dev: DeviceState) -> None:
        if dev.props["apic-id"] == UNASSIGNED_APIC_ID:
            raise GenericError(_NO_APIC_ID)
        if machine.cpus is None:
            # QEMU realizes such a CPU outside any slot (and aborts on its
            # device_del); a board without CPU slots is not modelled.
            raise GenericError(f"{dev.dc.name} needs a board with CPU slots (not modelled)")

    def plug(self, machine: Machine, dev: DeviceState) -> None:
        placement = dev.state["placement"]
        assert isinstance(placement, CpuPlacement)
        dev.state["cpu"] = _board_cpus(machine).plug(placement, dev.qom_path, dev.hotplugged)

    def unplug_request(self, machine: Machine, dev: DeviceState) -> None:
        _board_cpus(machine).unplug_request(_plugged(dev))

    def unplug(self, machine: Machine, dev: DeviceState) -> None:
        _board_cpus(machine).unplug(_plugged(dev))

    def qom_list(self, machine: Machine, dev: DeviceState) -> tuple[tuple[str, str], ...]:
        recorded = _recorded_properties(machine, dev)
        if recorded is None:
            return (*super().qom_list(machine, dev), UNAVAILABLE_FEATURES)
        return tuple((p.name, p.qom_type) for p in recorded if p.name != "type")

    def get_property(self, machine: Machine, dev: DeviceState, name: str) -> object:
        """The modelled topology properties, else the recorded CPUID and tunables."""
        if name in dev.props:
            return dev.props[name]
        if name == UNAVAILABLE_FEATURES[0] and _recorded_properties(machine, dev) is None:
            return _unavailable_features(machine, dev)
        recorded = _recorded_properties(machine, dev) or ()
        prop = next((p for p in recorded if p.name == name), None)
        if prop is None or not prop.read:
            raise GenericError(f"qmpnuma does not model the CPU's '{name}' property")
        if prop.error is not None:
            raise GenericError(prop.error)
        return prop.value


def _recorded_properties(machine: Machine, dev: DeviceState) -> tuple[CpuProperty, ...] | None:
    """QEMU's boot CPU of this model, as scripts/record-qemu-facts saw it.

    libvirt reads every feature flag of the boot CPU at domain start (about
    400 qom-gets); the values are those of the model under TCG, which
    ``-cpu`` feature flags would change (they are not modelled).
    """
    model = dev.dc.name.removesuffix(X86_CPU_TYPE_SUFFIX)
    return qemu_facts(machine.profile).cpu_properties.get(model)


#: target/i386/cpu.c x86_cpu_get_unavailable_features: libvirt reads it at
#: every domain start, whatever qom-list said.
UNAVAILABLE_FEATURES = ("unavailable-features", "strList")


def _unavailable_features(machine: Machine, dev: DeviceState) -> list[str]:
    """What TCG lacks of the model: QEMU 7.2 gives the realized CPU the list
    that query-cpu-definitions reports for its model (both come from
    x86_cpu_filter_features against the accelerator)."""
    typename = dev.dc.name
    for info in qemu_facts(machine.profile).cpu_definitions:
        if info["typename"] == typename:
            return list(info.get("unavailable-features", []))
    return []


_KIND = X86CPUKind()


def x86_cpu_types(models: Collection[str], module_id: bool) -> tuple[DeviceClass, ...]:
    """The CPU type of each model, with the abstract ones above them.

    ``module_id``: the CPUs have a module-id property (10.0).
    """
    properties = (*X86_CPU_PROPERTIES, _MODULE_ID) if module_id else X86_CPU_PROPERTIES
    return (
        DeviceClass("cpu", abstract=True),
        DeviceClass("x86_64-cpu", abstract=True),
        *(
            DeviceClass(model + X86_CPU_TYPE_SUFFIX, _KIND, properties, X86_CPU_QOM_ORDER)
            for model in sorted(models)
        ),
    )
