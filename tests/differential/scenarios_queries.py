"""Every NUMA query and HMP view, and QEMU's own numa-test.c x86 cases.

The numa-test.c ports (tests/qtest/numa-test.c: test_def_cpu_split,
test_mon_explicit, test_mon_partial, test_query_cpus, pc_numa_cpu) run the
same command lines as QEMU's test and compare every query, not only what
the qtest asserts.
"""

from __future__ import annotations

from tests.differential.harness import Scenario, Step, hmp, qmp

__all__ = ["SCENARIOS"]

# numa-test.c make_cli(): every case starts from this backend.
RAM = ("-object", "memory-backend-ram,id=ram,size=128M")

QUERIES: tuple[Step, ...] = (
    qmp("query-hotpluggable-cpus"),
    qmp("query-cpus-fast"),
    qmp("x-query-numa"),
    qmp("query-memdev"),
    qmp("query-memory-size-summary"),
    qmp("query-memory-devices"),
    qmp("query-acpi-ospm-status"),
    hmp("info numa"),
    hmp("info hotpluggable-cpus"),
    hmp("info memory-devices"),
    hmp("info memory_size_summary"),
)


def qom_get(path: str, prop: str) -> Step:
    return qmp("qom-get", {"path": path, "property": prop})


def qom_list(path: str, unordered: bool = False) -> Step:
    return qmp("qom-list", {"path": path}, unordered=unordered)


def numa_test(name: str, *args: str) -> Scenario:
    return Scenario(f"numa-test-{name}", ("-S", *RAM, *args), QUERIES)


SCENARIOS = [
    numa_test("def-cpu-split", "-machine", "smp.cpus=8,smp.sockets=8",
              "-numa", "node,memdev=ram", "-numa", "node"),
    numa_test("mon-explicit", "-machine", "smp.cpus=8",
              "-numa", "node,nodeid=0,memdev=ram,cpus=0-3", "-numa", "node,nodeid=1,cpus=4-7"),
    numa_test("mon-partial", "-machine", "smp.cpus=8",
              "-numa", "node,nodeid=0,memdev=ram,cpus=0-1", "-numa", "node,nodeid=1,cpus=4-5"),
    numa_test("query-cpus", "-machine", "smp.cpus=8",
              "-numa", "node,memdev=ram,cpus=0-3", "-numa", "node,cpus=4-7"),
    numa_test("pc-cpu-explicit",
              "-cpu", "max", "-machine", "smp.cpus=8,smp.sockets=2,smp.cores=2,smp.threads=2",
              "-numa", "node,nodeid=0,memdev=ram", "-numa", "node,nodeid=1",
              "-numa", "cpu,node-id=1,socket-id=0",
              "-numa", "cpu,node-id=0,socket-id=1,core-id=0",
              "-numa", "cpu,node-id=0,socket-id=1,core-id=1,thread-id=0",
              "-numa", "cpu,node-id=1,socket-id=1,core-id=1,thread-id=1"),
    Scenario(
        "queries-memory-hotplug-machine",
        ("-S", "-m", "1G,slots=4,maxmem=8G", "-smp", "4,sockets=2,cores=2,maxcpus=8",
         "-object", "memory-backend-ram,id=m0,size=512M",
         "-object", "memory-backend-ram,id=m1,size=512M,policy=bind,host-nodes=0",
         "-object", "memory-backend-ram,id=spare,size=256M,prealloc=on,merge=off,dump=off",
         "-numa", "node,nodeid=0,memdev=m0,cpus=0-3",
         "-numa", "node,nodeid=1,memdev=m1,cpus=4-7",
         "-numa", "dist,src=0,dst=1,val=21"),
        (
            *QUERIES,
            hmp("info memdev"),
            qom_list("/objects"),
            qom_list("/objects/m1", unordered=True),
            qom_get("/objects/m1", "size"),
            qom_get("/objects/m1", "policy"),
            qom_get("/objects/m1", "host-nodes"),
            qom_get("/objects/spare", "prealloc"),
            qom_get("/objects/nosuch", "size"),
            qom_get("/objects/m1", "nosuch"),
            qom_get("/machine/unattached/device[0]", "node-id"),
            qom_get("/machine/unattached/device[2]", "socket-id"),
            qom_get("/machine/unattached/device[3]", "core-id"),
            qom_get("/machine/unattached/device[4]", "thread-id"),
            qom_get("/machine/unattached/device[2]", "nosuch"),
            qmp("qom-list", {"path": "/nosuch"}),
            qmp("object-del", {"id": "m0"}),
            qmp("object-del", {"id": "spare"}),
            qmp("object-del", {"id": "spare"}),
            qmp("object-add", {"qom-type": "memory-backend-ram", "id": "late", "size": 1048576}),
            qmp("object-add", {"qom-type": "memory-backend-ram", "id": "late", "size": 1048576}),
            qmp("object-add", {"qom-type": "memory-backend-ram", "id": "zero", "size": 0}),
            qmp("query-memdev"),
        ),
    ),
    Scenario(
        # qom/object.c object_get_objects_root: /objects is made on first
        # use (an object that passes its property setters, object-del, the
        # default RAM backend), not when QEMU starts.
        "queries-objects-root-on-demand",
        ("-S", "-machine", "none"),
        (
            qom_list("/objects"),
            qmp("object-add", {"qom-type": "memory-backend-ram", "id": "0bad", "size": 1048576}),
            qom_get("objects", "type"),
            qmp("object-add", {"qom-type": "memory-backend-ram", "id": "m0", "size": 1048576,
                               "policy": "bind"}),
            qom_list("/objects"),
        ),
    ),
    Scenario(
        "queries-objects-root-preconfig",
        ("--preconfig",),
        (qom_list("/objects"), qmp("object-del", {"id": "x"}), qom_list("/objects")),
    ),
    Scenario(
        # hw/core/null-machine.c: no hotpluggable CPUs (QERR_FEATURE_DISABLED)
        # and none of the pc machine properties.
        "queries-machine-none",
        ("-S", "-machine", "none", "-m", "128M"),
        (
            *QUERIES[:3],
            hmp("info hotpluggable-cpus"),
            qom_get("/machine", "hmat"),
            qom_get("/machine", "nvdimm"),
            qom_get("/machine", "device-memory-region-size"),
            qom_get("/machine", "memory-backend"),
        ),
    ),
    Scenario(
        # qom-list keeps QOM's own property order, type-specific ones included.
        "queries-qom-list-backend-types",
        ("-S", "-m", "128M",
         "-object", "memory-backend-file,id=f,size=1M,mem-path=/tmp,align=2M,discard-data=on",
         "-object", "memory-backend-memfd,id=d,size=1M,seal=off"),
        (
            qom_list("/objects/f"),
            qom_list("/objects/d"),
            qom_list("/objects/pc.ram"),
            *(qom_get("/objects/f", name)
              for name in ("readonly", "align", "pmem", "mem-path", "discard-data")),
            *(qom_get("/objects/d", name) for name in ("hugetlb", "seal", "hugetlbsize")),
        ),
    ),
    Scenario(
        # pc_init1 makes the PIIX4 ACPI device only without acpi=off.
        "queries-acpi-off",
        ("-S", "-machine", "acpi=off", "-m", "1G,slots=2,maxmem=2G"),
        (qmp("query-acpi-ospm-status"),),
    ),
    Scenario(
        "queries-acpi-off-q35",
        ("-S", "-machine", "q35,acpi=off", "-m", "1G,slots=2,maxmem=2G"),
        (qmp("query-acpi-ospm-status"),),
    ),
    Scenario(
        "queries-no-numa",
        ("-S", "-m", "256M", "-smp", "2"),
        (*QUERIES, hmp("info memdev"), qom_get("/objects/pc.ram", "size")),
    ),
    Scenario(
        "queries-auto-numa-node",
        ("-S", "-m", "512M,slots=2,maxmem=1G", "-smp", "2,sockets=2"),
        QUERIES,
    ),
    Scenario(
        "queries-q35-dies",
        ("-S", "-machine", "q35", "-m", "1G", "-smp", "8,sockets=2,dies=2,cores=2",
         "-object", "memory-backend-ram,id=m0,size=1G",
         "-numa", "node,nodeid=0,memdev=m0", "-numa", "node,nodeid=1",
         "-numa", "cpu,node-id=1,socket-id=1,die-id=0"),
        QUERIES,
    ),
]
