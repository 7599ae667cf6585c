"""virtio-mem-pci and virtio-pmem-pci, hot-plugged and on the command line.

Every check of device_add / -device for the two kinds in QEMU 7.2's order
(memory-device pre-plug, then the PCI slot, then the virtio device's
realize), the views that follow (query-memory-devices, info numa,
query-memory-size-summary, info memory-devices, qom-get/qom-set), unplug
refusals, and libvirt's virtio-mem sequence.  No guest driver runs, so
``size`` stays 0 whatever is requested.
"""

from __future__ import annotations

from tests.differential.harness import Scenario, Step, hmp, qmp

__all__ = ["SCENARIOS"]

MiB = 1 << 20
GiB = 1 << 30
PERIPHERAL = "/machine/peripheral"

#: Everything a memory device shows.
VIEWS: tuple[Step, ...] = (
    qmp("query-memory-devices"),
    hmp("info memory-devices"),
    qmp("x-query-numa"),
    qmp("query-memory-size-summary"),
    qmp("query-memdev", unordered=True),
)


def device_add(driver: str, **props: object) -> Step:
    return qmp("device_add", {"driver": driver, **{k.replace("_", "-"): v
                                                  for k, v in props.items()}})


def vmem(**props: object) -> Step:
    return device_add("virtio-mem-pci", **props)


def vpmem(**props: object) -> Step:
    return device_add("virtio-pmem-pci", **props)


def qom_get(ident: str, prop: str) -> Step:
    return qmp("qom-get", {"path": f"{PERIPHERAL}/{ident}", "property": prop})


def qom_set(ident: str, prop: str, value: object) -> Step:
    return qmp("qom-set", {"path": f"{PERIPHERAL}/{ident}", "property": prop, "value": value})


def ram(ident: str, size: str, *extra: str) -> tuple[str, str]:
    return ("-object", ",".join((f"memory-backend-ram,id={ident},size={size}", *extra)))


def fails(name: str, *args: str) -> Scenario:
    """A command line QEMU refuses: exit status and stderr only."""
    return Scenario(f"vmem-cli-{name}", ("-m", "1G,slots=2,maxmem=4G", *args), negotiate=False)


HOTPLUG = ("-S", "-m", "1G,slots=2,maxmem=4G")
TWO_NODES = (*ram("n0", "1G"), "-numa", "node,nodeid=0,memdev=n0", "-numa", "node,nodeid=1")

# fmt: off
SCENARIOS = [
    # libvirt's attach-device and update-memory-device for virtio-mem
    # (../shared/reference/libvirt-usage.md), on libvirt's NUMA command line.
    Scenario(
        "vmem-libvirt-sequence",
        ("-S", "-m", "size=1048576k,slots=4,maxmem=4194304k",
         "-smp", "2,maxcpus=4,sockets=4,cores=1,threads=1",
         "-object", '{"qom-type":"memory-backend-ram","id":"ram-node0","size":536870912}',
         "-numa", "node,nodeid=0,cpus=0-1,memdev=ram-node0",
         "-object", '{"qom-type":"memory-backend-ram","id":"ram-node1","size":536870912}',
         "-numa", "node,nodeid=1,cpus=2-3,memdev=ram-node1"),
        (
            qmp("object-add", {"qom-type": "memory-backend-ram", "id": "memvirtiomem0",
                               "reserve": False, "size": 512 * MiB}),
            vmem(node=0, block_size=2 * MiB, requested_size=256 * MiB, memdev="memvirtiomem0",
                 id="virtiomem0", bus="pci.0", addr="0x3"),
            qmp("query-memory-devices"),
            qmp("qom-list", {"path": PERIPHERAL}, unordered=True),
            qom_set("virtiomem0", "requested-size", 128 * MiB),
            qom_get("virtiomem0", "requested-size"),
            qom_get("virtiomem0", "size"),
            qom_get("virtiomem0", "block-size"),
            qom_get("virtiomem0", "node"),
            *VIEWS,
            hmp("info numa"),
            qmp("device_del", {"id": "virtiomem0"}),
            qmp("object-del", {"id": "memvirtiomem0"}),
        ),
    ),
    Scenario(
        "vmem-hotplug-checks",
        (*HOTPLUG, *TWO_NODES, *ram("m0", "1G"), *ram("m3", "3M"), *ram("big", "3G"),
         "-object", "memory-backend-memfd,id=f3,size=3M"),
        (
            vmem(id="a"),
            vmem(id="a", memdev="m0", block_size=MiB - 1),
            vmem(id="a", memdev="m0", block_size=3 * MiB),
            vmem(id="a", memdev="m0", requested_size=3 * MiB),
            vmem(id="a", memdev="m0", memaddr=4 * GiB + MiB),
            vmem(id="a", memdev="m0", memaddr=4 * MiB),
            vmem(id="a", memdev="m3"),
            vmem(id="a", memdev="m0", node=2),
            vmem(id="a", memdev="m0", node=-1),
            vmem(id="a", memdev="n0"),
            # 3 MiB of memfd in 1 MiB blocks fits, with a warning on stderr;
            # a request beyond the backend is only checked once realized.
            vmem(id="a", memdev="f3", block_size=MiB, requested_size=4 * MiB, node=1),
            vmem(id="b", memdev="big"),
            vmem(id="b", memdev="m0", memaddr=4 * GiB),
            vmem(id="b", memdev="m0", block_size="2M"),
            vmem(id="c", memdev="m0"),
            vmem(id="c", memdev="big", block_size=4 * MiB),
            *VIEWS,
            hmp("info numa"),
        ),
    ),
    Scenario(
        "vmem-qom-request",
        (*HOTPLUG, *ram("m0", "1G")),
        (
            vmem(id="vm0", memdev="m0", requested_size=64 * MiB),
            qom_set("vm0", "requested-size", 3 * MiB),
            qom_set("vm0", "requested-size", 4 * GiB),
            qom_set("vm0", "requested-size", "1G"),
            qom_set("vm0", "requested-size", -1),
            qom_set("vm0", "block-size", 4 * MiB),
            qom_set("vm0", "block-size", "x"),
            qom_set("vm0", "size", 4 * MiB),
            qom_set("vm0", "node", 0),
            qom_set("vm0", "memaddr", 0),
            qom_set("vm0", "requested-size", GiB),
            qom_set("vm0", "requested-size", 0),
            qom_set("vm0", "requested-size", 0),
            *(qom_get("vm0", prop) for prop in (
                "requested-size", "size", "block-size", "node", "memaddr", "memdev", "addr",
                "prealloc", "unplugged-inaccessible", "type", "hotplugged", "hotpluggable",
                "realized", "multifunction")),
            qom_get("vm0", "nonexistent"),
            qmp("device_del", {"id": "vm0"}),
            qmp("device_del", {"id": "vm0"}),
            qmp("object-del", {"id": "m0"}),
            *VIEWS,
        ),
    ),
    Scenario(
        "vmem-unplugged-inaccessible",
        (*HOTPLUG, *ram("r0", "64M", "share=on"),
         "-object", "memory-backend-memfd,id=f0,size=64M",
         "-object", "memory-backend-file,id=file0,size=64M,mem-path=/tmp"),
        (
            vmem(id="a", memdev="r0"),
            vmem(id="b", memdev="f0", unplugged_inaccessible="off"),
            vmem(id="c", memdev="file0", unplugged_inaccessible="on"),
            qom_get("a", "unplugged-inaccessible"),
            qom_get("b", "unplugged-inaccessible"),
            qom_get("c", "unplugged-inaccessible"),
            qmp("query-memory-devices"),
        ),
    ),
    Scenario(
        "vpmem-hotplug",
        (*HOTPLUG, *TWO_NODES, *ram("m3", "3M"),
         "-object", "memory-backend-file,id=p0,size=256M,mem-path=/tmp,share=on",
         "-object", "memory-backend-memfd,id=p1,size=3M"),
        (
            vpmem(id="p"),
            vpmem(id="p", memdev="n0"),
            vpmem(id="p", memdev="m3"),
            vpmem(id="p", memdev="p0", memaddr=4 * MiB),
            vpmem(id="p", memdev="p0", memaddr=5 * GiB),
            vpmem(id="q", memdev="p1"),
            vpmem(id="r", memdev="p0"),
            *VIEWS,
            hmp("info numa"),
            qom_get("p", "memaddr"),
            qom_get("p", "memdev"),
            qom_set("p", "memaddr", 0),
            qmp("device_del", {"id": "p"}),
            qmp("device_del", {"id": "p"}),
            qmp("object-del", {"id": "p0"}),
        ),
    ),
    Scenario(
        "vmem-no-maxmem",
        ("-S", "-m", "1G", *ram("m0", "1G")),
        (vmem(id="a", memdev="m0"), vpmem(id="a", memdev="m0"), vmem(id="a"),
         qmp("query-memory-devices")),
    ),
    Scenario(
        "vmem-maxmem-without-slots",
        ("-S", "-m", "1G,maxmem=2G", *ram("m0", "1G"),
         "-device", "virtio-mem-pci,id=a,memdev=m0,requested-size=64M"),
        VIEWS,
    ),
    Scenario(
        "vmem-pci-addr-hotplug",
        (*HOTPLUG, *ram("m0", "64M"), *ram("m1", "64M"), *ram("m2", "64M")),
        (
            vmem(id="a", memdev="m0", addr="1.0"),
            vmem(id="a", memdev="m0", addr="1.2"),
            vmem(id="a", memdev="m0", addr="1.3"),
            vmem(id="a", memdev="m0", addr="zz"),
            vmem(id="a", memdev="m0", addr="32"),
            vmem(id="a", memdev="m0", addr="2."),
            vmem(id="a", memdev="m0", addr="2.8"),
            vmem(id="a", memdev="m0", addr=20),
            vmem(id="a", memdev="m0", addr=-1),
            vmem(id="a", memdev="m0", bus="pci.1"),
            vmem(id="a", memdev="m0", bus="pci.0", addr="0x2"),
            vpmem(id="b", memdev="m1", addr="2.1"),
            vpmem(id="b", memdev="m1", addr="3.1"),
            # Slot 3's function 0 is free, so the search takes it and fails.
            vmem(id="c", memdev="m2"),
            vmem(id="c", memdev="m2", multifunction=True),
            qom_get("a", "addr"),
            qom_get("b", "addr"),
            qom_get("c", "addr"),
            qom_get("c", "legacy-addr"),
            qmp("query-memory-devices"),
        ),
    ),
    Scenario(
        "vmem-pc-acpi-off",
        ("-S", "-machine", "pc,acpi=off", "-m", "1G,slots=1,maxmem=2G", *ram("m0", "1G")),
        (vmem(id="a", memdev="m0"), vpmem(id="a", memdev="m0"), qmp("query-memory-devices")),
    ),
    Scenario(
        "vmem-q35-hotplug",
        ("-S", "-machine", "q35", *HOTPLUG[1:], *ram("m0", "1G")),
        (vmem(id="a", memdev="m0"), vpmem(id="a", memdev="m0"),
         vmem(id="a", memdev="m0", bus="pcie.0"), vmem(id="a", memdev="m0", bus="pci.0"),
         qmp("query-memory-devices")),
    ),
    Scenario(
        "vmem-q35-cold-plug",
        ("-S", "-machine", "q35", "-m", "2G,slots=2,maxmem=8G", *TWO_NODES[:2],
         "-numa", "node,nodeid=0,memdev=n0", "-numa", "node,nodeid=1,memdev=n1",
         *ram("n1", "1G"), *ram("v0", "1G"), *ram("v1", "512M"),
         "-device", "virtio-mem-pci,id=vm0,memdev=v0,node=1,requested-size=128M,block-size=4M",
         "-device", "virtio-pmem-pci,id=vp0,memdev=v1,addr=1f.1"),
        (*VIEWS, hmp("info numa"), qom_get("vm0", "addr"), qom_get("vp0", "addr"),
         qom_get("vm0", "parent_bus"), qom_set("vm0", "requested-size", 256 * MiB),
         qmp("query-memory-devices")),
    ),
    Scenario(
        "vmem-cli-json",
        (*HOTPLUG, *ram("m0", "1G"), *ram("m1", "1G"),
         "-device", '{"driver":"virtio-mem-pci","id":"vm0","memdev":"m0","addr":24,'
                    '"requested-size":4194304}',
         "-device", '{"driver":"virtio-pmem-pci","id":"vp","memdev":"m1","addr":"5"}'),
        (*VIEWS, qom_get("vp", "addr"), vmem(id="x", memdev="m0", block_size=2 * GiB)),
    ),
    Scenario(
        "vmem-alignment-warning",
        ("-S", "-m", "4G,slots=2,maxmem=12G", *ram("m0", "2G"), *ram("m1", "2G")),
        (vmem(id="a", memdev="m0", block_size="2G"), vmem(id="b", memdev="m1", block_size="1G"),
         qmp("query-memory-devices")),
    ),
    Scenario(
        "vmem-mlock",
        # Little memory: QEMU locks all of it at start-up.
        ("-S", "-overcommit", "mem-lock=on", "-m", "128M,slots=1,maxmem=1G", *ram("m0", "64M")),
        (vmem(id="a", memdev="m0"), vpmem(id="a", memdev="m0"), qmp("query-memory-devices")),
    ),
    # One region for every kind: first fit by address, whatever the kind.
    Scenario(
        "vmem-with-dimms",
        ("-S", "-m", "1G,slots=2,maxmem=8G", *TWO_NODES, *ram("d0", "1G"), *ram("v0", "1G"),
         *ram("p0", "512M"), *ram("d1", "1G"), *ram("v1", "256M"),
         "-device", "pc-dimm,id=dimm0,memdev=d0,node=1",
         "-device", '{"driver":"virtio-mem-pci","id":"vm0","memdev":"v0","bus":"pci.0",'
                    '"addr":"0x3","node":1,"requested-size":134217728}'),
        (
            vpmem(id="vp0", memdev="p0"),
            device_add("pc-dimm", id="dimm1", memdev="d1"),
            qmp("device_del", {"id": "dimm0"}),
            vmem(id="vm1", memdev="v1", memaddr=4 * GiB),
            vmem(id="vm1", memdev="d1"),
            vpmem(id="vm1", memdev="d1"),
            device_add("pc-dimm", id="dimm2", memdev="v0"),
            vmem(id="vm1", memdev="v1"),
            *VIEWS,
            hmp("info numa"),
            qmp("query-acpi-ospm-status"),
            qmp("qom-list", {"path": PERIPHERAL}, unordered=True),
        ),
    ),
    Scenario(
        "vmem-buses",
        (*HOTPLUG, *ram("m0", "1G")),
        (vmem(id="a", memdev="m0", bus="isa.0"), vmem(id="a", memdev="m0", bus="main-system-bus"),
         vpmem(id="a", memdev="m0", bus="pci.1"), qmp("query-memory-devices")),
    ),
    Scenario(
        "vmem-machine-none",
        ("-S", "-machine", "none", "-m", "1G,slots=1,maxmem=2G", *ram("m0", "1G")),
        (vmem(id="a", memdev="m0"), vpmem(id="a", memdev="m0", bus="pci.0"),
         qmp("query-memory-devices")),
    ),
    Scenario(
        "vmem-proxy-props",
        (*HOTPLUG, *ram("m0", "1G")),
        (
            vmem(id="a", memdev="m0", ats="on", rombar=2, disable_legacy="off",
                 disable_modern=True, x_pcie_pm_init=False, indirect_desc=False, prealloc=True),
            *(qom_get("a", prop) for prop in (
                "ats", "rombar", "disable-legacy", "disable-modern", "x-pcie-pm-init",
                "indirect_desc", "prealloc", "multifunction")),
        ),
    ),
    # A failed device_add keeps the acpi-index it took (hw/acpi/pcihp.c).
    Scenario(
        "vmem-acpi-index",
        (*HOTPLUG, *ram("m0", "1G"), *ram("m1", "1G")),
        (vmem(id="a", memdev="m0", acpi_index=16384),
         vmem(id="a", memdev="m0", acpi_index=7, node=5),
         vmem(id="a", memdev="m0", acpi_index=7),
         vmem(id="b", memdev="m1", acpi_index=8, addr="1.0"),
         vmem(id="b", memdev="m1", acpi_index=8),
         vmem(id="b", memdev="m1", acpi_index=9),
         qom_get("b", "acpi-index"),
         qmp("query-memory-devices")),
    ),
    fails("acpi-index", *ram("m0", "1G"), *ram("m1", "1G"),
          "-device", "virtio-mem-pci,id=a,memdev=m0,acpi-index=3",
          "-device", "virtio-pmem-pci,id=b,memdev=m1,acpi-index=3"),
    Scenario(
        "vmem-cli-q35-acpi-index",
        ("-machine", "q35,acpi=off", *HOTPLUG[1:], *ram("m0", "1G"), *ram("m1", "1G"),
         "-device", "virtio-mem-pci,id=a,memdev=m0,acpi-index=3",
         "-device", "virtio-pmem-pci,id=b,memdev=m1,acpi-index=3"),
        negotiate=False,
    ),
    Scenario(
        "vmem-pc-acpi-off-acpi-index",
        ("-S", "-machine", "pc,acpi=off", *HOTPLUG[1:], *ram("m0", "1G"), *ram("m1", "1G"),
         "-device", "virtio-mem-pci,id=a,memdev=m0,acpi-index=3",
         "-device", "virtio-pmem-pci,id=b,memdev=m1,acpi-index=3"),
        (qmp("query-memory-devices"),),
    ),
    Scenario(
        "vmem-cli-warning",
        (*HOTPLUG, "-object", "memory-backend-memfd,id=f0,size=64M",
         "-device", "virtio-mem-pci,id=a,memdev=f0,block-size=1M,unplugged-inaccessible=off"),
        VIEWS,
    ),
    Scenario(
        "vmem-qom-list",
        (*HOTPLUG, *ram("m0", "64M"), *ram("m1", "64M"), *ram("m2", "64M"), *ram("m3", "64M"),
         "-device", "virtio-mem-pci,id=vm0,memdev=m0", "-device", "virtio-pmem-pci,memdev=m1"),
        (
            vmem(id="vm1", memdev="m2"),
            vpmem(id="vp1", memdev="m3"),
            qmp("qom-list", {"path": PERIPHERAL}, unordered=True),
            qmp("qom-list", {"path": "/machine/peripheral-anon"}),
            qmp("qom-list", {"path": f"{PERIPHERAL}/vm0"}),
            qmp("qom-list", {"path": "/machine/peripheral-anon/device[0]"}),
            qmp("qom-list", {"path": f"{PERIPHERAL}/vm1"}),
            qmp("qom-list", {"path": f"{PERIPHERAL}/vp1"}),
            qom_get("vp1", "virtio-backend"),
            qom_get("vp1", "bus master[0]"),
            qom_get("vp1", "legacy-addr"),
            qom_get("vp1", "disable-legacy"),
            qom_get("vp1", "romsize"),
            qmp("qom-get", {"path": "/machine/peripheral-anon/device[0]", "property": "addr"}),
            qmp("query-memory-devices"),
            hmp("info memory-devices"),
        ),
    ),
    Scenario(
        "vmem-qom-set-refusals",
        (*HOTPLUG, *ram("m0", "64M"), *ram("m1", "64M"),
         "-device", "virtio-mem-pci,id=vm0,memdev=m0", "-device", "virtio-pmem-pci,memdev=m1"),
        (
            *(qom_set("vm0", prop, value) for prop, value in (
                ("addr", 3), ("multifunction", True), ("romfile", "x"), ("virtio-backend", "x"),
                ("type", "x"), ("bus master[0]", "x"), ("disable-legacy", "off"),
                ("indirect_desc", False), ("memdev", "m1"), ("prealloc", True),
                ("unplugged-inaccessible", "on"), ("legacy-addr", "x"), ("hotplugged", True),
                ("parent_bus", "x"), ("nonexistent", 1), ("size", 0))),
            qmp("qom-set", {"path": "/machine/peripheral-anon/device[0]", "property": "ats",
                            "value": True}),
            qmp("qom-set", {"path": "/machine/peripheral-anon/device[0]", "property": "memaddr",
                            "value": 0}),
            qmp("qom-set", {"path": "/machine/peripheral-anon/device[0]", "property": "size",
                            "value": 0}),
            qmp("device_del", {"id": "/machine/peripheral-anon/device[0]"}),
        ),
    ),
    fails("no-memdev", "-device", "virtio-mem-pci,id=a"),
    fails("pmem-no-memdev", "-device", "virtio-pmem-pci,id=a"),
    fails("node", *ram("m0", "1G"), "-device", "virtio-mem-pci,id=a,memdev=m0,node=3"),
    fails("busy", *ram("m0", "1G"), "-numa", "node,memdev=m0",
          "-device", "virtio-mem-pci,id=a,memdev=m0"),
    fails("pmem-busy", *ram("m0", "1G"), *ram("m1", "1G"),
          "-device", "virtio-pmem-pci,id=a,memdev=m0", "-device", "virtio-pmem-pci,id=b,memdev=m0"),
    fails("block-size", *ram("m0", "1G"), "-device", "virtio-mem-pci,id=a,memdev=m0,block-size=3M"),
    fails("requested-size", *ram("m0", "1G"),
          "-device", "virtio-mem-pci,id=a,memdev=m0,requested-size=1M"),
    fails("too-big", *ram("m0", "4G"), "-device", "virtio-mem-pci,id=a,memdev=m0"),
    Scenario("vmem-cli-no-maxmem-q35",
             ("-machine", "q35", "-m", "1G", *ram("m0", "1G"),
              "-device", "virtio-mem-pci,id=a,memdev=m0"), negotiate=False),
    fails("addr-q35-mch", "-machine", "q35", *ram("m0", "1G"),
          "-device", "virtio-pmem-pci,id=a,memdev=m0,addr=0.0"),
    fails("addr-q35-ahci", "-machine", "q35", *ram("m0", "1G"),
          "-device", "virtio-pmem-pci,id=a,memdev=m0,addr=1f.2"),
    fails("addr-pc-pm", *ram("m0", "1G"), "-device", "virtio-pmem-pci,id=a,memdev=m0,addr=1.3"),
    fails("addr-json-range", *ram("m0", "1G"),
          "-device", '{"driver":"virtio-mem-pci","id":"vm0","memdev":"m0","addr":300}'),
    fails("addr-busy", *ram("m0", "1G"), *ram("m1", "1G"),
          "-device", "virtio-mem-pci,id=a,memdev=m0,addr=4",
          "-device", "virtio-pmem-pci,id=b,memdev=m1,addr=4.0"),
    # Hot-unplug: 7.2 refuses every virtio memory device; 10.0 lets an
    # empty virtio-mem go (the request stays pending while the VM has never
    # run) and locks its requested-size meanwhile.
    Scenario(
        "vmem-unplug-prelaunch",
        (*HOTPLUG, *ram("m0", "64M"), *ram("m1", "64M"), *ram("m2", "64M"),
         "-device", "virtio-mem-pci,id=cold,memdev=m2"),
        (
            vmem(id="a", memdev="m0", requested_size=4 * MiB),
            vmem(id="b", memdev="m1", unplugged_inaccessible="off"),
            qmp("device_del", {"id": "b"}),
            qmp("device_del", {"id": "a"}),
            qom_set("a", "requested-size", 0),
            qmp("device_del", {"id": "a"}),
            qom_set("a", "requested-size", "x"),
            qom_set("a", "requested-size", 2 * MiB),
            qmp("device_del", {"id": f"{PERIPHERAL}/a"}),
            qmp("device_del", {"id": "cold"}),
            qmp("cont"),
            qmp("device_del", {"id": "cold"}),
            *VIEWS,
        ),
    ),
    Scenario(
        "vmem-unplug-running",
        ("-m", "1G,slots=2,maxmem=4G", *ram("m0", "64M")),
        (
            vmem(id="a", memdev="m0"),
            qmp("device_del", {"id": "a"}),
            qom_set("a", "requested-size", 2 * MiB),
            qmp("device_del", {"id": "a"}),
            qmp("query-memory-devices"),
        ),
    ),
    *(Scenario(
        f"vmem-unplug-bus-{name}",
        ("-S", "-machine", machine, *HOTPLUG[1:], *ram("m0", "64M"), *ram("m1", "64M"),
         "-device", "virtio-mem-pci,id=a,memdev=m0", "-device", "virtio-pmem-pci,id=p,memdev=m1"),
        (qmp("device_del", {"id": "a"}), qmp("device_del", {"id": "p"})),
    ) for name, machine in (("acpi-off", "pc,acpi=off"), ("q35", "q35"))),
    # The realize's backend checks: a preallocating backend (10.0 refuses
    # it), a backend that is no multiple of the block size (10.0's
    # pre-plug only checks the backend's own alignment), dynamic-memslots.
    Scenario(
        "vmem-realize-backend-checks",
        (*HOTPLUG, *ram("pre", "64M", "prealloc=on"), *ram("m0", "6M"), *ram("m1", "64M")),
        (
            vmem(id="a", memdev="pre"),
            vmem(id="a", memdev="m0", block_size=4 * MiB),
            vmem(id="a", memdev="m1", dynamic_memslots=True, unplugged_inaccessible="off"),
            vmem(id="a", memdev="m1", dynamic_memslots=True, x_early_migration=False, vectors=4),
            *(qom_get("a", prop) for prop in (
                "dynamic-memslots", "x-early-migration", "vectors", "ioeventfd", "rombar",
                "busnr", "in_order", "legacy-memdev", "msix-pba[0]")),
            qom_set("a", "x-early-migration", True),
            vmem(id="b", memdev="m0", busnr=3),
            *VIEWS,
        ),
    ),
    # unplugged-inaccessible's default follows the machine type's compat
    # properties: off up to 6.2, auto (on for memfd) up to 8.0, then on.
    *(Scenario(
        f"vmem-unplugged-inaccessible-{machine}",
        ("-S", "-machine", machine, *HOTPLUG[1:], *ram("r0", "64M"),
         "-object", "memory-backend-memfd,id=f0,size=64M",
         "-device", "virtio-mem-pci,id=a,memdev=r0", "-device", "virtio-mem-pci,id=b,memdev=f0"),
        (qom_get("a", "unplugged-inaccessible"), qom_get("b", "unplugged-inaccessible")),
    ) for machine in ("pc", "pc-i440fx-7.2", "pc-i440fx-6.2")),
    # ram_block_discard_range's warning on private file mappings (10.0) is
    # printed once per process.
    Scenario(
        "vmem-private-file-discard",
        (*HOTPLUG,
         "-object", "memory-backend-file,id=f0,size=64M,mem-path=/tmp",
         "-object", "memory-backend-file,id=f1,size=64M,mem-path=/tmp",
         "-object", "memory-backend-file,id=f2,size=64M,mem-path=/tmp,share=on",
         "-device", "virtio-mem-pci,id=a,memdev=f2", "-device", "virtio-mem-pci,id=b,memdev=f0"),
        (vmem(id="c", memdev="f1"), qmp("query-memory-devices")),
    ),
    # 10.0's virtio-mem-pci has MSI-X: 2 vectors unless told, and without
    # vectors no MSI-X BAR in its qom-list.
    Scenario(
        "vmem-msix-vectors",
        (*HOTPLUG, *ram("m0", "64M"), *ram("m1", "64M"), *ram("m2", "64M"),
         "-device", "virtio-mem-pci,id=a,memdev=m0"),
        (
            vmem(id="b", memdev="m1"),
            vmem(id="c", memdev="m2", vectors=0),
            *(qom_get(ident, "vectors") for ident in ("a", "b", "c")),
            *(qmp("qom-list", {"path": f"{PERIPHERAL}/{ident}"}) for ident in ("a", "b", "c")),
        ),
    ),
    Scenario(
        "vmem-acpi-index-q35",
        ("-S", "-machine", "q35", *HOTPLUG[1:], *ram("m0", "64M"), *ram("m1", "64M"),
         "-device", "virtio-mem-pci,id=a,memdev=m0,acpi-index=3",
         "-device", "virtio-pmem-pci,id=b,memdev=m1,acpi-index=3"),
        (qmp("query-memory-devices"),),
    ),
]
# fmt: on
