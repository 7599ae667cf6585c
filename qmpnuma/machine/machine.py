"""The machine: topology, RAM, NUMA and board init, composed of small owners.

The owners: ``user_objects`` (/objects, objects.py), ``ram_list`` (RAM
blocks, memory.py), ``numa`` (numa.py), ``qdev`` (devices, qdev.py), the
-machine property bag (properties.py).  The machine ties them together in
QEMU's order.

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

import contextlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace

from qmpnuma.errors import GenericError, QMPError, Reporter
from qmpnuma.machine.acpi_cpu_hotplug import AcpiCpuHotplug
from qmpnuma.machine.backends import (
    MEMORY_BACKEND_TYPES,
    BackendDefaults,
    MemoryBackend,
    UserObject,
)
from qmpnuma.machine.cpu_models import (
    HOST_MODEL,
    X86_CPU_TYPE_SUFFIX,
    cpu_type_for_model,
    is_amd_model,
    x86_cpu_has_long_mode,
    x86_cpu_phys_bits,
)
from qmpnuma.machine.device_types import device_types as profile_device_types
from qmpnuma.machine.machine_types import MachineClass
from qmpnuma.machine.memory import (
    DeviceMemory,
    RAMBlockNotifier,
    RAMList,
    machine_set_mem,
    pc_memory_init,
)
from qmpnuma.machine.memory_device import MemoryDeviceNotifier
from qmpnuma.machine.numa import (
    NumaState,
    complete_init_numa_distance,
    machine_numa_finish_cpu_init,
    numa_complete_configuration,
    set_numa_options,
    validate_numa_distance,
)
from qmpnuma.machine.objects import OBJECTS_ROOT, ObjectsRoot
from qmpnuma.machine.phase import Phase
from qmpnuma.machine.properties import DEFAULT_PROPERTIES, set_machine_property
from qmpnuma.machine.qdev import (
    CliDeviceError,
    DeviceOpts,
    DeviceRegistry,
    DeviceState,
    QdevTree,
    qdev_device_add,
    qdev_new,
    qdev_realize,
    qdev_unplug,
)
from qmpnuma.machine.runstate import Event
from qmpnuma.machine.topology import (
    DEFAULT_SMP,
    CpuSlot,
    SmpConfig,
    machine_parse_smp_config,
    x86_possible_cpu_arch_ids,
)
from qmpnuma.machine.x86_cpu import X86Cpus
from qmpnuma.profile import Profile

__all__ = ["Machine", "OBJECTS_ROOT", "UNATTACHED", "HOST_NUMA_NODES"]

#: Boot CPUs are QOM children of the machine's "unattached" container.
UNATTACHED = "/machine/unattached"
#: The host NUMA nodes mbind() accepts; the oracle host has node 0 only.
HOST_NUMA_NODES: tuple[int, ...] = (0,)

#: hw/i386/x86.c x86_cpus_init: APIC ids must fit in 8 bits without x2APIC.
MAX_XAPIC_ID_LIMIT = 255
#: The first boot CPU's realize creates the "kvmvapic" device right after
#: it, so CPU i > 0 gets /machine/unattached/device[i + 1].
_VAPIC_DEVICES = 1


class Machine:
    """One emulated machine (QEMU's MachineState), from -machine to board init."""

    def __init__(
        self,
        mc: MachineClass,
        profile: Profile,
        host_numa_nodes: Collection[int] = HOST_NUMA_NODES,
        device_types: DeviceRegistry | None = None,
    ) -> None:
        self.mc = mc
        self.profile = profile
        self.phase = Phase.MACHINE_CREATED
        self.host_numa_nodes = frozenset(host_numa_nodes)
        self.ram_list = RAMList(replay=profile.ram_block_notifier_replay)
        #: Values of -machine properties set so far (string form for unmodelled ones).
        self.properties: dict[str, object] = dict(DEFAULT_PROPERTIES)
        #: -machine memory-backend=<id> as given; resolved by resolve_machine_memdev().
        self.memory_backend_id: str | None = None
        #: The machine RAM backend (ms->memdev), once resolved.
        self.memdev: MemoryBackend | None = None
        #: -mem-path: the default RAM is a file there (memory-backend-file).
        self.mem_path: str | None = None
        #: -mem-prealloc: every memory backend defaults to prealloc=on
        #: (vl.c qemu_process_sugar_options).
        self.mem_prealloc = False
        self.device_memory: DeviceMemory | None = None
        self._mem = machine_set_mem(mc, None, None, None)
        self._custom_ram_size = False
        self._smp = DEFAULT_SMP
        #: ms->cpu_type: the QOM type of every CPU (-cpu, or the board's default).
        self.cpu_type = mc.cpu_type
        self._slots = self._build_slots()
        #: /objects: user-creatable objects, their RAM blocks and mappings.
        self.user_objects = ObjectsRoot(self.ram_list, made=profile.objects_root_at_start)
        self.numa: NumaState | None = NumaState() if mc.has_numa else None
        #: The board's CPUs, from board init on (x86_cpus_init).
        self.cpus: X86Cpus | None = None
        #: /machine/peripheral and /machine/peripheral-anon.
        self.qdev = QdevTree(device_types or profile_device_types(profile))
        #: -device options, created at board init (vl.c qemu_create_cli_devices).
        self.cli_devices: list[DeviceOpts] = []
        #: Placement hooks for in-process users (beyond QEMU).
        self.memory_device_notifiers: list[MemoryDeviceNotifier] = []
        #: Events the model raised, in order; the VM's owner drains them.
        self.events: list[Event] = []
        #: vl.c's default devices (no -nodefaults): a VGA card and a NIC on PCI.
        self.default_devices = True
        #: -overcommit mem-lock=on (vl.c enable_mlock).
        self.mem_lock = False
        #: The VM has run: QEMU_CLOCK_VIRTUAL has left 0.
        self.virtual_clock_started = False
        #: The warn_report_once() calls (by function) that have printed.
        self.warned_once: set[str] = set()
        #: hw/acpi/pcihp.c used_acpi_index_list: taken by a PCI device's
        #: pre-plug, and kept when the device then fails, as QEMU keeps it.
        self.pci_acpi_indexes: set[int] = set()

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
        """The slots of the realized CPUs in CPU_FOREACH (plug) order."""
        return self.cpus.present_slots if self.cpus is not None else []

    @property
    def hmat_enabled(self) -> bool:
        return self.numa is not None and self.numa.hmat_enabled

    @property
    def objects(self) -> dict[str, MemoryBackend | UserObject]:
        """Children of /objects in QOM's iteration order (object_child_foreach)."""
        return self.user_objects.objects

    @property
    def backends(self) -> list[MemoryBackend]:
        """Memory backends in QOM's iteration order."""
        return [o for o in self.objects.values() if isinstance(o, MemoryBackend)]

    @property
    def has_objects_root(self) -> bool:
        """Whether the /objects container exists yet."""
        return self.user_objects.made

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
        return self.user_objects.is_mapped(backend_id)

    def emit(self, name: str, data: dict[str, object] | None = None) -> None:
        self.events.append((name, data))

    def node_memory(self) -> list[int]:
        """Boot memory of each node in id order (memory devices not counted)."""
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

    # -- devices -------------------------------------------------------------

    def memory_device_notifier_add(self, notifier: MemoryDeviceNotifier) -> None:
        """Hear about memory devices as they are plugged and unplugged."""
        self.memory_device_notifiers.insert(0, notifier)

    def memory_device_notifier_remove(self, notifier: MemoryDeviceNotifier) -> None:
        self.memory_device_notifiers.remove(notifier)

    def device_add(
        self, opts: dict[str, object], from_json: bool, reporter: Reporter | None = None
    ) -> DeviceState:
        """device_add / -device (qdev_device_add_from_qdict); see qdev.py.

        ``reporter`` hears the devices' warnings.

        Raises:
            QMPError: QEMU's texts; the machine is left as it was.
        """
        return qdev_device_add(self, opts, from_json, reporter)

    def device_del(self, dev: DeviceState, ident: str | None = None) -> None:
        """device_del of a found device (qdev_unplug): the request only.

        ``ident`` is the id or path it was found by (default: its id, or
        its path when it has none).

        Raises:
            QMPError: the device or the machine refuses the unplug.
        """
        qdev_unplug(self, dev, ident or dev.id or dev.qom_path)

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
        if name == "memory-backend":
            self.memory_backend_id = value
            return
        set_machine_property(self.mc, self.profile, self.properties, name, value)
        if name == "hmat" and self.numa is not None:
            self.numa.hmat_enabled = bool(self.properties[name])

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
        self.cpu_type = cpu_type_for_model(option, self.profile)
        self._slots = self._build_slots()

    def _build_slots(self) -> list[CpuSlot]:
        if self.cpu_type is None:
            return []
        return x86_possible_cpu_arch_ids(self._smp, self.cpu_type)

    def _backend_defaults(self) -> BackendDefaults:
        return BackendDefaults(
            merge=bool(self.properties["mem-merge"]),
            dump=bool(self.properties["dump-guest-core"]),
            prealloc=self.mem_prealloc,
            prealloc_threads=self._smp.cpus,
        )

    def object_add(
        self,
        qom_type: str,
        props: dict[str, object],
        qom_resolves: Callable[[str], bool] | None = None,
    ) -> None:
        """-object / object-add (qom/object_interfaces.c user_creatable_add_type).

        ``props`` has ``id`` and the typed QAPI properties.  A memory backend
        maps its RAM block (and notifies) once it is complete.
        ``qom_resolves`` tells whether a QOM path names some object, for
        link properties; by default only /machine and /objects are known.

        Raises:
            GenericError: QEMU's id, property and completion texts.
        """
        self.user_objects.add(
            qom_type, props, self._backend_defaults(), self.host_numa_nodes, qom_resolves,
            profile=self.profile,
        )

    def object_del(self, ident: str) -> None:
        """object-del (qom/object_interfaces.c user_creatable_del).

        Raises:
            GenericError: ``object 'x' not found`` / ``... is in use, can not be deleted``.
        """
        self.user_objects.delete(ident)

    def resolve_memory_backend(self, path: str) -> MemoryBackend | None:
        """object_resolve_path_type(path, TYPE_MEMORY_BACKEND, &ambiguous)."""
        return self.user_objects.resolve_memory_backend(path)

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
            self.numa, self.mc, self._slots, opts, self.user_objects.resolve_node_memdev, reporter,
            seed_rules=self.profile.numa_seed_node_rules,
        )

    # -- board init --------------------------------------------------------

    def create(self, reporter: Reporter) -> None:
        """Board initialisation (machine_run_board_init + pc_init, 7.2 order).

        Called once, while the machine is still being configured (the
        x-exit-preconfig handler checks the phase before calling).

        Raises:
            GenericError: any fatal configuration error (QEMU exits 1).
            CliDeviceError: a -device failed (QEMU exits 1 too).
        """
        assert self.phase < Phase.MACHINE_INITIALIZED, "the machine is already built"
        self._check_machine_ram()
        if self.numa is not None:
            self._complete_numa(self.numa, reporter)
        if self.memdev is not None and not self._ram_mapped_by_numa():
            self.user_objects.consume(self.memdev)
        if self.mc.family == "none" and self.cpu_type is not None:
            # hw/core/null-machine.c creates the -cpu CPU without an APIC id,
            # which x86_cpu_realizefn refuses.
            raise GenericError("apic-id property was not initialized properly")
        if self.mc.family != "none":
            # pc_init1 / pc_q35_init: CPUs first, then RAM.
            self._x86_cpus_init(reporter)
            if not self.profile.default_ram_memdev:
                self._allocate_system_memory()
            assert self.cpu_type is not None
            model = self.cpu_type.removesuffix(X86_CPU_TYPE_SUFFIX)
            self.device_memory = pc_memory_init(
                self.mc,
                self._mem,
                phys_bits=x86_cpu_phys_bits(model, pae_phys_bits_36=self.profile.pae_phys_bits_36),
                amd_cpu=is_amd_model(model),
                long_mode=x86_cpu_has_long_mode(model),
            )
        self.phase = Phase.MACHINE_INITIALIZED
        self._create_cli_devices(reporter)
        self.phase = Phase.MACHINE_READY

    def _create_cli_devices(self, reporter: Reporter) -> None:
        """vl.c qemu_create_cli_devices: every -device, in the order given.

        A device's warnings carry its option's location when the reporter
        keeps locations (the command line's does).

        Raises:
            CliDeviceError: a device failed, with the option's location.
        """
        at = getattr(reporter, "at", None)
        for device in self.cli_devices:
            located = at(device.location) if at is not None else contextlib.nullcontext()
            try:
                with located:
                    qdev_device_add(self, dict(device.opts), device.from_json, reporter)
            except QMPError as e:
                raise CliDeviceError(e, device.location) from e

    def _allocate_system_memory(self) -> None:
        """The seed's memory_region_allocate_system_memory, from pc_memory_init.

        With NUMA memdevs, RAM is the nodes' backends, mapped now.  Otherwise
        it is one block named after the RAM id and owned by no backend
        object (allocate_system_memory_nonnuma): query-memdev does not list
        it; under -mem-path the block is a file there, which the model, as
        for memory-backend-file, does not create.
        """
        if self._ram_mapped_by_numa():
            assert self.numa is not None
            self._map_node_backends(self.numa)
        elif self.mc.default_ram_id is not None and self.ram_size:
            self.ram_list.add(self.mc.default_ram_id, self.ram_size)

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
        if not self.profile.default_ram_memdev:
            return
        if mc.default_ram_id in self.user_objects.ids():
            text, hint = self.profile.reserved_ram_id_error
            raise GenericError(
                text.format(id=mc.default_ram_id),
                hint=hint.format(id=mc.default_ram_id) if hint else None,
            )
        # create_default_memdev: a backend named after the RAM id, a file
        # under -mem-path, else anonymous RAM.
        ram, file = MEMORY_BACKEND_TYPES[:2]
        where = {} if self.mem_path is None else {"mem-path": self.mem_path}
        self.object_add(file if where else ram,
                        {"id": mc.default_ram_id, **where, "size": self.ram_size})
        self.memdev = self.user_objects.backend(mc.default_ram_id)

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
                self._map_node_backends(numa)
        if numa.have_numa_distance:
            validate_numa_distance(numa)
            complete_init_numa_distance(numa)
        machine_numa_finish_cpu_init(numa, self._slots, reporter)

    def _map_node_backends(self, numa: NumaState) -> None:
        # numa_init_memdev_container: map every node's backend in id order.
        at_allocation = self.profile.numa_memdev_reuse_at_allocation
        for _, info in numa.present_nodes():
            if info.memdev is not None:
                backend = self.user_objects.node_backend(info.memdev)
                self.user_objects.consume(backend, at_allocation)

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
        acpi = AcpiCpuHotplug() if self.has_acpi_device else None
        self.cpus = X86Cpus(
            self._smp, self.cpu_type, self._slots, acpi, modules_supported=self.mc.modules_supported
        )
        dc = self.qdev.registry.lookup(self.cpu_type)
        assert dc is not None, f"{self.cpu_type} is not registered"
        for index in range(self._smp.cpus):
            # x86_cpu_new: a CPU with the slot's APIC id, realized through pre_plug.
            cpu = qdev_new(dc, hotplugged=False)
            device = index if index == 0 else index + _VAPIC_DEVICES
            cpu.qom_path = f"{UNATTACHED}/device[{device}]"
            cpu.props["apic-id"] = self._slots[index].arch_id
            qdev_realize(self, cpu)
