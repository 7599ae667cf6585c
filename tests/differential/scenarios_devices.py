"""Devices: device_add / device_del / -device, memory hotplug onto NUMA nodes.

Every generic qdev check of softmmu/qdev-monitor.c, the pre-plug checks of
pc.c, pc-dimm.c and memory-device.c in QEMU's order, address and slot
assignment, and the views that follow the devices (query-memory-devices,
x-query-numa, info numa, query-memory-size-summary, info memory-devices,
query-acpi-ospm-status, qom-list / qom-get, object-del of a busy backend).
"""

from __future__ import annotations

from tests.differential.harness import Scenario, Step, hmp, qmp

__all__ = ["SCENARIOS"]

G = 1 << 30
M = 1 << 20


def ram(ident: str, size: int) -> Step:
    return qmp("object-add", {"qom-type": "memory-backend-ram", "id": ident, "size": size})


def dimm(**props: object) -> Step:
    return qmp("device_add", {"driver": "pc-dimm", **props})


def qom_get(path: str, prop: str) -> Step:
    return qmp("qom-get", {"path": path, "property": prop})


def qom_set(path: str, prop: str, value: object) -> Step:
    return qmp("qom-set", {"path": path, "property": prop, "value": value})


#: The views that follow the plugged devices.
VIEWS = (
    qmp("query-memory-devices"),
    qmp("x-query-numa"),
    qmp("query-memory-size-summary"),
    hmp("info memory-devices"),
    hmp("info memory_size_summary"),
    qmp("query-acpi-ospm-status"),
)

HOTPLUG_ARGS = ("-S", "-m", "1G,slots=4,maxmem=8G")
TWO_NODES = ("-numa", "node,nodeid=0", "-numa", "node,nodeid=1")


def _generic_scenarios() -> list[Scenario]:
    return [
        Scenario(
            "device-add-generic-checks",
            (*HOTPLUG_ARGS, "-object", "memory-backend-ram,id=m0,size=1G"),
            (
                qmp("device_add"),
                qmp("device_add", {"driver": "no-such-device"}),
                qmp("device_add", {"driver": 1}),
                qmp("device_add", {"driver": "memory-backend-ram"}),
                qmp("device_add", {"driver": "device"}),
                qmp("device_add", {"id": "1bad"}),
                dimm(bus="pci.0"),
                dimm(bus="nope"),
                dimm(bus=1),
                dimm(memdev="m0", foo=1),
                dimm(memdev="m0", size=1),
                dimm(memdev="m0", parent_bus="x"),
                dimm(memdev="m0", hotplugged="on"),
                dimm(memdev="m0", type="x"),
                dimm(memdev="m0", node="x"),
                dimm(memdev="m0", node=1.5),
                dimm(memdev="m0", node=-1),
                dimm(memdev="m0", node=1 << 32),
                dimm(memdev="m0", slot=1 << 31),
                dimm(memdev="m0", slot="x", node="y", addr="z"),
                dimm(memdev="nope"),
                dimm(memdev="/machine"),
                dimm(memdev="m0", id="d0"),
                dimm(memdev="m0", id="d0"),
                qmp("qom-list", {"path": "/machine/peripheral"}, unordered=True),
                qmp("qom-list", {"path": "/machine/peripheral-anon"}, unordered=True),
                *VIEWS,
            ),
        ),
        Scenario(
            "device-add-anonymous-numbering",
            (
                *HOTPLUG_ARGS,
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-object",
                "memory-backend-ram,id=m1,size=128M",
            ),
            (
                dimm(),
                dimm(memdev="m0", node="x"),
                dimm(memdev="m0", node=[1]),
                dimm(memdev="m1", id=1),
                qmp("qom-list", {"path": "/machine/peripheral-anon"}, unordered=True),
                qom_get("/machine/peripheral-anon/device[2]", "addr"),
                qom_get("/machine/peripheral-anon/device[3]", "slot"),
                qom_get("/machine/peripheral-anon/device[3]", "memdev"),
                qom_get("/machine/peripheral-anon/device[3]", "legacy-memdev"),
                qom_get("/machine/peripheral-anon/device[3]", "parent_bus"),
                qom_get("/machine/peripheral-anon/device[3]", "hotplugged"),
                qmp("device_del", {"id": "device[3]"}),
                qmp("device_del", {"id": "/machine/peripheral-anon/device[3]"}),
                *VIEWS,
            ),
        ),
        Scenario(
            "device-del-lookup",
            (*HOTPLUG_ARGS, "-object", "memory-backend-ram,id=m0,size=1G"),
            (
                dimm(memdev="m0", id="d0"),
                qmp("device_del", {"id": "nope"}),
                qmp("device_del", {"id": "/machine"}),
                qmp("device_del", {"id": "/objects/m0"}),
                qmp("device_del", {"id": "/machine/peripheral/d0"}),
                qmp("device_del", {"id": "d0"}),
                qmp("device_del", {"id": "d0"}),
                qmp("object-del", {"id": "m0"}),
                qmp("qom-list", {"path": "/machine/peripheral"}, unordered=True),
                *VIEWS,
            ),
        ),
        # device_add's argument types: QemuOpts text (7.2) or JSON (10.0,
        # where a non-string id or bus is ignored and no id is checked).
        Scenario(
            "device-add-argument-types",
            (*HOTPLUG_ARGS, *(a for i in range(4)
                              for a in ("-object", f"memory-backend-ram,id=m{i},size=128M"))),
            (
                dimm(memdev="m0", id="1bad"),
                dimm(memdev="m1", id="a", slot="1"),
                dimm(memdev="m1", id="a", slot=1.0),
                dimm(memdev="m1", id="a", size="1"),
                dimm(memdev="m1", id=5),
                dimm(memdev="m2", id="b", bus=None),
                dimm(memdev="m3", node=True),
                dimm(memdev="m3", addr=True),
                qmp("qom-list", {"path": "/machine/peripheral"}, unordered=True),
                qmp("qom-list", {"path": "/machine/peripheral-anon"}, unordered=True),
                qmp("device_del", {"id": "1bad"}),
                *VIEWS,
            ),
        ),
    ]


def _dimm_scenarios() -> list[Scenario]:
    return [
        Scenario(
            "dimm-hotplug-onto-nodes",
            (*HOTPLUG_ARGS, *TWO_NODES),
            (
                ram("memdimm0", G),
                dimm(node=1, memdev="memdimm0", id="dimm0", slot=0),
                ram("memdimm1", 512 * M),
                dimm(node=0, memdev="memdimm1", id="dimm1"),
                ram("memdimm2", 256 * M),
                dimm(node=2, memdev="memdimm2", id="dimm2"),
                dimm(node=1, memdev="memdimm2", id="dimm2", slot=0),
                dimm(node=1, memdev="memdimm2", id="dimm2", slot=4),
                dimm(node=1, memdev="memdimm2", id="dimm2", slot=-2),
                dimm(node=1, memdev="memdimm2", id="dimm2"),
                qmp("qom-list", {"path": "/machine/peripheral"}, unordered=True),
                qmp("qom-list", {"path": "/machine/peripheral/dimm0"}),
                qom_get("/machine/peripheral/dimm0", "size"),
                qom_get("/machine/peripheral/dimm2", "node"),
                *VIEWS,
                hmp("info numa"),
                qmp("object-del", {"id": "memdimm0"}),
            ),
        ),
        Scenario(
            "dimm-address-checks",
            (*HOTPLUG_ARGS,),
            (
                ram("a", G),
                ram("b", G),
                ram("c", M),
                ram("d", 4 * G),
                dimm(memdev="a", id="da"),
                dimm(memdev="b", addr=0x100000000),
                dimm(memdev="b", addr=0x100000001),
                dimm(memdev="b", addr=0x40000000),
                dimm(memdev="b", addr=0x3C0000000),
                dimm(memdev="b", addr=-1),
                dimm(memdev="c"),
                dimm(memdev="b", addr=0x180000000),
                dimm(memdev="d"),
                *VIEWS,
            ),
        ),
        Scenario(
            "dimm-slots-and-space",
            ("-S", "-m", "1G,slots=2,maxmem=3G"),
            (
                ram("a", G),
                ram("b", G),
                ram("c", G),
                dimm(memdev="a", slot=1),
                dimm(memdev="b"),
                dimm(memdev="c"),
                *VIEWS,
            ),
        ),
        Scenario(
            "dimm-not-enough-space",
            ("-S", "-m", "1G,slots=4,maxmem=2G"),
            (ram("a", G), ram("b", G), dimm(memdev="a"), dimm(memdev="b"), *VIEWS),
        ),
        Scenario(
            "dimm-no-hotplug-configured",
            ("-S", "-m", "1G"),
            (ram("a", G), dimm(memdev="a"), dimm(memdev="a", slot=0), *VIEWS),
        ),
        Scenario(
            "dimm-no-slots",
            ("-S", "-m", "1G,maxmem=2G"),
            (ram("a", G), dimm(memdev="a"), dimm(memdev="a", slot=3), *VIEWS),
        ),
        Scenario(
            "dimm-without-numa-node-1",
            (*HOTPLUG_ARGS,),
            (ram("a", G), dimm(memdev="a", node=1), dimm(memdev="a", node=0), *VIEWS),
        ),
        Scenario(
            "dimm-acpi-off",
            ("-S", "-machine", "pc,acpi=off", "-m", "1G,slots=2,maxmem=2G"),
            (ram("a", G), dimm(memdev="a"), *VIEWS),
        ),
        Scenario(
            "dimm-old-machine-type",
            ("-S", "-machine", "pc-i440fx-2.0", "-m", "1G"),
            (ram("a", G), dimm(memdev="a"), *VIEWS),
        ),
        Scenario(
            "dimm-legacy-alignment",
            ("-S", "-machine", "pc-i440fx-2.1", "-m", "1G,slots=2,maxmem=2G"),
            (ram("a", 64 * M), dimm(memdev="a", addr=0x100001000), *VIEWS),
        ),
        Scenario(
            "dimm-machine-none",
            ("-S", "-machine", "none", "-m", "1G,slots=2,maxmem=2G"),
            (ram("a", G), dimm(memdev="a")),
        ),
        Scenario(
            "dimm-q35-hotplug",
            ("-S", "-machine", "q35", "-m", "2G,slots=2,maxmem=6G", *TWO_NODES),
            (
                ram("a", G),
                dimm(memdev="a", node=1, id="d0"),
                dimm(memdev="a", bus="pcie.0"),
                ram("b", 512 * M),
                dimm(memdev="b"),
                qmp("device_del", {"id": "d0"}),
                *VIEWS,
                hmp("info numa"),
            ),
        ),
    ]


def nvdimm(**props: object) -> Step:
    return qmp("device_add", {"driver": "nvdimm", **props})


def _nvdimm_scenarios() -> list[Scenario]:
    nvdimm_args = ("-S", "-machine", "pc,nvdimm=on", "-m", "1G,slots=4,maxmem=8G", *TWO_NODES)
    return [
        Scenario(
            "nvdimm-hotplug",
            (
                *nvdimm_args,
                "-object",
                "memory-backend-file,id=f0,size=1G,mem-path=/tmp",
                "-object",
                "memory-backend-ram,id=small,size=2M",
            ),
            (
                ram("m0", G),
                nvdimm(memdev="small", **{"label-size": "256K"}),
                nvdimm(memdev="m0", **{"label-size": "64K"}),
                nvdimm(memdev="m0", uuid="x"),
                nvdimm(memdev="m0", id="n0", node=1, **{"label-size": "128K"}),
                nvdimm(memdev="f0", id="n1", addr="0x180201000"),
                nvdimm(memdev="f0", id="n1"),
                qmp("qom-list", {"path": "/machine/peripheral/n0"}),
                qom_get("/machine/peripheral/n0", "uuid"),
                qom_get("/machine/peripheral/n0", "label-size"),
                qom_get("/machine/peripheral/n0", "size"),
                qom_get("/machine/peripheral/n0", "unarmed"),
                qom_get("/machine/peripheral/n0", "nvdimm-memory[0]"),
                qmp("device_del", {"id": "n0"}),
                *VIEWS,
                hmp("info numa"),
            ),
        ),
        Scenario(
            "qom-set-devices",
            (*nvdimm_args,),
            (
                ram("m0", G),
                ram("m1", G),
                ram("m2", G),
                nvdimm(memdev="m0", id="n0", **{"label-size": "128K"}),
                dimm(memdev="m1"),
                qom_set("/machine/peripheral/n0", "label-size", 1),
                qom_set("/machine/peripheral/n0", "node", 1),
                qom_set("/machine/peripheral/n0", "unarmed", True),
                qom_set("/machine/peripheral/n0", "uuid", "12345678-1234-1234-1234-123456789abc"),
                qom_set("/machine/peripheral/n0", "uuid", "nope"),
                qom_set("/machine/peripheral/n0", "uuid", 5),
                qom_get("/machine/peripheral/n0", "uuid"),
                qom_set("/machine/peripheral/n0", "size", 1),
                qom_set("/machine/peripheral/n0", "nope", 1),
                qom_set("/machine/peripheral/n0", "memdev", "m2"),
                qom_set("/machine/peripheral/n0", "memdev", 1),
                qom_set("/machine/peripheral/n0", "memdev", "nope"),
                qom_set("/machine/peripheral/nope", "node", 1),
                qom_set("/machine/peripheral-anon/device[0]", "node", 1),
                qom_set("/machine/peripheral-anon/device[0]", "memdev", "m2"),
                qom_set("/machine/peripheral-anon/device[0]", "addr", "x"),
                qom_set("/machine/peripheral-anon/device[0]", "hotplugged", False),
                qom_set("/machine/peripheral-anon/device[0]", "legacy-memdev", "m2"),
                *VIEWS,
            ),
        ),
        Scenario(
            "nvdimm-not-enabled",
            ("-S", "-m", "1G,slots=4,maxmem=8G"),
            (ram("m0", G), nvdimm(memdev="m0"), nvdimm(memdev="m0", uuid="x")),
        ),
        Scenario(
            "nvdimm-uuid-and-dimm-mix",
            nvdimm_args,
            (
                ram("m0", G),
                ram("m1", G),
                nvdimm(memdev="m0", id="n", uuid="12345678-ABCD-1234-1234-123456789ABC"),
                dimm(memdev="m1", id="d", node=1),
                qom_get("/machine/peripheral/n", "uuid"),
                *VIEWS,
            ),
        ),
        Scenario(
            "nvdimm-cli",
            (
                *nvdimm_args,
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                "nvdimm,id=n,memdev=m0,label-size=128K,node=1",
            ),
            VIEWS,
        ),
        Scenario(
            "nvdimm-cli-not-enabled",
            (
                "-S",
                "-m",
                "1G,slots=4,maxmem=8G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                "nvdimm,id=n,memdev=m0",
            ),
        ),
        Scenario(
            "dimm-file-and-memfd-alignment",
            (
                "-S",
                "-m",
                "1G,slots=4,maxmem=8G",
                "-object",
                "memory-backend-memfd,id=d0,size=1G",
                "-object",
                "memory-backend-file,id=f0,size=1G,mem-path=/tmp,align=64K",
            ),
            (
                dimm(memdev="d0", addr="0x100001000"),
                dimm(memdev="f0", addr="0x180001000"),
                dimm(memdev="f0", addr="0x180010000"),
                *VIEWS,
            ),
        ),
    ]


def _cli_scenarios() -> list[Scenario]:
    return [
        Scenario(
            "device-cli-dimms-on-nodes",
            (
                "-S",
                "-m",
                "2G,slots=4,maxmem=8G",
                "-object",
                "memory-backend-ram,id=n0,size=1G",
                "-object",
                "memory-backend-ram,id=n1,size=1G",
                "-numa",
                "node,nodeid=0,memdev=n0",
                "-numa",
                "node,nodeid=1,memdev=n1",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-object",
                "memory-backend-ram,id=m1,size=512M",
                "-device",
                "pc-dimm,id=vm0,memdev=m0,node=1",
                "-device",
                '{"driver": "pc-dimm", "id": "vm1", "memdev": "m1", "slot": 3}',
            ),
            (*VIEWS, hmp("info numa"), qom_get("/machine/peripheral/vm1", "hotplugged")),
        ),
        Scenario(
            "device-cli-qemu-test-line",
            (
                "-S",
                "-m",
                "512,slots=1,maxmem=59.5G",
                "-object",
                "memory-backend-ram,id=mem1,size=1G",
                "-device",
                "pc-dimm,id=vm0,memdev=mem1",
            ),
            VIEWS,
        ),
        Scenario(
            "device-cli-q35",
            (
                "-S",
                "-machine",
                "q35",
                "-m",
                "1G,slots=2,maxmem=4G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                "pc-dimm,memdev=m0",
            ),
            (*VIEWS, qmp("qom-list", {"path": "/machine/peripheral-anon"}, unordered=True)),
        ),
        Scenario(
            "device-cli-json-typed",
            (
                "-S",
                "-m",
                "1G,slots=2,maxmem=4G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                '{"driver": "pc-dimm", "memdev": "m0", "node": "1"}',
            ),
        ),
        Scenario(
            "device-cli-json-uint",
            (
                "-S",
                "-m",
                "1G,slots=2,maxmem=4G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                '{"driver": "pc-dimm", "memdev": "m0", "addr": 1.5}',
            ),
        ),
        Scenario(
            "device-cli-json-id-unchecked",
            (
                "-S",
                "-m",
                "1G,slots=2,maxmem=4G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                '{"driver": "pc-dimm", "memdev": "m0", "id": "1d"}',
            ),
            (qmp("query-memory-devices"),),
        ),
        Scenario(
            "device-cli-opts-first",
            (
                "-S",
                "-m",
                "1G,slots=2,maxmem=4G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                '{"driver": "pc-dimm", "memdev": "m0", "id": "j"}',
                "-device",
                "pc-dimm,memdev=m0,id=o",
            ),
        ),
        Scenario(
            "device-cli-duplicate-id",
            (
                "-S",
                "-m",
                "1G,slots=2,maxmem=4G",
                "-device",
                "pc-dimm,id=d",
                "-device",
                "pc-dimm,id=d",
            ),
        ),
        Scenario(
            "device-cli-bad-id",
            ("-S", "-m", "1G,slots=2,maxmem=4G", "-device", "pc-dimm,id=1d"),
        ),
        Scenario(
            "device-cli-unknown-driver",
            ("-S", "-device", "no-such-device,id=x"),
        ),
        Scenario(
            "device-cli-no-driver",
            ("-S", "-device", "id=x"),
        ),
        Scenario(
            "device-cli-no-memdev",
            ("-S", "-m", "1G,slots=2,maxmem=4G", "-device", "pc-dimm,id=d"),
        ),
        Scenario(
            "device-cli-busy-memdev",
            (
                "-S",
                "-m",
                "1G,slots=2,maxmem=4G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                "pc-dimm,memdev=m0",
                "-device",
                "pc-dimm,memdev=m0,id=two",
            ),
        ),
        Scenario(
            "device-cli-node-memdev-busy",
            (
                "-S",
                "-m",
                "1G,slots=2,maxmem=4G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-numa",
                "node,memdev=m0",
                "-device",
                "pc-dimm,memdev=m0",
            ),
        ),
        Scenario(
            "device-cli-repeated-property",
            (
                "-S",
                "-m",
                "1G,slots=4,maxmem=4G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                "pc-dimm,memdev=m0,slot=9,slot=2",
            ),
            (qmp("query-memory-devices"),),
        ),
        Scenario(
            "device-cli-phys-bits-pc",
            (
                "-S",
                "-m",
                "1G,slots=4,maxmem=1000G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                "pc-dimm,memdev=m0",
            ),
        ),
        Scenario(
            "device-cli-phys-bits-q35",
            (
                "-S",
                "-machine",
                "q35",
                "-m",
                "1G,slots=4,maxmem=980G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                "pc-dimm,memdev=m0",
            ),
        ),
        Scenario(
            "device-cli-phys-bits-cpu-model",
            (
                "-S",
                "-cpu",
                "qemu32",
                "-m",
                "1G,slots=4,maxmem=2G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                "pc-dimm,memdev=m0",
            ),
            (qmp("query-memory-devices"),),
        ),
        Scenario(
            "device-cli-libvirt-json",
            ("-S", "-machine", "pc-i440fx-7.2,usb=off,dump-guest-core=off",
             "-m", "size=2097152k,slots=16,maxmem=8388608k",
             "-object", '{"qom-type":"memory-backend-ram","id":"ram-node0","size":1073741824}',
             "-numa", "node,nodeid=0,cpus=0,memdev=ram-node0",
             "-object", '{"qom-type":"memory-backend-ram","id":"ram-node1","size":1073741824}',
             "-numa", "node,nodeid=1,memdev=ram-node1",
             "-object", '{"qom-type":"memory-backend-ram","id":"memdimm0","size":536870912}',
             "-device", '{"driver":"pc-dimm","node":1,"memdev":"memdimm0","id":"dimm0","slot":0}'),
            (*VIEWS, qmp("qom-list", {"path": "/machine/peripheral"}, unordered=True),
             hmp("info numa")),
        ),  # fmt: skip
        Scenario(
            "device-cli-cold-unplug",
            ("-S", "-machine", "pc,nvdimm=on", "-m", "1G,slots=4,maxmem=8G",
             "-object", "memory-backend-ram,id=m0,size=1G",
             "-object", "memory-backend-ram,id=m1,size=1G",
             "-device", "pc-dimm,id=d,memdev=m0", "-device", "nvdimm,id=n,memdev=m1"),
            (
                qmp("device_del", {"id": "d"}),
                qmp("device_del", {"id": "n"}),
                dimm(memdev="m0", bus="isa.0"),
                dimm(memdev="m0", bus="main-system-bus"),
                *VIEWS,
            ),
        ),  # fmt: skip
        Scenario(
            "device-cli-preconfig",
            (
                "--preconfig",
                "-S",
                "-m",
                "1G,slots=2,maxmem=4G",
                "-object",
                "memory-backend-ram,id=m0,size=1G",
                "-device",
                "pc-dimm,memdev=m0,id=d",
            ),
            (qmp("query-memory-devices"), qmp("x-exit-preconfig"), qmp("query-memory-devices")),
        ),
    ]


def _odd_ids_scenario() -> Scenario:
    """Ids QemuOpts refuses (7.2) and 10.0 takes as they are: "" and "a/b".

    device_del resolves an id as a path under /machine/peripheral
    (qdev-monitor.c find_device_state): "" names the container, "a/b" a
    child "a" that does not exist.
    """
    return Scenario(
        "device-odd-ids",
        HOTPLUG_ARGS,
        (
            ram("d0", 512 << 20),
            ram("d1", 512 << 20),
            dimm(id="", memdev="d0"),
            dimm(id="a/b", memdev="d1"),
            qmp("qom-list", {"path": "/machine/peripheral"}),
            qmp("qom-list", {"path": "/machine/peripheral/a/b"}),
            qom_get("b", "size"),
            qmp("query-memory-devices"),
            qmp("device_del", {"id": ""}),
            qmp("device_del", {"id": "a/b"}),
            qmp("device_del", {"id": "../peripheral-anon"}),
            qmp("device_del", {"id": "/machine/peripheral/"}),
        ),
    )


SCENARIOS = [
    _odd_ids_scenario(),
    *_generic_scenarios(),
    *_dimm_scenarios(),
    *_nvdimm_scenarios(),
    *_cli_scenarios(),
]
