"""Memory backends of every kind, as -object and object-add create them.

The file backend points at a directory that exists everywhere (QEMU creates
and unlinks a temporary file in it); qmpnuma does not touch the host's
file system, so the backing-store errors are not reproduced (docs/emulated.md).
"""

from __future__ import annotations

from tests.differential.harness import Scenario, hmp, qmp

__all__ = ["SCENARIOS"]


def qom_get(ident: str, prop: str) -> object:
    return qmp("qom-get", {"path": f"/objects/{ident}", "property": prop})


def object_add(**props: object) -> object:
    return qmp("object-add", {k.replace("_", "-"): v for k, v in props.items()})


SCENARIOS = [
    Scenario(
        "backends-file-and-memfd",
        ("-S", "-m", "1G",
         "-object", "memory-backend-file,id=f0,size=512M,mem-path=/tmp,share=on,discard-data=on",
         "-object", "memory-backend-memfd,id=d0,size=512M,hugetlb=off,seal=on",
         "-numa", "node,memdev=f0", "-numa", "node,memdev=d0"),
        (
            qmp("query-memdev"),
            hmp("info memdev"),
            qom_get("f0", "mem-path"),
            qom_get("f0", "share"),
            qom_get("f0", "discard-data"),
            qom_get("d0", "seal"),
            qom_get("d0", "hugetlb"),
            qom_get("d0", "share"),
            qmp("qom-list", {"path": "/objects/d0"}, unordered=True),
            qmp("qom-list", {"path": "/objects/f0"}, unordered=True),
            hmp("info numa"),
        ),
    ),
    Scenario(
        "backends-object-add-and-del",
        ("-S", "-m", "1G,slots=2,maxmem=4G"),
        (
            object_add(qom_type="memory-backend-ram", id="r0", size=1 << 30),
            object_add(qom_type="memory-backend-file", id="f0", size=1 << 30, mem_path="/tmp"),
            object_add(qom_type="memory-backend-memfd", id="d0", size=1 << 30, share=False),
            object_add(qom_type="memory-backend-ram", id="bad", size=1 << 20,
                       policy="bind"),
            object_add(qom_type="memory-backend-ram", id="bad", size=1 << 20,
                       host_nodes=[0]),
            object_add(qom_type="memory-backend-ram", id="bad", size=1 << 20,
                       prealloc=True, reserve=False),
            object_add(qom_type="memory-backend-ram", id="bad", size=1 << 20,
                       policy="interleave", host_nodes=[200]),
            object_add(qom_type="memory-backend-file", id="bad", size=1 << 20),
            object_add(qom_type="memory-backend-ram", id="9bad", size=1 << 20),
            object_add(qom_type="memory-backend-ram", id="r0", size=1 << 20),
            object_add(qom_type="memory-backend-bogus", id="x"),
            qmp("query-memdev"),
            qmp("object-del", {"id": "f0"}),
            qmp("object-del", {"id": "pc.ram"}),
            qmp("object-del", {"id": "nosuch"}),
            object_add(qom_type="memory-backend-ram", id="f0", size=1 << 21),
            qmp("query-memdev"),
            qmp("qom-list", {"path": "/objects"}),
        ),
    ),
    Scenario(
        # backends/hostmem-file.c: 10.0's offset (a page multiple, checked
        # by file_ram_alloc) and rom (on needs readonly; auto reads back as
        # on or off); 7.2's schema has neither.  The size of a file backend
        # must be a page multiple in 10.0, 7.2 rounds it up.
        "backends-file-offset-and-rom",
        ("-S", "-m", "128M"),
        (
            object_add(qom_type="memory-backend-file", id="f0", size=1 << 20, mem_path="/tmp",
                       offset=4096),
            qom_get("f0", "offset"),
            qom_get("f0", "rom"),
            object_add(qom_type="memory-backend-file", id="f1", size=1 << 20, mem_path="/tmp",
                       offset=1 << 40, rom="off"),
            qom_get("f1", "offset"),
            qom_get("f1", "rom"),
            object_add(qom_type="memory-backend-file", id="f2", size=1 << 20, mem_path="/tmp",
                       rom="auto"),
            qom_get("f2", "rom"),
            object_add(qom_type="memory-backend-file", id="bad", size=1 << 20, mem_path="/tmp",
                       offset=1),
            object_add(qom_type="memory-backend-file", id="bad", size=1 << 20, mem_path="/tmp",
                       offset=2048),
            object_add(qom_type="memory-backend-file", id="bad", size=1 << 20, mem_path="/tmp",
                       offset=2**64 - 1),
            object_add(qom_type="memory-backend-file", id="bad", size=1 << 20, mem_path="/tmp",
                       offset=-1),
            object_add(qom_type="memory-backend-file", id="bad", size=1 << 20, mem_path="/tmp",
                       offset="4096"),
            object_add(qom_type="memory-backend-file", id="bad", size=1 << 20, mem_path="/tmp",
                       rom="on"),
            object_add(qom_type="memory-backend-file", id="bad", size=1 << 20, mem_path="/tmp",
                       rom="on", offset=1, align=3),
            object_add(qom_type="memory-backend-file", id="bad", size=1 << 20, mem_path="/tmp",
                       offset=1, align=3),
            object_add(qom_type="memory-backend-file", id="bad", size=1 << 20, mem_path="/tmp",
                       rom="maybe"),
            object_add(qom_type="memory-backend-file", id="bad", size=1 << 20, mem_path="/tmp",
                       rom=True),
            object_add(qom_type="memory-backend-file", id="bad", size=4097, mem_path="/tmp"),
            object_add(qom_type="memory-backend-file", id="bad", size=8191, mem_path="/tmp",
                       policy="bind"),
            object_add(qom_type="memory-backend-file", id="bad", size=4097, mem_path="/tmp",
                       offset=1),
            object_add(qom_type="memory-backend-memfd", id="bad", size=4097),
            object_add(qom_type="memory-backend-memfd", id="bad", size=1 << 20, offset=0),
            object_add(qom_type="memory-backend-ram", id="bad", size=1 << 20, rom="off"),
            qmp("query-memdev", unordered=True),
            qmp("qom-list", {"path": "/objects/f1"}),
            hmp("info memdev"),
        ),
    ),
]
