"""Version profiles: every behaviour that differs between emulated QEMU versions.

A profile is one immutable object, chosen when the machine is created and
reached through it (``vm.machine.profile``) by whoever needs a
version-dependent fact (the greeting, a message text, a machine-type rule),
so that no module carries scattered ``if version`` checks.

Three profiles exist: ``7.2`` (the default; Debian 12's QEMU), ``10.0``
(Debian 13's) and ``seed`` (hw/core/numa.c around QEMU 4.2/5.0, the revision
this project was created from).  A process chooses one with
``-qmpnuma-profile NAME``, a ``qmpnuma-NAME`` console script, or
``QMPNUMA_PROFILE=NAME``, in that order of precedence.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Profile",
    "QEMU_7_2",
    "QEMU_10_0",
    "SEED",
    "PROFILES",
    "DEFAULT_PROFILE",
    "PROFILE_ENV",
    "PROFILE_OPTION",
    "find_profile",
    "unknown_profile",
    "PropFact",
]

#: The environment variable that names the profile.
PROFILE_ENV = "QMPNUMA_PROFILE"
#: The command-line option that names it (no QEMU option starts with -qmpnuma).
PROFILE_OPTION = "-qmpnuma-profile"


#: A device property as qom-list and qom-get know it: (name, QOM type, default).
PropFact = tuple[str, str, object]

#: hw/pci/pci.c pci_props and hw/virtio/virtio-pci.c virtio_pci_properties
#: of 7.2, in qom-list order ("addr" is the devfn, "legacy-addr" its text).
_VIRTIO_PCI_PROPS_7_2: tuple[PropFact, ...] = (
    ("failover_pair_id", "str", ""), ("romfile", "str", ""), ("addr", "int32", -1),
    ("romsize", "uint32", 0xFFFFFFFF), ("x-pcie-lnksta-dllla", "bool", True),
    ("rombar", "uint32", 1), ("x-pcie-extcap-init", "bool", True), ("acpi-index", "uint32", 0),
    ("multifunction", "bool", False), ("legacy-addr", "str", None),
    ("migrate-extra", "bool", True), ("ats", "bool", False),
    ("x-ignore-backend-features", "bool", False), ("x-pcie-pm-init", "bool", True),
    ("aer", "bool", False), ("x-pcie-flr-init", "bool", True),
    ("x-pcie-lnkctl-init", "bool", True), ("x-ats-page-aligned", "bool", True),
    ("page-per-vq", "bool", False), ("x-pcie-deverr-init", "bool", True),
    ("virtio-pci-bus-master-bug-migration", "bool", False),
    ("modern-pio-notify", "bool", False), ("x-disable-pcie", "bool", False),
)  # fmt: skip
#: hw/virtio/virtio.c virtio_properties of 7.2, in array order.
_VIRTIO_DEVICE_PROPS_7_2: tuple[PropFact, ...] = (
    ("indirect_desc", "bool", True), ("event_idx", "bool", True),
    ("notify_on_empty", "bool", True), ("any_layout", "bool", True),
    ("iommu_platform", "bool", False), ("packed", "bool", False),
    ("queue_reset", "bool", True), ("use-started", "bool", True),
    ("use-disabled-flag", "bool", True), ("x-disable-legacy-check", "bool", False),
)  # fmt: skip


@dataclass(frozen=True, repr=False)
class Profile:
    """What one emulated QEMU release reports and enforces."""

    def __repr__(self) -> str:
        # Dozens of fields: the name says which release it is.
        return f"Profile({self.name!r})"

    #: What the profile is chosen by (PROFILES, -qmpnuma-profile, machine-add).
    name: str
    #: (major, minor, micro) reported by the greeting and query-version.
    version: tuple[int, int, int]
    #: The ``package`` string of query-version.
    package: str
    #: The newest versioned machine type; ``pc`` and ``q35`` alias to it.
    latest_machine: tuple[int, int]
    #: The directory under schema/ whose qapi-schema.json is the release's
    #: QMP schema ("": schema/ itself, 7.2's).
    schema_dir: str = ""
    #: The oldest versioned pc-i440fx and pc-q35 types still registered.
    oldest_i440fx: tuple[int, int] = (1, 4)
    oldest_q35: tuple[int, int] = (2, 4)
    #: Why versioned machine types are deprecated: (newest deprecated
    #: version, reason) pairs, the first that covers a type wins.  7.2:
    #: pc-i440fx-1.4 to 1.7 (hw/i386/pc_piix.c pc_i440fx_1_7_machine_options);
    #: 10.0: every type more than three years old (include/hw/boards.h
    #: MACHINE_VER_DEPRECATION).
    deprecated_machines: tuple[tuple[tuple[int, int], str], ...] = (
        ((1, 7), "old and unattended - use a newer version instead"),
    )
    #: vl.c select_machine names the unknown type (10.0) or not (7.2).
    unsupported_machine_named: bool = False
    #: Nodes that state no memory share RAM out between them (numa.c before
    #: 5.2, the seed's numa_complete_configuration); 5.2 and later refuse.
    numa_auto_split_ram: bool = False
    #: The seed's numa.c: ``-numa node,mem=`` works on every machine type
    #: (there is no numa_mem_supported gate), and parse_numa_node checks
    #: CPUs, then memory, then the initiator (7.2 checks the initiator first).
    numa_seed_node_rules: bool = False
    #: The seed's memory_region_allocate_system_memory reports a backend
    #: given to two nodes at RAM allocation, with its own text.
    numa_memdev_reuse_at_allocation: bool = False
    #: hw/core/machine.c create_default_memdev: RAM not given by NUMA
    #: memdevs is a memory backend object named after the RAM id (5.0 and
    #: later); the seed allocates it as plain RAM at pc_memory_init
    #: (allocate_system_memory_nonnuma), mapping the nodes' memdevs there.
    default_ram_memdev: bool = True
    #: x86 machines have a CPU module level (10.0), which the -smp texts
    #: name between dies and cores.
    x86_modules: bool = False
    #: machine_parse_smp_config: -smp dies/clusters > 1 on a machine without them.
    smp_level_unsupported: str = "{level} not supported by this machine's CPU topology"
    #: target/i386/cpu.c x86_cpu_realizefn: threads on an AMD model without
    #: topoext (7.2 prints the advice as a second line).
    amd_hyperthreading_warning: str = (
        "This family of AMD CPU doesn't support hyperthreading({threads})\n"
        "Please configure -smp options properly or try enabling topoext feature."
    )
    #: util/cutils.c do_strtosz: a size in hex may take a suffix, with a
    #: deprecation warning (7.2); 10.0 refuses it.
    hex_size_suffix: bool = True
    #: hw/i386/pc.c: the values of -machine smbios-entry-point-type.
    smbios_entry_point_types: tuple[str, ...] = ("32", "64")
    #: hw/i386/pc.c pc_machine_set_max_fw_size (sic: 7.2's "firwmare" and
    #: "intermittentstability").
    max_fw_size_error: str = (
        "User specified max allowed firmware size {size} is greater than 16MiB. "
        "If combined firwmare size exceeds 16MiB the system may not boot, or "
        "experience intermittentstability issues."
    )
    #: hw/core/machine.c create_default_memdev: an object already has the RAM
    #: backend's id; the text and its hint, ``{id}`` the id.
    reserved_ram_id_error: tuple[str, str | None] = (
        "object name '{id}' is reserved for the default RAM backend, it can't be used for "
        "any other purposes. Change the object's 'id' to something else",
        None,
    )
    #: qom/object.c: /objects exists from the start (10.0), not from first use (7.2).
    objects_root_at_start: bool = False
    #: query-hotpluggable-cpus on a machine without hotpluggable CPUs: 7.2's
    #: QAPI feature check, or 10.0's own text.
    no_hotpluggable_cpus_error: str = "The feature 'query-hotpluggable-cpus' is not enabled"
    #: machine_parse_smp_config: an explicit 0 only warns (7.2) or is an
    #: error (10.0).
    smp_zero_is_error: bool = False
    #: The members of query-status's StatusInfo, in their order on the wire
    #: (7.2 still has the deprecated ``singlestep``; 10.0 has lost it).
    status_info_members: tuple[str, ...] = ("running", "singlestep", "status")
    #: hw/core/numa.c ram_block_notifier_add/remove replay the existing
    #: blocks as added/removed (7.2 does both); the seed's only link and unlink.
    ram_block_notifier_replay: bool = True
    #: The file of qmpnuma/data/ holding the release's binary facts (machine
    #: types, CPU models, QOM types, help texts...), as
    #: scripts/record-qemu-facts --oracle recorded them.
    facts_file: str = "qemu72.json"
    #: target/i386/cpu.c: the CPU models (versions and aliases included)
    #: added since 7.2, whose -cpu help and query-cpu-definitions list.
    new_x86_cpu_models: tuple[str, ...] = ()
    #: hw/virtio/virtio-balloon.c balloon_stat_names, in their order.
    balloon_stat_names: tuple[str, ...] = (
        "stat-swap-in", "stat-swap-out", "stat-major-faults", "stat-minor-faults",
        "stat-free-memory", "stat-total-memory", "stat-available-memory", "stat-disk-caches",
        "stat-htlb-pgalloc", "stat-htlb-pgfail",
    )  # fmt: skip
    #: system/balloon.c qmp_balloon: a target of 0 or less (7.2 names the
    #: parameter 'target', 10.0 'value', as the schema does).
    balloon_size_error: str = "Parameter 'target' expects a size"
    #: migration/migration.c qmp_migrate_pause outside postcopy.
    migrate_pause_error: str = (
        "migrate-pause is currently only supported during postcopy-active state"
    )
    #: target/i386/cpu.c x86_cpu_list_entry: what precedes a model's name
    #: in -cpu help (7.2 names the architecture, 10.0 indents).
    cpu_help_model_prefix: str = "x86 "
    #: qapi/machine.json SMPConfiguration: its members in visiting order
    #: (10.0 adds drawers, books and modules), which -smp takes and
    #: qom-get /machine smp reports.
    smp_members: tuple[str, ...] = (
        "cpus", "sockets", "dies", "clusters", "cores", "threads", "maxcpus",
    )  # fmt: skip
    #: hw/core/machine-smp.c machine_parse_smp_config: the optional levels,
    #: in the order a value > 1 on a machine without them is refused.
    smp_optional_levels: tuple[str, ...] = ("dies", "clusters")
    # -- memory devices and qdev hotplug ---------------------------------
    #: qdev-monitor.c qmp_device_add: the arguments reach
    #: qdev_device_add_from_qdict as JSON (10.0: the QObject visitor types
    #: them, a non-string driver/bus/id is ignored, no id check) rather than
    #: through -device's QemuOpts (7.2: text, id checked).
    device_add_json: bool = False
    #: qdev-monitor.c find_device_state: a QOM path that is no device.
    not_a_device_error: str = "{id} is not a hotpluggable device"
    #: hw/mem/memory-device.c memory_device_pre_plug checks that there is a
    #: device-memory region (pc makes one only with maxmem > -m), the space
    #: left and the backend size against its region's own alignment before
    #: the device's region and address are looked at (10.0, with
    #: ``no_device_memory_error``); 7.2's memory_device_get_free_addr checks
    #: them as it goes, the size against the device's alignment.
    memory_device_prechecks: bool = False
    no_device_memory_error: str = ""
    #: system/physmem.c ram_block_discard_range warns, once per process, when
    #: it punches a hole in a private file mapping (virtio-mem's realize
    #: discards its whole backend); 7.2 does so silently.
    discard_private_file_warning: bool = False
    #: hw/i386/pc.c pc_virtio_md_pci_unplug_request (7.2) or
    #: hw/virtio/virtio-md-pci.c virtio_md_pci_unplug_request (10.0, for a
    #: kind without an unplug check: virtio-pmem): the refusal.
    virtio_md_unplug_error: str = "virtio based memory devices cannot be unplugged."
    #: virtio-mem-pci can be unplugged once it holds no memory
    #: (hw/virtio/virtio-mem-pci.c unplug_request_check, 10.0).
    virtio_mem_unplug: bool = False
    #: hw/pci/pci.c pci_qdev_realize checks and takes a PCI device's
    #: acpi-index on every machine (10.0); 7.2's acpi_pcihp_device_pre_plug_cb
    #: only where ACPI PCI hotplug serves the bus (not pc with acpi=off).
    acpi_index_everywhere: bool = False
    #: The class properties of pci-device and virtio-pci a virtio memory
    #: proxy shows (qom-list order); 10.0 has more, "addr" is a "str" and
    #: "rombar" an int32 defaulting to -1.
    virtio_pci_props: tuple[PropFact, ...] = _VIRTIO_PCI_PROPS_7_2
    #: hw/virtio/virtio.c virtio_properties, in array order (10.0: in_order).
    virtio_device_props: tuple[PropFact, ...] = _VIRTIO_DEVICE_PROPS_7_2
    #: hw/virtio/virtio-mem.c virtio_mem_properties after 7.2's.
    virtio_mem_new_props: tuple[PropFact, ...] = ()
    #: hw/virtio/virtio-mem-pci.c: virtio-mem-pci's own class properties
    #: (10.0: MSI-X "vectors" and "ioeventfd"; with them an MSI-X BAR).
    virtio_mem_pci_props: tuple[PropFact, ...] = ()
    #: hw/core/qdev-properties.c qdev_alias_all_properties aliases the virtio
    #: device's class properties in class hash-table order, legacy-* ones
    #: included (10.0), rather than its qdev property arrays in order (7.2).
    alias_class_properties: bool = False
    #: hw/virtio/virtio-mem.c virtio_mem_device_realize refuses a backend
    #: that preallocates (10.0: the device's own prealloc=on is the way).
    virtio_mem_refuses_prealloc_memdev: bool = False
    #: util/cutils.c do_strtosz: a negative size ("-1", "-0", "-.5") is out
    #: of range (ERANGE, parse_uint since 8.1), not invalid; trailing text
    #: still makes it invalid ("-1k").
    negative_size_out_of_range: bool = False
    #: vl.c -overcommit: None: mem-lock is a bool (7.2); else the strings it
    #: takes (10.0's mem-lock is a string: on, off or on-fault).
    mem_lock_values: tuple[str, ...] | None = None
    #: target/i386/cpu.c x86_cpu_realizefn: a CPU without long mode has 36
    #: physical address bits with PSE36, and (8.2+) with PAE too; else 32.
    pae_phys_bits_36: bool = False
    #: hw/i386/pc.c pc_max_used_gpa (8.2+): on a CPU without long mode,
    #: machine types from this version on end the used address space with
    #: device memory, or the RAM above 4 GiB (fixed_32bit_mem_addr_check);
    #: older types at 2^phys-bits.  None: 7.2's rule, by phys-bits alone.
    fixed_32bit_mem_addr_check_since: tuple[int, int] | None = None
    #: backends/hostmem-file.c file_backend_class_init: memory-backend-file's
    #: own QOM properties in qom-list (hash table) order; 10.0 adds offset and rom.
    file_backend_properties: tuple[tuple[str, str], ...] = (
        ("readonly", "bool"), ("align", "int"), ("pmem", "bool"),
        ("mem-path", "string"), ("discard-data", "bool"),
    )  # fmt: skip
    #: A memory-backend-file's size must be a page multiple (10.0's
    #: host_memory_backend_memory_complete); 7.2 rounds the block up.
    file_backend_size_page_multiple: bool = False
    #: softmmu/physmem.c qemu_ram_alloc_from_fd: a memfd smaller than its
    #: page-rounded block; ``{name}`` is the backend id.
    backing_store_size_error: str = (
        "backing store size 0x{file_size:x} does not match 'size' option 0x{size:x}"
    )


#: QEMU 7.2 as shipped by Debian 12 (the project's first oracle).
QEMU_7_2 = Profile(
    name="7.2", version=(7, 2, 22), package=" (qmpnuma 0.1.0)", latest_machine=(7, 2)
)

#: QEMU 10.0 as shipped by Debian 13 (the second oracle).
QEMU_10_0 = Profile(
    name="10.0",
    version=(10, 0, 13),
    package=" (qmpnuma 0.1.0)",
    latest_machine=(10, 0),
    schema_dir="10.0",
    oldest_i440fx=(2, 4),
    oldest_q35=(2, 4),
    deprecated_machines=(
        ((7, 0), "machines more than 3 years old are subject to deletion after 6 years"),
    ),
    unsupported_machine_named=True,
    x86_modules=True,
    reserved_ram_id_error=(
        "object's id '{id}' is reserved for the default RAM backend, it can't be used for "
        "any other purposes",
        "Change the object's 'id' to something else or disable automatic creation of the "
        "default RAM backend by setting 'memory-backend={id}' with '-machine'.",
    ),
    objects_root_at_start=True,
    no_hotpluggable_cpus_error="machine does not support hot-plugging CPUs",
    hex_size_suffix=False,
    smbios_entry_point_types=("32", "64", "auto"),
    # Sic: "intermittentstability".
    max_fw_size_error=(
        "User specified max allowed firmware size {size} is greater than 16MiB. "
        "If combined firmware size exceeds 16MiB the system may not boot, or "
        "experience intermittentstability issues."
    ),
    smp_level_unsupported="{level} > 1 not supported by this machine's CPU topology",
    amd_hyperthreading_warning=(
        "This family of AMD CPU doesn't support hyperthreading({threads}). "
        "Please configure -smp options properly or try enabling topoext feature."
    ),
    smp_zero_is_error=True,
    status_info_members=("status", "running"),
    facts_file="qemu100.json",
    new_x86_cpu_models=(
        "ClearwaterForest", "ClearwaterForest-v1", "EPYC-Genoa", "EPYC-Genoa-v1",
        "EPYC-Milan-v2", "EPYC-Rome-v3", "EPYC-Rome-v4", "EPYC-v4", "GraniteRapids",
        "GraniteRapids-v1", "GraniteRapids-v2", "Icelake-Server-v7", "SapphireRapids",
        "SapphireRapids-v1", "SapphireRapids-v2", "SapphireRapids-v3", "SierraForest",
        "SierraForest-v1", "SierraForest-v2", "YongFeng", "YongFeng-v1", "YongFeng-v2",
    ),
    balloon_stat_names=(
        "stat-swap-in", "stat-swap-out", "stat-major-faults", "stat-minor-faults",
        "stat-free-memory", "stat-total-memory", "stat-available-memory", "stat-disk-caches",
        "stat-htlb-pgalloc", "stat-htlb-pgfail", "stat-oom-kills", "stat-alloc-stalls",
        "stat-async-scans", "stat-direct-scans", "stat-async-reclaims", "stat-direct-reclaims",
    ),
    balloon_size_error="Parameter 'value' expects a size",
    cpu_help_model_prefix="  ",
    migrate_pause_error=(
        "migrate-pause is currently only supported during postcopy-active or "
        "postcopy-recover state"
    ),
    smp_members=("cpus", "drawers", "books", "sockets", "dies", "clusters", "modules")
    + ("cores", "threads", "maxcpus"),
    smp_optional_levels=("modules", "clusters", "dies", "books", "drawers"),
    # -- memory devices and qdev hotplug ---------------------------------
    device_add_json=True,
    not_a_device_error="{id} is not a device",
    memory_device_prechecks=True,
    discard_private_file_warning=True,
    virtio_md_unplug_error="this virtio based memory devices cannot be unplugged",
    virtio_mem_unplug=True,
    acpi_index_everywhere=True,
    virtio_pci_props=(
        ("failover_pair_id", "str", ""), ("romfile", "str", ""), ("x-pcie-ext-tag", "bool", True),
        ("addr", "str", -1), ("romsize", "uint32", 0xFFFFFFFF),
        ("x-pcie-lnksta-dllla", "bool", True), ("rombar", "int32", -1),
        ("x-max-bounce-buffer-size", "size", 4096), ("x-pcie-ari-nextfn-1", "bool", False),
        ("x-pcie-err-unc-mask", "bool", True), ("x-pcie-extcap-init", "bool", True),
        ("busnr", "busnr", 0), ("acpi-index", "uint32", 0), ("multifunction", "bool", False),
        ("legacy-addr", "str", None), ("aer", "bool", False), ("migrate-extra", "bool", True),
        ("ats", "bool", False), ("x-ignore-backend-features", "bool", False),
        ("x-pcie-pm-init", "bool", True), ("x-pcie-pm-no-soft-reset", "bool", False),
        ("x-pcie-flr-init", "bool", True), ("x-pcie-lnkctl-init", "bool", True),
        ("x-ats-page-aligned", "bool", True), ("page-per-vq", "bool", False),
        ("x-pcie-deverr-init", "bool", True),
        ("virtio-pci-bus-master-bug-migration", "bool", False),
        ("modern-pio-notify", "bool", False), ("x-disable-pcie", "bool", False),
    ),
    virtio_device_props=(
        ("indirect_desc", "bool", True), ("event_idx", "bool", True),
        ("notify_on_empty", "bool", True), ("any_layout", "bool", True),
        ("iommu_platform", "bool", False), ("packed", "bool", False),
        ("queue_reset", "bool", True), ("in_order", "bool", False),
        ("use-started", "bool", True), ("use-disabled-flag", "bool", True),
        ("x-disable-legacy-check", "bool", False),
    ),
    virtio_mem_new_props=(("x-early-migration", "bool", True), ("dynamic-memslots", "bool", False)),
    virtio_mem_pci_props=(("vectors", "uint32", 0xFFFFFFFF), ("ioeventfd", "bool", True)),
    alias_class_properties=True,
    virtio_mem_refuses_prealloc_memdev=True,
    no_device_memory_error=(
        "the configuration is not prepared for memory devices (e.g., for memory hotplug), "
        "consider specifying the maxmem option"
    ),
    negative_size_out_of_range=True,
    mem_lock_values=("on", "off", "on-fault"),
    pae_phys_bits_36=True,
    fixed_32bit_mem_addr_check_since=(8, 2),
    file_backend_properties=(
        ("pmem", "bool"), ("align", "int"), ("offset", "int"), ("mem-path", "string"),
        ("rom", "OnOffAuto"), ("discard-data", "bool"), ("readonly", "bool"),
    ),
    file_backend_size_page_multiple=True,
    backing_store_size_error=(
        "{name} backing store size 0x{file_size:x} is too small for 'size' option "
        "0x{size:x} plus 'offset' option 0x{offset:x}"
    ),
)

#: hw/core/numa.c around QEMU 4.2/5.0 (the seed-numa-c reference): RAM is
#: split between nodes that state none, mem= works everywhere, a memdev used
#: twice is caught at allocation, and notifiers replay nothing.
SEED = Profile(
    name="seed",
    version=(5, 0, 0),
    package=" (qmpnuma 0.1.0)",
    latest_machine=(5, 0),
    numa_auto_split_ram=True,
    numa_seed_node_rules=True,
    numa_memdev_reuse_at_allocation=True,
    default_ram_memdev=False,
    ram_block_notifier_replay=False,
)

#: Every profile by the name it is chosen by.
PROFILES = {profile.name: profile for profile in (QEMU_7_2, QEMU_10_0, SEED)}

DEFAULT_PROFILE = QEMU_7_2


#: The text for a name that is no profile's.
UNKNOWN_PROFILE = "unknown profile '{name}' (known: {known})"


def find_profile(name: str) -> Profile | None:
    """The profile called ``name``, or None."""
    return PROFILES.get(name)


def unknown_profile(name: str) -> str:
    """The error text for ``name``, which find_profile() does not know."""
    return UNKNOWN_PROFILE.format(name=name, known=", ".join(PROFILES))
