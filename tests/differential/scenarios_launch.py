"""libvirt's domain against QEMU 7.2: its command line and start-up sequence.

The command line is the one libvirt 9.0 generates for a 2-cell NUMA
domain (../shared/reference/libvirt-usage.md), with the secret given as
data rather than a file; the steps are libvirt's start-up queries, a
sample of its ~400 qom-gets of the boot CPU's properties, the balloon,
and cont.
"""

from __future__ import annotations

from tests.differential.harness import Scenario, Step, qmp

__all__ = ["SCENARIOS"]

BOOT_CPU = "/machine/unattached/device[0]"
LIBVIRT_ARGS = (
    "-S",
    "-object", '{"qom-type":"secret","id":"masterKey0","format":"raw","data":"c2VjcmV0"}',
    "-machine", "pc-i440fx-7.2,usb=off,dump-guest-core=off",
    "-cpu", "qemu64",
    "-m", "size=1048576k,slots=4,maxmem=4194304k",
    "-overcommit", "mem-lock=off",
    "-smp", "2,maxcpus=4,sockets=4,dies=1,cores=1,threads=1",
    "-object", '{"qom-type":"memory-backend-ram","id":"ram-node0","size":536870912}',
    "-numa", "node,nodeid=0,cpus=0-1,memdev=ram-node0",
    "-object", '{"qom-type":"memory-backend-ram","id":"ram-node1","size":536870912}',
    "-numa", "node,nodeid=1,cpus=2-3,memdev=ram-node1",
    "-uuid", "d1418d1d-0c1c-4e3f-9a55-2a6f0e4c9b11",
    "-no-user-config", "-rtc", "base=utc", "-no-shutdown", "-boot", "strict=on",
    "-device", '{"driver":"piix3-usb-uhci","id":"usb","bus":"pci.0","addr":"0x1.0x2"}',
    "-audiodev", '{"id":"audio1","driver":"none"}',
    "-device", '{"driver":"virtio-balloon-pci","id":"balloon0","bus":"pci.0","addr":"0x2"}',
    "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
    "-msg", "timestamp=on",
)  # fmt: skip
#: Some of the boot CPU's properties libvirt reads (bools, then the rest).
CPU_PROPERTIES = ("sse2", "vmx", "svm", "x2apic", "lm", "hypervisor", "avx512f",
                  "unavailable-features", "level", "xlevel", "model-id", "vendor",
                  "family", "phys-bits", "apic-id", "node-id", "socket-id",
                  "feature-words", "filtered-features", "crash-information")  # fmt: skip


def qom_get(path: str, prop: str) -> Step:
    return qmp("qom-get", {"path": path, "property": prop})


def launch(name: str, *steps: Step) -> Scenario:
    return Scenario(f"launch-{name}", LIBVIRT_ARGS, steps)


SCENARIOS = [
    launch("start-sequence",
           qmp("query-migrate-capabilities"),
           qmp("migrate-set-capabilities",
               {"capabilities": [{"capability": "events", "state": True}]}),
           qmp("query-hotpluggable-cpus"),
           qmp("query-cpus-fast"),
           qmp("qom-list", {"path": BOOT_CPU}),
           *(qom_get(BOOT_CPU, prop) for prop in CPU_PROPERTIES),
           qmp("query-iothreads"),
           qmp("balloon", {"value": 1073741824}),
           qmp("query-balloon"),
           qmp("query-named-block-nodes", {"flat": True}),
           qmp("qom-list", {"path": "/machine/peripheral"}, unordered=True),
           qmp("query-block"),
           qmp("cont"),
           qmp("query-status")),
    launch("balloon",
           qom_get("/machine/peripheral/balloon0", "guest-stats"),
           qom_get("/machine/peripheral/balloon0", "guest-stats-polling-interval"),
           qmp("balloon", {"value": 0}),
           qmp("balloon", {"value": 8589934592}),
           qmp("query-balloon"),
           qmp("object-add", {"qom-type": "memory-backend-ram", "id": "memdimm0",
                              "size": 268435456}),
           qmp("device_add", {"driver": "pc-dimm", "node": 1, "memdev": "memdimm0",
                              "id": "dimm0", "slot": 0}),
           qmp("query-balloon")),
    Scenario("launch-balloon-alias", ("-S",), (
        qmp("device_add", {"driver": "virtio-balloon", "id": "b"}),
        qmp("qom-list", {"path": "/machine/peripheral"}),
        qmp("query-balloon"),
        qmp("device-list-properties", {"typename": "virtio-balloon"}))),
    launch("system-powerdown",
           qmp("system_powerdown"), qmp("query-status"), qmp("cont"),
           qmp("system_powerdown"), qmp("query-status")),
    launch("pci-slots",
           qmp("device_add", {"driver": "virtio-balloon-pci", "id": "b1",
                              "addr": "0x1.0x2"}),
           qmp("device_add", {"driver": "virtio-balloon-pci", "id": "b2", "addr": "0x2"}),
           qmp("qom-get", {"path": "/machine/peripheral/usb", "property": "addr"}),
           qmp("qom-get", {"path": "/machine/peripheral/balloon0", "property": "addr"})),
]
