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
]

#: The environment variable that names the profile.
PROFILE_ENV = "QMPNUMA_PROFILE"
#: The command-line option that names it (no QEMU option starts with -qmpnuma).
PROFILE_OPTION = "-qmpnuma-profile"


@dataclass(frozen=True)
class Profile:
    """What one emulated QEMU release reports and enforces."""

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
    #: Versioned machine types up to this one are deprecated with
    #: ``deprecated_machines_reason`` (10.0 deprecates every type more than
    #: three years old); None: only the types of OLD_PC_DEPRECATION (7.2).
    deprecated_machines_upto: tuple[int, int] | None = None
    deprecated_machines_reason: str = ""
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
QEMU_7_2 = Profile(version=(7, 2, 22), package=" (qmpnuma 0.1.0)", latest_machine=(7, 2))

#: QEMU 10.0 as shipped by Debian 13 (the second oracle).
QEMU_10_0 = Profile(
    version=(10, 0, 13),
    package=" (qmpnuma 0.1.0)",
    latest_machine=(10, 0),
    schema_dir="10.0",
    oldest_i440fx=(2, 4),
    oldest_q35=(2, 4),
    deprecated_machines_upto=(7, 0),
    deprecated_machines_reason=(
        "machines more than 3 years old are subject to deletion after 6 years"
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
    version=(5, 0, 0),
    package=" (qmpnuma 0.1.0)",
    latest_machine=(5, 0),
    numa_auto_split_ram=True,
    numa_seed_node_rules=True,
    numa_memdev_reuse_at_allocation=True,
    ram_block_notifier_replay=False,
)

#: Every profile by the name it is chosen by.
PROFILES = {"7.2": QEMU_7_2, "10.0": QEMU_10_0, "seed": SEED}

DEFAULT_PROFILE = QEMU_7_2


def find_profile(name: str) -> Profile | None:
    """The profile called ``name``, or None."""
    return PROFILES.get(name)
