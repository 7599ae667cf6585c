"""The machine: topology, RAM, memory backends, NUMA and HMAT in one object.

QEMU counterparts: hw/core/machine.c (machine properties, machine_set_mem,
machine_set_smp, machine_run_board_init, machine_consume_memdev), the
memory parts of softmmu/vl.c (qemu_resolve_machine_memdev,
create_default_memdev), qom/object_interfaces.c (object-add / object-del of
user-creatable objects) and hw/i386/pc.c (pc_memory_init, boot CPUs).

Configuration methods run while ``phase`` is MACHINE_CREATED; ``create``
performs board initialisation in 7.2's order and moves to MACHINE_READY.
A configuration method that raises leaves the machine as it was, except for
the partial state QEMU itself keeps (documented in numa.py).  ``create``
failures are fatal in QEMU (exit 1), so the machine is not usable after one.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

from qmpnuma.cutils import (
    StrtoxError,
    qapi_bool_parse,
    qemu_strtoi64,
    qemu_strtosz,
    qemu_strtou64,
)
from qmpnuma.errors import GenericError, Reporter
from qmpnuma.hashorder import GStrHashSet
from qmpnuma.machine.backends import (
    MEMORY_BACKEND_TYPES,
    BackendDefaults,
    MemoryBackend,
    UserObject,
    user_creatable_add_type,
)
from qmpnuma.machine.cpu_models import (
    HOST_MODEL,
    X86_CPU_TYPE_SUFFIX,
    cpu_type_for_model,
    is_amd_model,
    x86_cpu_phys_bits,
)
from qmpnuma.machine.machine_types import MachineClass
from qmpnuma.machine.memory import (
    DeviceMemory,
    RAMBlockNotifier,
    RAMList,
    machine_set_mem,
    pc_memory_init,
)
from qmpnuma.machine.numa import (
    NumaState,
    complete_init_numa_distance,
    machine_numa_finish_cpu_init,
    numa_complete_configuration,
    set_numa_options,
    validate_numa_distance,
)
from qmpnuma.machine.phase import Phase
from qmpnuma.machine.topology import (
    DEFAULT_SMP,
    CpuSlot,
    SmpConfig,
    machine_parse_smp_config,
    x86_possible_cpu_arch_ids,
)
from qmpnuma.profile import Profile

__all__ = ["Machine", "OBJECTS_ROOT", "UNATTACHED", "HOST_NUMA_NODES"]

#: qom/object.c object_get_objects_root(): where -object / object-add live.
OBJECTS_ROOT = "/objects"
#: Boot CPUs are QOM children of the machine's "unattached" container.
UNATTACHED = "/machine/unattached"
#: The host NUMA nodes mbind() accepts; the oracle host has node 0 only.
HOST_NUMA_NODES: tuple[int, ...] = (0,)

#: Machine properties we model, with their value kinds.
_MODELLED_BOOL = ("hmat", "nvdimm", "mem-merge", "dump-guest-core")
#: pc machine properties QEMU 7.2 has that change nothing we model; accepted
#: and remembered so that -machine lines written for QEMU keep working.
_PC_OTHER_BOOL = (
    "graphics", "usb", "suppress-vmdesc", "sata", "i8042", "hpet", "smbus",
    "default-bus-bypass-iommu", "cxl",
)  # fmt: skip
_PC_OTHER_STR = (
    "kernel", "initrd", "append", "dtb", "dumpdtb", "dt-compatible", "firmware",
    "phandle-start", "memory-encryption", "confidential-guest-support", "smm", "acpi",
    "pit", "pic", "vmport", "x-oem-id", "x-oem-table-id", "bus-lock-ratelimit",
    "max-fw-size", "max-ram-below-4g", "smbios-entry-point-type", "nvdimm-persistence",
    "pcspk-audiodev",
)  # fmt: skip
#: The values QEMU's keyval visitor accepts for the enum-typed ones of those.
_ON_OFF_AUTO = ("on", "off", "auto")
_OTHER_ENUMS: dict[str, tuple[str, ...]] = {
    "smm": _ON_OFF_AUTO, "acpi": _ON_OFF_AUTO, "pit": _ON_OFF_AUTO, "pic": _ON_OFF_AUTO,
    "vmport": _ON_OFF_AUTO,
}  # fmt: skip
_OTHER_SIZES = ("max-ram-below-4g", "max-fw-size")
_OTHER_UINT64 = ("bus-lock-ratelimit",)
_OTHER_INT64 = ("phandle-start",)
#: hw/i386/pc.c and x86.c property setters: their limits.
MAX_RAM_BELOW_4G = 4 << 30
MAX_FW_SIZE = 16 << 20
OEM_ID_SIZES = {"x-oem-id": 6, "x-oem-table-id": 8}
#: Properties every machine type has (hw/core/machine.c machine_class_init).
_GENERIC_BOOL = ("mem-merge", "dump-guest-core", "graphics", "suppress-vmdesc")
_GENERIC_STR = (
    "kernel", "initrd", "append", "dtb", "dumpdtb", "dt-compatible", "firmware",
    "phandle-start", "memory-encryption", "confidential-guest-support",
)  # fmt: skip
#: hw/i386/x86.c x86_cpus_init: APIC ids must fit in 8 bits without x2APIC.
MAX_XAPIC_ID_LIMIT = 255
#: The first boot CPU's realize creates the "kvmvapic" device right after
#: it, so CPU i > 0 gets /machine/unattached/device[i + 1].
_VAPIC_DEVICES = 1


def _check_other_property(name: str, value: str, profile: Profile) -> None:
    """The keyval visitor's typing and the setters' limits of an unmodelled property.

    Raises:
        GenericError: QEMU's visitor and setter texts.
    """
    number = 0
    try:
        if name in _OTHER_SIZES:
            number = qemu_strtosz(value, hex_suffix=profile.hex_size_suffix)
        elif name in _OTHER_UINT64:
            number = qemu_strtou64(value)
        elif name in _OTHER_INT64:
            number = qemu_strtoi64(value)
    except StrtoxError as e:
        # qapi/qobject-input-visitor.c qobject_input_type_*_keyval
        expected = "size" if name in _OTHER_SIZES else "integer"
        raise GenericError(f"Parameter '{name}' expects {expected}") from e
    allowed = _OTHER_ENUMS.get(name)
    if name == "smbios-entry-point-type":
        allowed = profile.smbios_entry_point_types
    if allowed is not None and value not in allowed:
        raise GenericError(f"Parameter '{name}' does not accept value '{value}'")
    if name == "max-ram-below-4g" and number > MAX_RAM_BELOW_4G:
        raise GenericError(
            f"Machine option 'max-ram-below-4g={number}' expects size less than or equal to 4G"
        )
    if name == "max-fw-size" and number > MAX_FW_SIZE:
        raise GenericError(profile.max_fw_size_error.format(size=number))
    if name in OEM_ID_SIZES and len(value.encode()) > OEM_ID_SIZES[name]:
        raise GenericError(
            f"User specified {name} value is bigger than {OEM_ID_SIZES[name]} bytes in size"
        )


class Machine:
    """One emulated machine (QEMU's MachineState), from -machine to board init."""

    def __init__(
        self,
        mc: MachineClass,
        profile: Profile,
        host_numa_nodes: Collection[int] = HOST_NUMA_NODES,
    ) -> None:
        self.mc = mc
        self.profile = profile
        self.phase = Phase.MACHINE_CREATED
        self.host_numa_nodes = frozenset(host_numa_nodes)
        self.ram_list = RAMList(replay=profile.ram_block_notifier_replay)
        #: Values of -machine properties set so far (string form for unmodelled ones).
        self.properties: dict[str, object] = {
            "mem-merge": True, "dump-guest-core": True, "hmat": False, "nvdimm": False,
        }  # fmt: skip
        #: -machine memory-backend=<id> as given; resolved by resolve_machine_memdev().
        self.memory_backend_id: str | None = None
        #: The machine RAM backend (ms->memdev), once resolved.
        self.memdev: MemoryBackend | None = None
        self.device_memory: DeviceMemory | None = None
        self._mem = machine_set_mem(mc, None, None, None)
        self._custom_ram_size = False
        self._smp = DEFAULT_SMP
        #: ms->cpu_type: the QOM type of every CPU (-cpu, or the board's default).
        self.cpu_type = mc.cpu_type
        self._slots = self._build_slots()
        self._objects: dict[str, MemoryBackend | UserObject] = {}
        #: 7.2's QOM makes /objects on first use (object_get_objects_root),
        #: not at start; 10.0 has it from the start.
        self._objects_root_made = profile.objects_root_at_start
        #: The /objects container's children as QOM keeps them (a GHashTable),
        #: whose iteration order QEMU's listings follow.
        self._objects_table = GStrHashSet()
        #: Backends a node references stay alive after object-del (object_ref).
        self._node_backends: dict[str, MemoryBackend] = {}
        #: Backends whose memory is mapped into the guest (host_memory_backend_is_mapped).
        self._mapped: set[str] = set()
        self.numa: NumaState | None = NumaState() if mc.has_numa else None

    # -- read-only state -------------------------------------------------

    @property
    def ram_size(self) -> int:
        return self._mem.ram_size

    @property
    def maxram_size(self) -> int:
        return self._mem.maxram_size

    @property
    def ram_slots(self) -> int:
        return self._mem.ram_slots

    @property
    def smp(self) -> SmpConfig:
        return self._smp

    @property
    def possible_cpus(self) -> list[CpuSlot]:
        """Every possible CPU in cpu-index order (empty on ``none`` without -cpu)."""
        return list(self._slots)

    @property
    def present_cpus(self) -> list[CpuSlot]:
        """The plugged CPUs in cpu-index order (CPU_FOREACH)."""
        return [slot for slot in self._slots if slot.qom_path is not None]

    @property
    def hmat_enabled(self) -> bool:
        return self.numa is not None and self.numa.hmat_enabled

    @property
    def objects(self) -> dict[str, MemoryBackend | UserObject]:
        """Children of /objects in QOM's iteration order (object_child_foreach)."""
        return {ident: self._objects[ident] for ident in self._objects_table}

    @property
    def backends(self) -> list[MemoryBackend]:
        """Memory backends in QOM's iteration order."""
        return [o for o in self.objects.values() if isinstance(o, MemoryBackend)]

    @property
    def has_objects_root(self) -> bool:
        """Whether the /objects container exists yet."""
        return self._objects_root_made

    def _objects_root(self) -> Collection[str]:
        """qom/object.c object_get_objects_root: the ids, making the container."""
        self._objects_root_made = True
        return self._objects

    @property
    def has_acpi_device(self) -> bool:
        """Whether the board has an ACPI device (hw/i386/pc_piix.c, pc_q35.c).

        pc_init1 creates PIIX4 PM only when ACPI is not turned off; q35's
        ICH9 LPC always is one; ``none`` has none.
        """
        if self.mc.family == "i440fx":
            return self.properties.get("acpi") != "off"
        return self.mc.family == "q35"

    def is_mapped(self, backend_id: str) -> bool:
        return backend_id in self._mapped

    def node_memory(self) -> list[int]:
        """Boot memory of each node in id order (query_numa_node_mem, no devices yet)."""
        if self.numa is None:
            return []
        return [info.node_mem for _, info in self.numa.present_nodes()]

    # -- RAM block notifiers ---------------------------------------------

    def ram_block_notifier_add(self, notifier: RAMBlockNotifier) -> None:
        """hw/core/numa.c ram_block_notifier_add (replay: Profile.ram_block_notifier_replay)."""
        self.ram_list.ram_block_notifier_add(notifier)

    def ram_block_notifier_remove(self, notifier: RAMBlockNotifier) -> None:
        """hw/core/numa.c ram_block_notifier_remove (replay as for adding)."""
        self.ram_list.ram_block_notifier_remove(notifier)

    # -- configuration ---------------------------------------------------

    def _require_unbuilt(self) -> None:
        # hw/core/machine-qmp-cmds.c qmp_set_numa_node (phase_check)
        if self.phase >= Phase.MACHINE_INITIALIZED:
            raise GenericError("The command is permitted only before the machine has been created")

    def set_property(self, name: str, value: str) -> None:
        """Set one ``-machine name=value`` property (object_property_parse).

        Raises:
            GenericError: unknown property, or a malformed or out-of-range value.
        """
        pc = self.mc.family != "none"
        if name == "memory-backend":
            self.memory_backend_id = value
        elif name in _MODELLED_BOOL and (pc or name in _GENERIC_BOOL):
            self.properties[name] = qapi_bool_parse(name, value)
            if name == "hmat" and self.numa is not None:
                self.numa.hmat_enabled = bool(self.properties[name])
        elif name in _PC_OTHER_BOOL and (pc or name in _GENERIC_BOOL):
            self.properties[name] = qapi_bool_parse(name, value)
        elif name in _PC_OTHER_STR and (pc or name in _GENERIC_STR):
            _check_other_property(name, value, self.profile)
            self.properties[name] = value
        else:
            # qom/object.c object_property_find_err
            raise GenericError(f"Property '{self.mc.qom_type}.{name}' not found")

    def set_memory(self, size: int | None, slots: int | None, maxmem: int | None) -> None:
        """-m / -machine memory.* (hw/core/machine.c machine_set_mem, 7.2).

        Raises:
            GenericError: QEMU's maxmem / slots texts.
        """
        self._mem = machine_set_mem(self.mc, size, slots, maxmem)
        self._custom_ram_size = bool(size)

    def set_smp(self, config: dict[str, int], reporter: Reporter) -> None:
        """-smp / -machine smp.* (machine_parse_smp_config, 7.2).

        Raises:
            GenericError: QEMU's topology texts.
        """
        self._smp = machine_parse_smp_config(self.mc, config, reporter, self.profile)
        self._slots = self._build_slots()

    def set_cpu_model(self, option: str) -> None:
        """-cpu MODEL[,features] (softmmu/vl.c parse_cpu_option).

        Raises:
            GenericError: ``unable to find CPU model 'x'``.
        """
        self.cpu_type = cpu_type_for_model(option)
        self._slots = self._build_slots()

    def _build_slots(self) -> list[CpuSlot]:
        if self.cpu_type is None:
            return []
        return x86_possible_cpu_arch_ids(self._smp, self.cpu_type)

    def _backend_defaults(self) -> BackendDefaults:
        return BackendDefaults(
            merge=bool(self.properties["mem-merge"]),
            dump=bool(self.properties["dump-guest-core"]),
            prealloc_threads=self._smp.cpus,
        )

    def object_add(self, qom_type: str, props: dict[str, object]) -> None:
        """-object / object-add (qom/object_interfaces.c user_creatable_add_type).

        ``props`` has ``id`` and the typed QAPI properties.  A memory backend
        maps its RAM block (and notifies) once it is complete.

        Raises:
            GenericError: QEMU's id, property and completion texts.
        """
        obj = user_creatable_add_type(
            qom_type, props, self._objects_root, self._backend_defaults(), self.host_numa_nodes
        )
        self._objects[obj.id] = obj
        self._objects_table.add(obj.id)
        if isinstance(obj, MemoryBackend):
            self.ram_list.add(obj.id, obj.size)

    def object_del(self, ident: str) -> None:
        """object-del (qom/object_interfaces.c user_creatable_del).

        Raises:
            GenericError: ``object 'x' not found`` / ``... is in use, can not be deleted``.
        """
        if ident not in self._objects_root():
            raise GenericError(f"object '{ident}' not found")
        obj = self._objects[ident]
        if ident in self._mapped:
            raise GenericError(f"object '{ident}' is in use, can not be deleted")
        del self._objects[ident]
        self._objects_table.discard(ident)
        # A node that named the backend holds a reference: its RAM stays.
        if isinstance(obj, MemoryBackend) and ident not in self._node_backends:
            self.ram_list.remove(ident)

    def resolve_memory_backend(self, path: str) -> MemoryBackend | None:
        """object_resolve_path_type(path, TYPE_MEMORY_BACKEND, &ambiguous).

        An absolute path must name /objects/<id>; a partial path matches
        backends whose canonical path ends with it (the empty path matches
        all).  None when nothing or more than one backend matches.
        """
        parts = [part for part in path.split("/") if part]
        matches = []
        # Which backends match does not depend on QOM's iteration order.
        backends = (o for o in self._objects.values() if isinstance(o, MemoryBackend))
        for backend in backends:
            canonical = [OBJECTS_ROOT.strip("/"), backend.id]
            if path.startswith("/"):
                if parts == canonical:
                    matches.append(backend)
            elif canonical[len(canonical) - len(parts) :] == parts and len(parts) <= 2:
                matches.append(backend)
        return matches[0] if len(matches) == 1 else None

    def resolve_machine_memdev(self) -> None:
        """softmmu/vl.c qemu_resolve_machine_memdev (-machine memory-backend=).

        Without a -m size, the RAM size becomes the backend's size.

        Raises:
            GenericError: ``Memory backend 'x' not found``.
        """
        if self.memory_backend_id is None:
            return
        backend = self.resolve_memory_backend(self.memory_backend_id)
        if backend is None:
            raise GenericError(f"Memory backend '{self.memory_backend_id}' not found")
        if not self._custom_ram_size:
            self._mem = replace(self._mem, ram_size=backend.size)
        self.memdev = backend

    def set_numa_options(self, opts: Mapping[str, object], reporter: Reporter) -> None:
        """-numa / set-numa-node (hw/core/numa.c set_numa_options, 7.2).

        Raises:
            GenericError: QEMU's texts; QEMU's partial-state quirks apply.
        """
        self._require_unbuilt()
        set_numa_options(
            self.numa, self.mc, self._slots, opts, self._resolve_node_memdev, reporter,
            seed_rules=self.profile.numa_seed_node_rules,
        )

    def _resolve_node_memdev(self, path: str) -> MemoryBackend | None:
        backend = self.resolve_memory_backend(path)
        if backend is not None:
            self._node_backends[backend.id] = backend
        return backend

    # -- board init --------------------------------------------------------

    def create(self, reporter: Reporter) -> None:
        """Board initialisation (machine_run_board_init + pc_init, 7.2 order).

        Called once, while the machine is still being configured (the
        x-exit-preconfig handler checks the phase before calling).

        Raises:
            GenericError: any fatal configuration error (QEMU exits 1).
        """
        assert self.phase < Phase.MACHINE_INITIALIZED, "the machine is already built"
        self._check_machine_ram()
        if self.numa is not None:
            self._complete_numa(self.numa, reporter)
        if self.memdev is not None and not self._ram_mapped_by_numa():
            self._consume_memdev(self.memdev)
        if self.mc.family == "none" and self.cpu_type is not None:
            # hw/core/null-machine.c creates the -cpu CPU without an APIC id,
            # which x86_cpu_realizefn refuses.
            raise GenericError("apic-id property was not initialized properly")
        if self.mc.family != "none":
            # pc_init1 / pc_q35_init: CPUs first, then RAM.
            self._x86_cpus_init(reporter)
            if self.profile.numa_memdev_reuse_at_allocation and self._ram_mapped_by_numa():
                # The seed maps the nodes' backends when pc_memory_init
                # allocates RAM (memory_region_allocate_system_memory).
                assert self.numa is not None
                self._map_node_backends(self.numa)
            assert self.cpu_type is not None
            model = self.cpu_type.removesuffix(X86_CPU_TYPE_SUFFIX)
            self.device_memory = pc_memory_init(
                self.mc, self._mem, phys_bits=x86_cpu_phys_bits(model), amd_cpu=is_amd_model(model)
            )
        self.phase = Phase.MACHINE_READY

    def _ram_mapped_by_numa(self) -> bool:
        numa = self.numa
        return numa is not None and numa.num_nodes > 0 and not numa.numa_uses_legacy_mem()

    def _check_machine_ram(self) -> None:
        """The RAM-backend part of machine_run_board_init."""
        mc = self.mc
        if self.memdev is not None:
            if self.memdev.size != self.ram_size:
                raise GenericError(
                    "Machine memory size does not match the size of the memory backend"
                )
            return
        legacy = self.numa is None or self.numa.numa_uses_legacy_mem()
        if mc.default_ram_id is None or not self.ram_size or not legacy:
            return
        if mc.default_ram_id in self._objects_root():
            text, hint = self.profile.reserved_ram_id_error
            raise GenericError(
                text.format(id=mc.default_ram_id),
                hint=hint.format(id=mc.default_ram_id) if hint else None,
            )
        # create_default_memdev: a memory-backend-ram named after the RAM id.
        self.object_add(MEMORY_BACKEND_TYPES[0], {"id": mc.default_ram_id, "size": self.ram_size})
        self.memdev = self._objects_backend(mc.default_ram_id)

    def _objects_backend(self, ident: str) -> MemoryBackend:
        obj = self._objects[ident]
        assert isinstance(obj, MemoryBackend)
        return obj

    def _complete_numa(self, numa: NumaState, reporter: Reporter) -> None:
        numa_complete_configuration(
            numa, self.mc, self.ram_size, self.maxram_size, self.ram_slots, self._slots, reporter,
            auto_split_ram=self.profile.numa_auto_split_ram,
        )
        if numa.num_nodes == 0:
            return
        if self._ram_mapped_by_numa() and self.mc.default_ram_id is not None:
            if self.memory_backend_id is not None:
                raise GenericError(
                    "'-machine memory-backend' and '-numa memdev' properties are mutually exclusive"
                )
            if not self.profile.numa_memdev_reuse_at_allocation:
                # numa_init_memdev_container: map every node's backend in id order.
                self._map_node_backends(numa)
        if numa.have_numa_distance:
            validate_numa_distance(numa)
            complete_init_numa_distance(numa)
        machine_numa_finish_cpu_init(numa, self._slots, reporter)

    def _map_node_backends(self, numa: NumaState) -> None:
        for _, info in numa.present_nodes():
            if info.memdev is not None:
                self._consume_memdev(self._node_backends[info.memdev])

    def _consume_memdev(self, backend: MemoryBackend) -> None:
        """hw/core/machine.c machine_consume_memdev."""
        if backend.id in self._mapped:
            if self.profile.numa_memdev_reuse_at_allocation:
                # The seed's numa.c memory_region_allocate_system_memory.
                raise GenericError(
                    f"memory backend {backend.id} is used multiple times. "
                    "Each -numa option must use a different memdev value."
                )
            raise GenericError(f"memory backend {backend.id} can't be used multiple times.")
        self._mapped.add(backend.id)

    def _x86_cpus_init(self, reporter: Reporter) -> None:
        """hw/i386/x86.c x86_cpus_init: plug smp.cpus CPUs, numbered as QOM does.

        Raises:
            GenericError: APIC ids beyond 8 bits, which need KVM's x2APIC.
        """
        assert self.cpu_type is not None
        model = self.cpu_type.removesuffix(X86_CPU_TYPE_SUFFIX)
        if model == HOST_MODEL:
            # target/i386/host-cpu.c: we emulate TCG only.
            raise GenericError(f"CPU model '{HOST_MODEL}' requires KVM or HVF")
        apic_id_limit = self._slots[-1].arch_id + 1
        if apic_id_limit > MAX_XAPIC_ID_LIMIT:
            # We emulate TCG, which never has a kernel irqchip.
            raise GenericError(
                "current -smp configuration requires kernel irqchip and X2APIC API support."
            )
        if self._smp.threads > 1 and is_amd_model(model):
            # target/i386/cpu.c x86_cpu_realizefn: an AMD model without
            # topoext.  7.2 prints its second line with error_printf(),
            # without any prefix, hence one message.
            reporter.warn(
                self.profile.amd_hyperthreading_warning.format(threads=self._smp.threads)
            )
        for index in range(self._smp.cpus):
            device = index if index == 0 else index + _VAPIC_DEVICES
            path = f"{UNATTACHED}/device[{device}]"
            self._slots[index] = replace(self._slots[index], qom_path=path)
