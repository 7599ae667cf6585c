"""vCPU hotplug: device_add / -device / device_del of CPUs and every CPU view.

libvirt's ``virsh setvcpus --live`` flow (/work/shared/reference/libvirt-usage.md:
device_add with the props of a free query-hotpluggable-cpus entry, then
query-hotpluggable-cpus and query-cpus-fast; device_del on the way down),
every error of x86_cpu_pre_plug and numa_cpu_pre_plug in QEMU's order, the
unplug refusals of a guest that never switched to the modern CPU hotplug
interface, and QEMU's tests/qtest/cpu-plug-test.c idea: plug every free
slot, in the order query-hotpluggable-cpus lists them, then compare every
view, for 1 to 8 sockets with and without dies, threads and -numa cpu.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

from tests.differential.harness import Scenario, Step, hmp, qmp

__all__ = ["SCENARIOS"]

CPU = "qemu64-x86_64-cpu"

#: Every CPU view, read after each interesting step.
VIEWS: tuple[Step, ...] = (
    qmp("query-hotpluggable-cpus"),
    qmp("query-cpus-fast"),
    qmp("x-query-numa"),
    qmp("query-acpi-ospm-status"),
    hmp("info numa"),
    hmp("info hotpluggable-cpus"),
    hmp("info cpus"),
)
#: The CPU properties qom-get reads on a CPU object.
CPU_PROPS = ("realized", "hotplugged", "hotpluggable", "node-id", "socket-id", "die-id",
             "core-id", "thread-id", "apic-id", "type")  # fmt: skip


def device_add(driver: str = CPU, **props: object) -> Step:
    args = {"driver": driver, **{k.replace("_", "-"): v for k, v in props.items()}}
    return qmp("device_add", args)


def device_del(ident: str) -> Step:
    return qmp("device_del", {"id": ident})


def qom_get_all(path: str) -> tuple[Step, ...]:
    return tuple(qmp("qom-get", {"path": path, "property": p}) for p in CPU_PROPS)


def numa_nodes(count: int, size_mib: int = 256) -> tuple[str, ...]:
    """``count`` nodes with their own RAM backends (and -m to match)."""
    args = ["-m", f"{count * size_mib}M"]
    for node in range(count):
        args += ["-object", f"memory-backend-ram,id=r{node},size={size_mib}M",
                 "-numa", f"node,nodeid={node},memdev=r{node}"]  # fmt: skip
    return tuple(args)


# -- libvirt's setvcpus -----------------------------------------------------

#: The domain of libvirt-usage.md: 4 sockets, 2 vCPUs of 4, two 512 MiB cells.
LIBVIRT_DOMAIN = (
    "-cpu", "qemu64",
    "-m", "size=1048576k,slots=4,maxmem=4194304k",
    "-smp", "2,maxcpus=4,sockets=4,cores=1,threads=1",
    "-object", '{"qom-type":"memory-backend-ram","id":"ram-node0","size":536870912}',
    "-numa", "node,nodeid=0,cpus=0-1,memdev=ram-node0",
    "-object", '{"qom-type":"memory-backend-ram","id":"ram-node1","size":536870912}',
    "-numa", "node,nodeid=1,cpus=2-3,memdev=ram-node1",
)  # fmt: skip


def libvirt_setvcpus(machine: str) -> Scenario:
    """setvcpus 3, then 4, then back to 2 (refused: legacy CPU hotplug)."""
    readback = (qmp("query-hotpluggable-cpus"), qmp("query-cpus-fast"))
    return Scenario(
        f"cpu-hotplug-libvirt-setvcpus-{machine}",
        ("-S", "-machine", machine, *LIBVIRT_DOMAIN),
        (
            *readback,
            qmp("qom-get", {"path": "/machine/unattached/device[0]", "property": "realized"}),
            qmp("cont"),
            device_add(id="vcpu2", socket_id=2, core_id=0, thread_id=0, node_id=1),
            *readback,
            device_add(id="vcpu3", socket_id=3, core_id=0, thread_id=0, node_id=1),
            *readback,
            device_del("vcpu3"),
            *readback,
            device_del("vcpu2"),
            *VIEWS,
            qmp("qom-list", {"path": "/machine/peripheral"}),
            *qom_get_all("/machine/peripheral/vcpu2"),
            *qom_get_all("vcpu3"),
        ),
    )


# -- every error ------------------------------------------------------------

#: 2 sockets of 2 cores of 2 threads; CPU 0 boot, node 0 / node 1 by socket.
SMT_TOPOLOGY = ("-smp", "1,maxcpus=8,sockets=2,cores=2,threads=2")
SMT_ERRORS = (
    device_add(socket_id=9, core_id=0, thread_id=0),
    device_add(core_id=0, thread_id=0),
    device_add(socket_id=0, thread_id=0),
    device_add(socket_id=0, core_id=0),
    device_add(socket_id=-3, core_id=0, thread_id=0),
    device_add(socket_id=0, core_id=5, thread_id=0),
    device_add(socket_id=0, core_id=0, thread_id=7),
    device_add(socket_id=0, die_id=1, core_id=0, thread_id=1),
    device_add(socket_id=0, core_id=0, thread_id=0),
    device_add(socket_id=0, core_id=0, thread_id=0, id="dup"),
    device_add(socket_id=1, core_id=0, thread_id=1, node_id=0),
    device_add(socket_id=1, core_id=0, thread_id=1, node_id=7),
    device_add(apic_id=9),
    device_add(apic_id=100),
    device_add(apic_id=0),
    device_add(apic_id=3, socket_id=1),
    device_add(apic_id=3, die_id=1),
    device_add(apic_id=3, core_id=0),
    device_add(apic_id=3, thread_id=0),
    device_add(apic_id=3, socket_id=-5),
    device_add("max-x86_64-cpu", socket_id=0, core_id=0, thread_id=1),
    device_add("Conroe-x86_64-cpu", socket_id=0, core_id=0, thread_id=1),
)


def errors(machine: str, *numa: str) -> Scenario:
    name = f"cpu-hotplug-errors-{machine}" + ("-numa" if numa else "")
    return Scenario(name, ("-S", "-machine", machine, *SMT_TOPOLOGY, *numa),
                    (*SMT_ERRORS, *VIEWS))  # fmt: skip


DIES_TOPOLOGY = ("-smp", "2,maxcpus=16,sockets=2,dies=2,cores=2,threads=2")
DIES_STEPS = (
    device_add(socket_id=1, core_id=0, thread_id=0),
    device_add(socket_id=1, die_id=2, core_id=0, thread_id=0),
    device_add(socket_id=1, die_id=1, core_id=0, thread_id=0, node_id=0),
    # node-id -1 is "unset": filled in from the slot.
    device_add(socket_id=1, die_id=1, core_id=0, thread_id=0, node_id=-1),
    device_add(socket_id=0, die_id=0, core_id=1, thread_id=0, node_id=0),
    device_add(apic_id=13),
    device_add(apic_id=13, die_id=0),
    device_add(apic_id=5, id="by-apic"),
    device_add(apic_id=6, id="by-apic"),
    device_add(apic_id=6, id="vcpu6"),
    *VIEWS,
    *qom_get_all("/machine/peripheral-anon/device[3]"),
    *qom_get_all("by-apic"),
)


# -- the anonymous and named paths -------------------------------------------


def cold_plug(machine: str) -> Scenario:
    """-device CPUs: not hotplugged, numbered with device_add's anonymous ones."""
    return Scenario(
        f"cpu-hotplug-device-option-{machine}",
        ("-S", "-machine", machine, "-smp", "1,maxcpus=4,sockets=4",
         "-device", f"{CPU},socket-id=2,core-id=0,thread-id=0",
         "-device", f"{CPU},id=c1,socket-id=1,core-id=0,thread-id=0"),
        (
            device_add(socket_id=3, core_id=0, thread_id=0),
            *VIEWS,
            qmp("qom-list", {"path": "/machine/peripheral"}),
            qmp("qom-list", {"path": "/machine/peripheral-anon"}),
            *qom_get_all("/machine/peripheral/c1"),
            *qom_get_all("/machine/peripheral-anon/device[0]"),
            *qom_get_all("/machine/peripheral-anon/device[1]"),
            device_del("c1"),
            device_del("/machine/peripheral-anon/device[1]"),
            device_del("/machine/unattached/device[0]"),
        ),
    )  # fmt: skip


def cli_error(name: str, *args: str) -> Scenario:
    return Scenario(f"cpu-hotplug-cli-{name}", ("-S", *args), ())


CLI_ERRORS = [
    cli_error("exists", "-smp", "2,maxcpus=4,sockets=4",
              "-device", f"{CPU},socket-id=1,core-id=0,thread-id=0"),
    cli_error("range", "-smp", "1,maxcpus=4,sockets=4",
              "-device", f"{CPU},socket-id=4,core-id=0,thread-id=0"),
    cli_error("node", "-smp", "1,maxcpus=2,sockets=2", *numa_nodes(2),
              "-device", f"{CPU},socket-id=1,core-id=0,thread-id=0,node-id=0"),
    cli_error("type", "-smp", "1,maxcpus=2,sockets=2",
              "-device", "max-x86_64-cpu,socket-id=1,core-id=0,thread-id=0"),
    cli_error("json-type", "-smp", "1,maxcpus=2,sockets=2",
              "-device", f'{{"driver":"{CPU}","socket-id":"1","core-id":0,"thread-id":0}}'),
    cli_error("none", "-machine", "none", "-device", CPU),
    cli_error("none-cpu", "-machine", "none", "-cpu", "qemu64", "-device", CPU),
]  # fmt: skip


# -- unplug -----------------------------------------------------------------


#: libvirt's -device form: JSON, ids and node-id as integers.
JSON_COLD_PLUG = Scenario(
    "cpu-hotplug-device-json",
    ("-S", "-smp", "1,maxcpus=3,sockets=3", *numa_nodes(3),
     "-device", f'{{"driver":"{CPU}","id":"vcpu1","socket-id":1,"core-id":0,"thread-id":0}}',
     "-device", f'{{"driver":"{CPU}","socket-id":2,"core-id":0,"thread-id":0,"node-id":2}}'),
    (*VIEWS, *qom_get_all("vcpu1"), *qom_get_all("/machine/peripheral-anon/device[0]")),
)  # fmt: skip


def unplug(machine: str) -> Scenario:
    """device_del of boot and plugged CPUs, by id and by path, twice."""
    return Scenario(
        f"cpu-hotplug-unplug-{machine}",
        ("-S", "-machine", machine, "-m", "1G,slots=2,maxmem=2G",
         "-smp", "2,maxcpus=4,sockets=2,cores=2"),
        (
            device_add(id="v2", socket_id=1, core_id=0, thread_id=0),
            device_add(socket_id=1, core_id=1, thread_id=0),
            device_del("v2"),
            device_del("v2"),
            device_del("/machine/peripheral/v2"),
            device_del("/machine/peripheral-anon/device[0]"),
            device_del("/machine/unattached/device[0]"),
            device_del("/machine/unattached/device[2]"),
            qmp("cont"),
            device_del("v2"),
            *VIEWS,
        ),
    )  # fmt: skip


#: Property typing: every refusal after the device exists (not the bus
#: checks before it) still takes an anonymous device[N] name.
PROPERTY_ERRORS = (
    device_add(socket_id=2**31),
    device_add(socket_id=-(2**31) - 1),
    device_add(apic_id=2**32),
    device_add(apic_id=-1),
    device_add(socket_id=1.5),
    device_add(node_id=True),
    device_add(foo=1),
    device_add(bus="pci.0"),
    device_add(bus="nope"),
    # 7.2's device_add goes through QemuOpts: a string is parsed as a
    # number; 10.0 gives the device the JSON values.
    device_add(socket_id="1", core_id="0", thread_id="0"),
    *VIEWS,
)

OTHER = [
    # Partial -numa cpus=: the unmapped slots go to node 0 (with warnings).
    Scenario("cpu-hotplug-partial-numa",
             ("-S", "-smp", "1,maxcpus=4,sockets=4", "-m", "512M",
              "-object", "memory-backend-ram,id=r0,size=256M",
              "-object", "memory-backend-ram,id=r1,size=256M",
              "-numa", "node,nodeid=0,memdev=r0,cpus=0", "-numa", "node,nodeid=1,memdev=r1,cpus=2"),
             (device_add(socket_id=1, core_id=0, thread_id=0, node_id=1),
              device_add(socket_id=1, core_id=0, thread_id=0),
              device_add(socket_id=2, core_id=0, thread_id=0, node_id=1),
              device_add(socket_id=3, core_id=0, thread_id=0, node_id=0), *VIEWS)),
    # The CPU mapping set over QMP before the machine exists.
    Scenario("cpu-hotplug-preconfig",
             ("--preconfig", "-smp", "1,maxcpus=4,sockets=2,cores=2", *numa_nodes(2)),
             (device_add(socket_id=1, core_id=0, thread_id=0),
              qmp("set-numa-node", {"type": "cpu", "node-id": 1, "socket-id": 0}),
              qmp("set-numa-node", {"type": "cpu", "node-id": 0, "socket-id": 1}),
              qmp("x-exit-preconfig"),
              device_add(socket_id=1, core_id=1, thread_id=0, node_id=1),
              device_add(socket_id=1, core_id=1, thread_id=0, node_id=0),
              device_add(id="c", socket_id=0, core_id=1, thread_id=0), *VIEWS)),
    Scenario("cpu-hotplug-driver-names", ("-S", "-smp", "1,maxcpus=2,sockets=2"),
             (device_add("x86_64-cpu"), device_add("cpu"), device_add("qemu64"),
              device_add("host-x86_64-cpu", socket_id=1, core_id=0, thread_id=0),
              device_add(CPU, id="x", socket_id=1, core_id=0, thread_id=0),
              qmp("qom-get", {"path": "x", "property": "parent_bus"}),
              # The ids are qdev properties: fixed once realized.
              qmp("qom-set", {"path": "x", "property": "socket-id", "value": 0}),
              qmp("qom-set", {"path": "/machine/unattached/device[0]", "property": "node-id",
                              "value": 0}),
              qmp("qom-set", {"path": "x", "property": "hotplugged", "value": False}))),
    Scenario("cpu-hotplug-property-errors", ("-S", "-smp", "1,maxcpus=2,sockets=2"),
             PROPERTY_ERRORS),
    Scenario("cpu-hotplug-acpi-off", ("-S", "-machine", "pc,acpi=off",
             "-smp", "1,maxcpus=2,sockets=2"),
             (device_add(id="v", socket_id=1, core_id=0, thread_id=0), device_del("v"),
              device_del("/machine/unattached/device[0]"), *VIEWS)),
    Scenario("cpu-hotplug-machine-none", ("-S", "-machine", "none"),
             (device_add(socket_id=0, core_id=0, thread_id=0), device_add())),
    Scenario("cpu-hotplug-max-model", ("-S", "-cpu", "max", "-smp", "1,maxcpus=2,sockets=2"),
             (device_add(socket_id=1, core_id=0, thread_id=0),
              device_add("max-x86_64-cpu", id="m", socket_id=1, core_id=0, thread_id=0),
              *VIEWS, *qom_get_all("m"))),
    Scenario("cpu-hotplug-named-model", ("-S", "-cpu", "Conroe", "-smp", "1,maxcpus=2,sockets=2"),
             (device_add("Conroe-x86_64-cpu", socket_id=0, core_id=0, thread_id=0),
              device_add("Conroe-x86_64-cpu", socket_id=1, core_id=0, thread_id=0), *VIEWS)),
    # Running, not -S: the same answers.
    Scenario("cpu-hotplug-running", ("-smp", "1,maxcpus=3,sockets=3", *numa_nodes(3)),
             (device_add(id="a", socket_id=2, core_id=0, thread_id=0),
              device_add(id="b", socket_id=1, core_id=0, thread_id=0, node_id=1), *VIEWS)),
]  # fmt: skip


# -- modules (10.0) -------------------------------------------------------------

#: 2 sockets of 2 modules of 2 cores; 7.2 refuses -smp modules= at start-up.
MODULES_TOPOLOGY = ("-smp", "2,maxcpus=8,sockets=2,modules=2,cores=2")
MODULE_STEPS = (
    *VIEWS,
    qmp("qom-get", {"path": "/machine", "property": "smp"}),
    device_add(socket_id=1, core_id=0, thread_id=0),
    device_add(socket_id=1, module_id=2, core_id=0, thread_id=0),
    device_add(socket_id=1, module_id=-1, core_id=0, thread_id=0),
    device_add(socket_id=1, module_id=1, core_id=1, thread_id=0, node_id=0),
    device_add(id="m1", socket_id=1, module_id=1, core_id=1, thread_id=0),
    device_add(id="m1", socket_id=1, module_id=1, core_id=0, thread_id=0),
    # APIC ids: 1 core bit, 1 module bit, then the socket.
    device_add(apic_id=9, module_id=1),
    device_add(apic_id=9, module_id=0, id="by-apic"),
    device_add(apic_id=64),
    device_add(apic_id=2, id="m0"),
    *VIEWS,
    *qom_get_all("m1"),
    device_del("m1"),
)
#: module-id on CPUs of a topology without modules: 10.0 has the property
#: (0 or unset), 7.2 has none.
MODULE_ID_STEPS = (
    device_add(socket_id=1, module_id=1, core_id=0, thread_id=0),
    device_add(id="a", socket_id=1, module_id=0, core_id=0, thread_id=0),
    device_add(id="b", apic_id=2, module_id=0),
    device_add(id="c", socket_id=3, core_id=0, thread_id=0),
    qmp("set-numa-node", {"type": "cpu", "node-id": 0, "module-id": 0}),
    *VIEWS,
)
MODULES = [
    Scenario("cpu-hotplug-modules", ("-S", *MODULES_TOPOLOGY, *numa_nodes(2)), MODULE_STEPS),
    Scenario("cpu-hotplug-modules-q35", ("-S", "-machine", "q35", *MODULES_TOPOLOGY),
             MODULE_STEPS),
    Scenario("cpu-hotplug-module-id", ("-S", "-smp", "1,maxcpus=4,sockets=4"), MODULE_ID_STEPS),
    Scenario("cpu-hotplug-module-id-qom-get", ("-S", *MODULES_TOPOLOGY),
             (device_add(id="m", socket_id=1, module_id=1, core_id=0, thread_id=0),
              *(qmp("qom-get", {"path": path, "property": "module-id"})
                for path in ("m", "/machine/unattached/device[0]")))),
    Scenario("cpu-hotplug-modules-preconfig",
             ("--preconfig", *MODULES_TOPOLOGY, *numa_nodes(2)),
             (qmp("set-numa-node", {"type": "cpu", "node-id": 1, "module-id": 1}),
              qmp("set-numa-node", {"type": "cpu", "node-id": 0, "socket-id": 1, "module-id": 0}),
              qmp("set-numa-node", {"type": "cpu", "node-id": 0, "module-id": 3}),
              qmp("set-numa-node", {"type": "cpu", "node-id": 0, "book-id": 1, "drawer-id": 1,
                                    "socket-id": 0, "module-id": 0}),
              qmp("x-exit-preconfig"),
              device_add(socket_id=1, module_id=1, core_id=0, thread_id=0, node_id=0),
              device_add(socket_id=1, module_id=1, core_id=0, thread_id=0, node_id=1), *VIEWS)),
]  # fmt: skip


# -- cpu-plug-test.c: plug every free slot ---------------------------------

#: Maps (socket, die, core, thread) to a node for -numa cpu.
NodeOf = Callable[[int, int, int, int], int]


def plug_all(
    name: str,
    machine: str,
    sockets: int,
    dies: int,
    cores: int,
    threads: int,
    nodes: int = 0,
    node_of: NodeOf | None = None,
) -> Scenario:
    """Boot one CPU, plug the rest from the highest slot down, as cpu-plug-test does.

    Without ``node_of`` the nodes get sockets round-robin (QEMU's default)
    and device_add leaves node-id out; with it, every die gets a
    ``-numa cpu`` and device_add passes node-id, as libvirt does.
    """
    maxcpus = sockets * dies * cores * threads
    args = ["-S", "-machine", machine,
            "-smp", f"1,maxcpus={maxcpus},sockets={sockets},dies={dies},"
                    f"cores={cores},threads={threads}"]  # fmt: skip
    if nodes:
        args += numa_nodes(nodes)
    if node_of is not None:
        for socket, die in itertools.product(range(sockets), range(dies)):
            placement = f"cpu,node-id={node_of(socket, die, 0, 0)},socket-id={socket}"
            args += ["-numa", placement + (f",die-id={die}" if dies > 1 else "")]
    adds = []
    slots = itertools.product(range(sockets), range(dies), range(cores), range(threads))
    for socket, die, core, thread in reversed(list(slots)[1:]):
        props: dict[str, object] = {"socket_id": socket}
        if dies > 1:
            props["die_id"] = die
        props.update(core_id=core, thread_id=thread)
        if node_of is not None:
            props["node_id"] = node_of(socket, die, core, thread)
        adds.append(device_add(**props))
    last = "/machine/peripheral-anon/device[0]"
    return Scenario(f"cpu-plug-test-{name}-{machine}", tuple(args),
                    (qmp("query-hotpluggable-cpus"), *adds, *VIEWS, *qom_get_all(last),
                     device_add(socket_id=0, die_id=0, core_id=0, thread_id=0)))  # fmt: skip


def _by_die(socket: int, die: int, core: int, thread: int) -> int:
    return (socket * 2 + die) % 4


def _reversed_sockets(socket: int, die: int, core: int, thread: int) -> int:
    return 1 - socket % 2


PLUG_ALL = [
    plug_all("1s-cores", "pc", 1, 1, 4, 1),
    plug_all("1s-threads", "q35", 1, 1, 2, 2),
    plug_all("1s-dies", "pc", 1, 2, 2, 1, nodes=2, node_of=lambda s, d, c, t: d),
    plug_all("2s", "pc", 2, 1, 1, 1, nodes=2),
    plug_all("2s-dies-threads", "pc", 2, 2, 2, 2, nodes=4, node_of=_by_die),
    plug_all("2s-dies-threads", "q35", 2, 2, 2, 2, nodes=4, node_of=_by_die),
    plug_all("4s-cores", "q35", 4, 1, 2, 1, nodes=2, node_of=_reversed_sockets),
    plug_all("4s-dies", "pc", 4, 2, 1, 2, nodes=3),
    plug_all("8s", "pc", 8, 1, 1, 1, nodes=2),
    plug_all("8s-threads", "q35", 8, 1, 2, 2, nodes=4, node_of=lambda s, d, c, t: s // 2),
    plug_all("8s-dies-threads", "pc", 8, 2, 1, 2),
]

# -- seeded random plugs ------------------------------------------------------

#: What a random device_add may spoil, and the values it draws from.
_RANDOM_KEYS = ("socket-id", "die-id", "core-id", "thread-id", "node-id", "apic-id")
_RANDOM_VALUES = (-1, 0, 1, 2, 3, 9)
#: (arguments, sockets, dies, cores, threads, nodes): nodes get sockets round-robin.
_RANDOM_TOPOLOGIES = (
    (("-machine", "pc", *SMT_TOPOLOGY), 2, 1, 2, 2, 0),
    (("-machine", "q35", *DIES_TOPOLOGY, *numa_nodes(2)), 2, 2, 2, 2, 2),
)


def _random_props(
    rng: random.Random, sockets: int, dies: int, cores: int, threads: int, nodes: int
) -> dict[str, object]:
    """A slot's props, as libvirt copies them, or a spoiled copy."""
    socket, die = rng.randrange(sockets), rng.randrange(dies)
    props: dict[str, object] = {"socket-id": socket}
    if dies > 1:
        props["die-id"] = die
    props.update({"core-id": rng.randrange(cores), "thread-id": rng.randrange(threads)})
    if nodes and rng.random() < 0.7:
        props["node-id"] = socket % nodes
    if rng.random() < 0.35:
        key = rng.choice(_RANDOM_KEYS)
        if rng.random() < 0.5:
            props[key] = rng.choice(_RANDOM_VALUES)
        else:
            props.pop(key, None)
    return props


def random_plugs(seed: int) -> Scenario:
    """Fourteen device_adds, mostly a slot's own props, often spoiled; then the views.

    Seeded, so the scenario is the same on every run.
    """
    rng = random.Random(seed)
    args, *shape = _RANDOM_TOPOLOGIES[seed % len(_RANDOM_TOPOLOGIES)]
    steps = []
    for _ in range(14):
        add: dict[str, object] = {"driver": rng.choice([CPU] * 6 + ["max-x86_64-cpu"])}
        if rng.random() < 0.4:
            add["id"] = rng.choice(["a", "b", "vcpu3"])
        steps.append(qmp("device_add", {**add, **_random_props(rng, *shape)}))
    anon = qmp("qom-list", {"path": "/machine/peripheral-anon"})
    return Scenario(f"cpu-hotplug-random-{seed}", ("-S", *args), (*steps, *VIEWS, anon))


SCENARIOS = [
    libvirt_setvcpus("pc"),
    libvirt_setvcpus("q35"),
    errors("pc"),
    errors("q35", *numa_nodes(2)),
    Scenario("cpu-hotplug-dies-numa", ("-S", *DIES_TOPOLOGY, *numa_nodes(2)), DIES_STEPS),
    cold_plug("pc"),
    cold_plug("q35"),
    JSON_COLD_PLUG,
    *CLI_ERRORS,
    unplug("pc"),
    unplug("q35"),
    *OTHER,
    *MODULES,
    *PLUG_ALL,
    *(random_plugs(seed) for seed in range(8)),
]
