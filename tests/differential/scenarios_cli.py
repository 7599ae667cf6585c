"""The command line against QEMU 7.2: option syntax, NUMA/memory/CPU errors, monitors.

A command line that fails needs no QMP (``negotiate=False``): exit status
and stderr are compared.  A valid one is queried for everything the NUMA
configuration shows (the harness adds ``-machine pc,accel=tcg`` and a QMP
socket in front of each scenario's own options).
"""

from __future__ import annotations

from tests.differential.harness import Scenario, Step, hmp, qmp

__all__ = ["SCENARIOS"]

#: What a valid NUMA configuration is checked with.
NUMA_QUERIES: tuple[Step, ...] = (
    qmp("query-hotpluggable-cpus"),
    qmp("query-cpus-fast"),
    qmp("x-query-numa"),
    qmp("query-memdev"),
    hmp("info numa"),
)


def fails(name: str, *args: str) -> Scenario:
    """A command line QEMU refuses: exit status and stderr only."""
    return Scenario(f"cli-{name}", args, negotiate=False)


def runs(name: str, *args: str) -> Scenario:
    """A command line QEMU accepts, then the NUMA queries."""
    return Scenario(f"cli-{name}", ("-S", *args), NUMA_QUERIES)


def ram(ident: str, size: str) -> tuple[str, str]:
    return ("-object", f"memory-backend-ram,id={ident},size={size}")


# The tables below are laid out by hand, one scenario per entry.
# fmt: off
M0 = ram("m0", "1G")
M1_HALF = (*ram("m0", "512M"), *ram("m1", "512M"))
TWO_NODES = (*M1_HALF, "-numa", "node,nodeid=0,memdev=m0", "-numa", "node,nodeid=1,memdev=m1")
HMAT_BASE = (
    "-machine", "hmat=on", "-smp", "2,sockets=2", "-m", "128M,slots=2,maxmem=1G",
    *ram("m0", "64M"), *ram("m1", "64M"),
    "-numa", "node,nodeid=0,memdev=m0", "-numa", "node,nodeid=1,memdev=m1,initiator=0",
    "-numa", "cpu,node-id=0,socket-id=0", "-numa", "cpu,node-id=0,socket-id=1",
)
LB = "hmat-lb,initiator=0,hierarchy=memory"
LB_00 = ("-numa", f"{LB},target=0,data-type=access-latency,latency=1",
         "-numa", f"{LB},target=0,data-type=access-bandwidth,bandwidth=65534M")
LB_01 = ("-numa", f"{LB},target=1,data-type=access-latency,latency=65534",
         "-numa", f"{LB},target=1,data-type=access-bandwidth,bandwidth=32767M")
LB_LATENCY = "hmat-lb,initiator={},hierarchy=memory,data-type=access-latency"
CACHE = "associativity=direct,policy=write-back,line=8"

QEMU_OPTS_RULES = [
    fails("opts-trailing-double-comma", "-numa", "node,,"),
    fails("opts-empty-name", "-m", "="),
    fails("opts-empty-implied", "-numa", ","),
    fails("opts-empty", "-numa", ""),
    fails("opts-implied-help", "-numa", "help"),
    fails("opts-help-without-desc", "-numa", "node,help"),
    fails("opts-help-with-desc", "-m", "1G,help"),
    fails("opts-short-flag", "-numa", "node,foo"),
    fails("opts-short-flag-no", "-numa", "node,nofoo"),
    fails("opts-short-flag-typed", "-m", "1G,slots"),
    fails("opts-duplicate-id", "-numa", "node,id=x", "-numa", "node,id=x"),
    fails("opts-bad-id", "-numa", "node,id=0a"),
    fails("opts-id-in-merged-list", "-m", "1G,id=x"),
    fails("opts-unknown-key", "-m", "1G,foo=1"),
    fails("opts-escaped-comma", "-m", "1G", "-numa", "node,memdev=m0,,x"),
    fails("opts-repeated-type", "-numa", "type=node,type=dist"),
    fails("opts-number", "-m", "1G,slots=x"),
    fails("opts-number-range", "-m", "1G,slots=99999999999999999999999"),
    fails("opts-size", "-m", "1x"),
    fails("opts-size-fraction-without-suffix", "-m", "1.5"),
    fails("opts-size-exponent", "-m", "1e3M"),
    fails("opts-size-negative", "-m", "-1"),
    # util/cutils.c do_strtosz: 10.0 (8.1+) has negatives out of range,
    # unless text follows; 7.2 refuses them all as invalid.
    fails("opts-size-negative-zero", "-m", "-0"),
    fails("opts-size-negative-space", "-m", " -1"),
    fails("opts-size-negative-fraction", "-m", "-.5"),
    fails("opts-size-negative-suffix", "-m", "-1k"),
    fails("opts-size-negative-fraction-suffix", "-m", "-.5k"),
    fails("opts-size-negative-integer-fraction", "-m", "-1.5G"),
    fails("opts-size-range", "-m", "16E"),
    fails("opts-size-empty", "-m", "size="),
    fails("opts-size-mib", "-m", "512", "-numa", "node"),
    fails("opts-size-fraction", "-m", "0.5G", "-numa", "node"),
    fails("opts-size-round-up", "-m", "1.k", "-numa", "node"),
    fails("opts-size-hex-suffix", "-m", "0x10M", "-numa", "node"),
    fails("opts-size-hex", "-m", "0x10", "-numa", "node"),
    fails("opts-merge-last-wins", "-m", "1G", "-m", "2G", "-numa", "node"),
    fails("opts-repeat-last-wins", "-m", "size=1G,size=2G", "-numa", "node"),
    fails("opts-bool", "-overcommit", "mem-lock=maybe"),
    # vl.c -overcommit: no implied option name (a bare word is a flag);
    # 10.0's mem-lock is a string, checked when the option is read.
    fails("overcommit-on-fault", "-overcommit", "mem-lock=on-fault", "-numa", "bogus"),
    fails("overcommit-yes", "-overcommit", "mem-lock=yes", "-numa", "bogus"),
    fails("overcommit-empty", "-overcommit", "mem-lock=", "-numa", "bogus"),
    fails("overcommit-last-wins", "-overcommit", "mem-lock=bad,mem-lock=on", "-numa", "bogus"),
    fails("overcommit-flag", "-overcommit", "mem-lock", "-numa", "bogus"),
    fails("overcommit-bare-word", "-overcommit", "on-fault"),
    fails("overcommit-help", "-overcommit", "help"),
    fails("overcommit-cpu-pm", "-overcommit", "cpu-pm=maybe"),
    fails("opts-name", "-name", "foo,bar=1"),
]

OPTION_TABLE = [
    fails("option-unknown", "-bogus"),
    fails("option-missing-argument", "-m"),
    fails("option-double-dash", "--m"),
    fails("option-first-pass", "-numa", "bogus", "-bogus"),
    fails("option-double-dash-location", "-m", "1G", *M1_HALF, "--numa", "node,memdev=m0,nodeid=0",
          "--numa", "node,memdev=m1,nodeid=0"),
    fails("option-disk-image", "disk.img"),
    fails("option-uuid", "-uuid", "bogus"),
    fails("option-accel-conflict", "-accel", "tcg"),
    fails("option-accel-invalid", "-machine", "accel=bogus"),
]

KEYVAL = [
    fails("machine-unknown-type", "-machine", "bogus"),
    fails("machine-unknown-property", "-machine", "pc,foo=1"),
    fails("machine-bool", "-machine", "hmat=maybe"),
    fails("machine-property-order", "-machine", "foo=1,hmat=x"),
    fails("machine-escaped-implied", "-machine", "pc,,x"),
    fails("machine-flag", "-machine", "pc,hmat"),
    fails("machine-empty-key", "-machine", "pc,=1"),
    fails("machine-struct-for-scalar", "-machine", "hmat.x=1"),
    # Unmodelled pc properties are still typed and range-checked.
    fails("machine-on-off-auto", "-machine", "smm=On"),
    fails("machine-enum", "-machine", "smbios-entry-point-type=auto"),
    fails("machine-size", "-machine", "max-ram-below-4g=x"),
    fails("machine-size-limit", "-machine", "max-ram-below-4g=5G"),
    fails("machine-firmware-size-limit", "-machine", "max-fw-size=32M"),
    fails("machine-integer", "-machine", "bus-lock-ratelimit=1k"),
    fails("machine-oem-table-id", "-machine", "x-oem-table-id=123456789"),
    fails("machine-memory-inconsistent", "-machine", "memory=1G"),
    fails("machine-memory-size", "-machine", "memory.size=x"),
    fails("machine-memory-unexpected", "-machine", "memory.foo=1"),
    fails("machine-m-wins", "-machine", "memory.size=2G", "-m", "1G", "-numa", "node"),
    fails("smp-integer", "-smp", "x"),
    fails("smp-unexpected", "-smp", "4,foo=1"),
    fails("smp-unexpected-order", "-smp", "2", "-machine", "smp.x=1,smp.y=2"),
    fails("smp-empty-key", "-smp", ","),
    fails("smp-not-object", "-machine", "smp=4"),
    fails("smp-merge", "-smp", "4", "-smp", "sockets=2", "-numa", "node"),
    fails("smp-before-memory", "-smp", "4,maxcpus=2", "-m", "1G,slots=2"),
]

NUMA_ERRORS = [
    fails("numa-node-no-memory", "-m", "1G", "-numa", "node"),
    fails("numa-mem-unsupported", "-m", "1G", "-numa", "node,mem=1G"),
    fails("numa-mem-sum", "-M", "pc-i440fx-5.0", "-m", "1G", "-numa", "node,mem=512M",
          "-numa", "node,mem=256M"),
    fails("numa-mem-size", "-m", "1G", "-numa", "node,mem=1x"),
    fails("numa-mem-and-memdev", "-M", "pc-i440fx-5.0", "-m", "1G", *M0,
          "-numa", "node,mem=1G,memdev=m0"),
    fails("numa-mem-then-memdev", "-M", "pc-i440fx-5.0", "-m", "1G", *ram("m0", "512M"),
          "-numa", "node,mem=512M", "-numa", "node,memdev=m0"),
    fails("numa-legacy-no-split", "-M", "pc-i440fx-5.0", "-numa", "node", "-numa", "node"),
    fails("numa-memdev-short", "-m", "1G", *ram("m0", "512M"), "-numa", "node,memdev=m0"),
    fails("numa-memdev-unknown", "-m", "1G", *M0, "-numa", "node,memdev=m1"),
    fails("numa-memdev-empty-ambiguous", "-m", "1G", *M1_HALF, "-numa", "node,memdev="),
    fails("numa-memdev-twice", "-m", "1G", *ram("m0", "512M"), "-numa", "node,memdev=m0",
          "-numa", "node,memdev=m0"),
    fails("numa-memdev-twice-sum-first", "-m", "1G", *M0, "-numa", "node,memdev=m0",
          "-numa", "node,memdev=m0"),
    fails("numa-duplicate-nodeid", "-m", "1G", *M1_HALF, "-numa", "node,memdev=m0,nodeid=0",
          "-numa", "node,memdev=m1,nodeid=0"),
    fails("numa-duplicate-auto-nodeid", "-m", "1G", *M1_HALF, "-numa", "node,memdev=m0,nodeid=1",
          "-numa", "node,memdev=m1"),
    fails("numa-nodeid-hole", "-m", "1G", *M1_HALF, "-numa", "node,memdev=m0,nodeid=0",
          "-numa", "node,memdev=m1,nodeid=2"),
    fails("numa-nodeid-128", "-m", "1G", *M0, "-numa", "node,memdev=m0,nodeid=128"),
    fails("numa-nodeid-65536", "-m", "1G", *M0, "-numa", "node,memdev=m0,nodeid=65536"),
    fails("numa-nodeid-negative", "-m", "1G", *M0, "-numa", "node,memdev=m0,nodeid=-1"),
    fails("numa-nodeid-text", "-m", "1G", *M0, "-numa", "node,memdev=m0,nodeid=abc"),
    fails("numa-cpu-index", "-smp", "4", "-m", "1G", *M0, "-numa", "node,memdev=m0,cpus=4"),
    fails("numa-cpus-taken", "-smp", "4", "-m", "1G", *M1_HALF, "-numa", "node,memdev=m0,cpus=0-1",
          "-numa", "node,memdev=m1,cpus=1-3"),
    fails("numa-cpus-colon", "-smp", "4", "-m", "1G", *M0, "-numa", "node,memdev=m0,cpus=0:3"),
    fails("numa-cpus-reversed", "-smp", "4", "-m", "1G", *M0, "-numa", "node,memdev=m0,cpus=3-1"),
    fails("numa-dist-small", "-m", "1G", *TWO_NODES, "-numa", "dist,src=0,dst=1,val=9"),
    fails("numa-dist-local", "-m", "1G", *TWO_NODES, "-numa", "dist,src=0,dst=0,val=20"),
    fails("numa-dist-missing-node", "-m", "1G", *TWO_NODES, "-numa", "dist,src=0,dst=2,val=20"),
    fails("numa-dist-128", "-m", "1G", *TWO_NODES, "-numa", "dist,src=0,dst=128,val=20"),
    fails("numa-dist-val-256", "-m", "1G", *TWO_NODES, "-numa", "dist,src=0,dst=1,val=256"),
    fails("numa-dist-no-val", "-m", "1G", *TWO_NODES, "-numa", "dist,src=0,dst=1"),
    fails("numa-dist-first", "-m", "1G", *M1_HALF, "-numa", "dist,src=0,dst=1,val=20",
          "-numa", "node,memdev=m0", "-numa", "node,memdev=m1"),
    fails("numa-dist-incomplete", "-m", "768M", *ram("m0", "256M"), *ram("m1", "256M"),
          *ram("m2", "256M"), "-numa", "node,memdev=m0", "-numa", "node,memdev=m1",
          "-numa", "node,memdev=m2", "-numa", "dist,src=0,dst=1,val=20"),
    fails("numa-dist-asymmetric-incomplete", "-m", "768M", *ram("m0", "256M"), *ram("m1", "256M"),
          *ram("m2", "256M"), "-numa", "node,memdev=m0", "-numa", "node,memdev=m1",
          "-numa", "node,memdev=m2", "-numa", "dist,src=0,dst=1,val=20",
          "-numa", "dist,src=1,dst=0,val=21", "-numa", "dist,src=0,dst=2,val=20",
          "-numa", "dist,src=1,dst=2,val=20"),
    fails("numa-cpu-no-node-id", "-m", "1G", *TWO_NODES, "-numa", "cpu,socket-id=0"),
    fails("numa-cpu-undefined-node", "-m", "1G", *TWO_NODES, "-numa", "cpu,node-id=2,socket-id=0"),
    fails("numa-cpu-no-match", "-m", "1G", *TWO_NODES, "-numa", "cpu,node-id=0,socket-id=5"),
    fails("numa-cpu-cluster", "-m", "1G", *TWO_NODES, "-numa", "cpu,node-id=0,cluster-id=0"),
    fails("numa-cpu-die", "-smp", "2,sockets=2", "-m", "1G", *TWO_NODES,
          "-numa", "cpu,node-id=0,die-id=0"),
    fails("numa-cpu-taken", "-smp", "2,sockets=2", "-m", "1G", *TWO_NODES,
          "-numa", "cpu,node-id=0,socket-id=0", "-numa", "cpu,node-id=1,socket-id=0"),
    fails("numa-cpu-unknown-key", "-m", "1G", *TWO_NODES, "-numa", "cpu,node-id=0,foo=1"),
    fails("numa-type-missing", "-numa", "memdev=m0"),
    fails("numa-type-bogus", "-numa", "bogus"),
    fails("numa-machine-backend-exclusive", "-m", "1G", *M0, "-machine", "memory-backend=m0",
          "-numa", "node,memdev=m0"),
    fails("numa-reserved-ram-id", "-m", "1G", *ram("pc.ram", "1G")),
    fails("numa-machine-none", "-machine", "none", "-numa", "node"),
    fails("machine-none-cpu", "-machine", "none", "-cpu", "max"),
    fails("hmat-off", "-m", "1G", *M0, "-numa", "node,memdev=m0,initiator=0"),
    fails("hmat-initiator-without-cpu", "-machine", "hmat=on", "-smp", "2", "-m", "1G", *M1_HALF,
          "-numa", "node,memdev=m0,cpus=0-1", "-numa", "node,memdev=m1,initiator=1"),
    fails("hmat-initiator-absent", "-machine", "hmat=on", "-m", "1G", *M0,
          "-numa", "node,memdev=m0,cpus=0,initiator=5"),
    fails("hmat-cpu-node-initiator", "-machine", "hmat=on", "-m", "1G", *M1_HALF,
          "-numa", "node,memdev=m0,cpus=0,initiator=1", "-numa", "node,memdev=m1"),
    fails("hmat-initiator-200", "-machine", "hmat=on", "-m", "1G", *M0,
          "-numa", "node,memdev=m0,initiator=200"),
    fails("hmat-lb-no-cpu", *HMAT_BASE,
          "-numa", f"{LB_LATENCY.format(1)},target=0,latency=1"),
    fails("hmat-lb-initiator-range", *HMAT_BASE,
          "-numa", f"{LB_LATENCY.format(3)},target=0,latency=1"),
    fails("hmat-lb-target", *HMAT_BASE,
          "-numa", f"{LB},target=2,data-type=access-latency,latency=1"),
    fails("hmat-lb-latency-missing", *HMAT_BASE,
          "-numa", f"{LB},target=0,data-type=access-latency"),
    fails("hmat-lb-latency-with-bandwidth", *HMAT_BASE,
          "-numa", f"{LB},target=0,data-type=write-latency,latency=1,bandwidth=1M"),
    fails("hmat-lb-bandwidth-missing", *HMAT_BASE,
          "-numa", f"{LB},target=0,data-type=access-bandwidth"),
    fails("hmat-lb-bandwidth-with-latency", *HMAT_BASE,
          "-numa", f"{LB},target=0,data-type=read-bandwidth,bandwidth=1M,latency=1"),
    fails("hmat-lb-bandwidth-alignment", *HMAT_BASE,
          "-numa", f"{LB},target=0,data-type=access-bandwidth,bandwidth=1000"),
    fails("hmat-lb-duplicate", *HMAT_BASE, *LB_00,
          "-numa", f"{LB},target=0,data-type=access-latency,latency=5"),
    fails("hmat-lb-latency-range", *HMAT_BASE,
          "-numa", f"{LB},target=0,data-type=access-latency,latency=1",
          "-numa", f"{LB},target=1,data-type=access-latency,latency=100000"),
    fails("hmat-lb-bandwidth-range", *HMAT_BASE,
          "-numa", f"{LB},target=0,data-type=access-bandwidth,bandwidth=1M",
          "-numa", f"{LB},target=1,data-type=access-bandwidth,bandwidth=1T"),
    fails("hmat-cache-before-lb", *HMAT_BASE,
          "-numa", f"hmat-cache,node-id=0,size=10K,level=1,{CACHE}"),
    fails("hmat-cache-node", *HMAT_BASE, *LB_00,
          "-numa", f"hmat-cache,node-id=2,size=10K,level=1,{CACHE}"),
    fails("hmat-cache-level-0", *HMAT_BASE, *LB_00,
          "-numa", f"hmat-cache,node-id=0,size=10K,level=0,{CACHE}"),
    fails("hmat-cache-level-2-first", *HMAT_BASE, *LB_00,
          "-numa", f"hmat-cache,node-id=0,size=10K,level=2,{CACHE}"),
    fails("hmat-cache-duplicate", *HMAT_BASE, *LB_00,
          "-numa", f"hmat-cache,node-id=0,size=10K,level=1,{CACHE}",
          "-numa", f"hmat-cache,node-id=0,size=10K,level=1,{CACHE}"),
    fails("hmat-cache-l2-smaller", *HMAT_BASE, *LB_00,
          "-numa", f"hmat-cache,node-id=0,size=10K,level=1,{CACHE}",
          "-numa", f"hmat-cache,node-id=0,size=8K,level=2,{CACHE}"),
    fails("hmat-cache-missing-member", *HMAT_BASE, *LB_00,
          "-numa", "hmat-cache,node-id=0,size=10K,level=1"),
]

MEMORY_ERRORS = [
    fails("mem-slots-without-maxmem", "-m", "1G,slots=2"),
    fails("mem-maxmem-small", "-m", "1G,slots=2,maxmem=512M"),
    fails("mem-maxmem-equal", "-m", "1G,slots=2,maxmem=1G"),
    fails("mem-too-many-slots", "-m", "1G,slots=300,maxmem=2G"),
    fails("mem-slots-negative", "-m", "1G,slots=-1,maxmem=2G"),
    # hw/i386/pc.c pc_memory_init: the 64-bit PCI hole must end within
    # phys-bits; AMD CPUs move RAM above 4 GiB to 1 TiB first (7.1+ types).
    fails("mem-phys-bits-amd-1tb", "-m", "4G,slots=16,maxmem=994G"),
    fails("mem-phys-bits-before-slots", "-m", "1G,slots=300,maxmem=2T"),
    fails("mem-phys-bits-q35-hole", "-machine", "q35", "-cpu", "kvm64",
          "-m", "4G,slots=16,maxmem=975G"),
    fails("mem-phys-bits-36", "-cpu", "pentium3", "-m", "4G,slots=16,maxmem=61G"),
    fails("mem-phys-bits-36-q35", "-machine", "q35", "-cpu", "pentium3",
          "-m", "4G,slots=16,maxmem=61G"),
    fails("mem-maxmem-wraps", "-m", "1G,slots=1,maxmem=17179869183G"),
    fails("mem-backend-not-found", "-machine", "memory-backend=nope"),
    fails("mem-backend-size-mismatch", "-m", "2G", *M0, "-machine", "memory-backend=m0"),
    fails("object-size-missing", "-object", "memory-backend-ram,id=m0"),
    fails("object-size-text", "-object", "memory-backend-ram,id=m0,size=1x"),
    fails("object-size-zero", "-object", "memory-backend-ram,id=m0,size=0"),
    fails("object-unknown-key", "-object", "memory-backend-ram,id=m0,size=1G,foo=1"),
    fails("object-id-missing", "-object", "memory-backend-ram,size=1G"),
    fails("object-type-unknown", "-object", "bogus,id=x"),
    fails("object-bad-id", "-object", "memory-backend-ram,id=0a,size=1G"),
    fails("object-duplicate-id", *M0, *M0),
    fails("object-bool", "-object", "memory-backend-ram,id=m0,size=1G,merge=maybe"),
    fails("object-host-nodes-dotted", "-object",
          "memory-backend-ram,id=m0,size=1G,host-nodes.0=0,policy=bind"),
    # softmmu/physmem.c: a file backend's align, a memfd's page-rounded size.
    fails("object-file-align-page", "-object",
          "memory-backend-file,id=f,size=1M,mem-path=/tmp,align=3"),
    fails("object-file-align-power", "-object",
          "memory-backend-file,id=f,size=1M,mem-path=/tmp,align=12K,policy=bind"),
    fails("object-memfd-size-page", "-object", "memory-backend-memfd,id=d,size=4097,policy=bind"),
    fails("object-memfd-size-page-edge", "-object", "memory-backend-memfd,id=mem1,size=8191"),
    # hostmem-file.c (10.0): offset and rom, checked in file_ram_alloc
    # order: rom first, then align, then offset; 7.2 has neither.
    fails("object-file-offset-page", "-object",
          "memory-backend-file,id=f,size=1M,mem-path=/tmp,offset=2048"),
    fails("object-file-offset-align", "-object",
          "memory-backend-file,id=f,size=1M,mem-path=/tmp,offset=1,align=3"),
    fails("object-file-offset-text", "-object",
          "memory-backend-file,id=f,size=1M,mem-path=/tmp,offset=-1"),
    fails("object-file-offset-wrapped-size", "-object",
          "memory-backend-file,id=f,size=18446744073709551615,mem-path=/tmp,offset=1"),
    fails("object-file-rom-on", "-object",
          "memory-backend-file,id=f,size=1M,mem-path=/tmp,rom=on,offset=1"),
    fails("object-file-rom-bad", "-object", "memory-backend-file,id=f,size=1M,mem-path=/tmp,rom=y"),
    fails("object-file-size-page", "-object",
          "memory-backend-file,id=f,size=4097,mem-path=/tmp,offset=4096"),
    fails("object-file-size-page-before-policy", "-object",
          "memory-backend-file,id=f,size=1,mem-path=/tmp,policy=bind"),
    fails("object-json-size-missing", "-object", '{"qom-type":"memory-backend-ram","id":"m0"}'),
    fails("object-parse-before-numa", "-numa", "bogus", "-object", "memory-backend-ram,id=m0"),
    fails("smp-topology-product", "-smp", "4,sockets=3"),
    fails("smp-maxcpus", "-smp", "4,maxcpus=2"),
    fails("smp-too-many", "-smp", "256"),
    fails("smp-clusters", "-smp", "4,clusters=2"),
]

#: A listening chardev QEMU can always create: an ephemeral loopback port.
TCP_CHARDEV = "socket,host=127.0.0.1,port=0,server=on,wait=off"

MONITOR_ERRORS = [
    fails("qmp-bad-driver", "-qmp", "foo"),
    fails("qmp-tcp-no-port", "-qmp", "tcp:127.0.0.1,server=on,wait=off"),
    fails("qmp-unix-bad-option", "-qmp", "unix:/nonexistent/q.sock,bogus=1"),
    fails("mon-unknown-chardev", "-mon", "chardev=nope,mode=control"),
    fails("mon-no-chardev", "-mon", "mode=control"),
    fails("mon-bad-mode", "-chardev", f"{TCP_CHARDEV},id=c", "-mon", "chardev=c,mode=bogus"),
    fails("mon-pretty-hmp", "-chardev", f"{TCP_CHARDEV},id=c", "-mon", "chardev=c,pretty=on"),
    fails("chardev-duplicate", "-chardev", "socket,id=c,path=/nonexistent/a",
          "-chardev", "socket,id=c,path=/nonexistent/b"),
    fails("chardev-no-id", "-chardev", "socket,path=/nonexistent/x"),
    fails("chardev-no-address", "-chardev", "socket,id=c"),
    fails("chardev-bad-backend", "-chardev", "bogus,id=c"),
    fails("chardev-two-addresses", "-chardev", "socket,id=c,path=/nonexistent/x,host=a"),
    fails("chardev-no-port", "-chardev", "socket,id=c,host=a"),
    fails("chardev-client-wait", "-chardev", "socket,id=c,path=/nonexistent/x,wait=off"),
    fails("chardev-bad-fd", "-chardev", "socket,id=c,fd=abc,server=on,wait=off"),
    fails("mon-error-after-machine", "-mon", "chardev=nope", "-m", "1G,slots=2"),
    fails("mon-error-before-numa", "-mon", "chardev=nope", "-numa", "bogus"),
]

#: A virtio-mem device, which mlock'ed guest memory does not allow.
VIRTIO_MEM = ("-m", "1G,maxmem=4G", *ram("vm0", "1G"), "-device", "virtio-mem-pci,memdev=vm0")

#: 128 nodes of 8 MiB, 255 CPUs in 255 sockets: socket i lands on node i % 128.
MAX_NODES_ARGS = (
    "-m", "1G", "-smp", "255,sockets=255",
    *(a for i in range(128) for a in (*ram(f"r{i}", "8M"), "-numa", f"node,memdev=r{i}")),
)

VALID = [
    runs("valid-two-nodes", "-m", "1G", "-smp", "4,sockets=2,cores=2", *TWO_NODES),
    runs("valid-memoryless-node", *ram("ram0", "128M"),
         "-numa", "node", "-numa", "node,memdev=ram0"),
    runs("valid-auto-node", "-m", "1G,slots=2,maxmem=2G"),
    runs("valid-no-numa", "-m", "1G"),
    runs("valid-asymmetric-distances", "-m", "1G", *TWO_NODES,
         "-numa", "dist,src=0,dst=1,val=20", "-numa", "dist,src=1,dst=0,val=30"),
    runs("valid-local-distance", "-m", "1G", *M0, "-numa", "node,memdev=m0",
         "-numa", "dist,src=0,dst=0,val=10"),
    runs("valid-cpus-ranges-and-repeats", "-smp", "8", "-m", "1G", *M1_HALF,
         "-numa", "node,memdev=m0,cpus=0-2,cpus=5,cpus=0",
         "-numa", "node,memdev=m1,cpus=3-4,cpus=6-7"),
    runs("valid-cpus-partial", "-smp", "4", "-m", "1G", *M1_HALF,
         "-numa", "node,memdev=m0,cpus=0-1", "-numa", "node,memdev=m1,cpus=2"),
    runs("valid-default-cpu-split", "-machine", "smp.cpus=8,smp.sockets=8", *ram("ram", "128M"),
         "-numa", "node,memdev=ram", "-numa", "node"),
    runs("valid-numa-cpu-granularity", "-smp", "8,sockets=2,cores=2,threads=2", *ram("ram", "128M"),
         "-numa", "node,nodeid=0,memdev=ram", "-numa", "node,nodeid=1",
         "-numa", "cpu,node-id=1,socket-id=0", "-numa", "cpu,node-id=0,socket-id=1,core-id=0",
         "-numa", "cpu,node-id=0,socket-id=1,core-id=1,thread-id=0",
         "-numa", "cpu,node-id=1,socket-id=1,core-id=1,thread-id=1"),
    runs("valid-numa-cpu-partial", "-smp", "2,sockets=2", "-m", "1G", *TWO_NODES,
         "-numa", "cpu,node-id=0,socket-id=0"),
    runs("valid-numa-cpu-all", "-smp", "4", "-m", "1G", *TWO_NODES, "-numa", "cpu,node-id=1"),
    runs("valid-numa-cpu-dies", "-smp", "8,sockets=2,dies=2,cores=2", "-m", "1G", *TWO_NODES,
         "-numa", "cpu,node-id=1,socket-id=1,die-id=1"),
    runs("valid-memdev-partial-path", "-m", "1G", *M0, "-numa", "node,memdev=/objects/m0"),
    runs("valid-memdev-empty-unique", "-m", "1G", *M0, "-numa", "node,memdev="),
    runs("valid-nodeid-reverse", "-m", "1G", *M1_HALF, "-numa", "node,memdev=m0,nodeid=1",
         "-numa", "node,memdev=m1,nodeid=0"),
    runs("valid-legacy-mem", "-M", "pc-i440fx-5.0", "-m", "1G", "-numa", "node,mem=512",
         "-numa", "node,mem=512"),
    runs("valid-machine-memory-backend", *M0, "-machine", "memory-backend=m0"),
    runs("valid-phys-bits-no-relocation", "-m", "4G,slots=16,maxmem=993G"),
    runs("valid-phys-bits-7.0", "-machine", "pc-i440fx-7.0", "-m", "4G,slots=16,maxmem=1000G"),
    runs("valid-phys-bits-broken-reserved-end", "-machine", "pc-q35-2.4",
         "-m", "4G,slots=16,maxmem=2T"),
    runs("valid-phys-bits-32", "-cpu", "qemu32", "-m", "4G,slots=16,maxmem=2T"),
    # hw/i386/pc.c pc_max_used_gpa on CPUs without long mode: 7.2 runs all
    # of these; 10.0 (8.2+) gives PAE CPUs 36 bits and ends the address
    # space with device memory or RAM (scenarios_v10_0: 8.1 and older types).
    runs("valid-phys-bits-pae-edge", "-cpu", "qemu32", "-m", "4G,slots=1,maxmem=62G"),
    runs("valid-phys-bits-pae-over", "-cpu", "coreduo", "-m", "4G,slots=1,maxmem=63G"),
    runs("valid-phys-bits-no-pae-ram", "-cpu", "pentium", "-m", "4G"),
    runs("valid-phys-bits-no-pae-low-ram", "-cpu", "486", "-m", "3584M"),
    runs("valid-phys-bits-no-pae-maxmem", "-cpu", "base", "-m", "1G,slots=1,maxmem=2G"),
    runs("valid-hmat-bios-tables", *HMAT_BASE, *LB_00, *LB_01,
         "-numa", f"hmat-cache,node-id=0,size=10K,level=1,{CACHE}",
         "-numa", f"hmat-cache,node-id=1,size=10K,level=1,{CACHE}"),
    runs("valid-hmat-noinitiator", "-machine", "hmat=on", "-smp", "4,sockets=2", "-m", "128M",
         *ram("ram0", "32M"), *ram("ram1", "32M"), *ram("ram2", "64M"),
         "-numa", "node,nodeid=0,memdev=ram0", "-numa", "node,nodeid=1,memdev=ram1",
         "-numa", "node,nodeid=2,memdev=ram2",
         "-numa", "cpu,node-id=0,socket-id=0", "-numa", "cpu,node-id=1,socket-id=1",
         *(a for i in (0, 1) for t, lat, bw in ((0, 10, "10M"), (1, 20, "5M"), (2, 30, "1M"))
           for a in ("-numa", f"hmat-lb,initiator={i},target={t},hierarchy=memory,"
                              f"data-type=access-latency,latency={lat}",
                     "-numa", f"hmat-lb,initiator={i},target={t},hierarchy=memory,"
                              f"data-type=access-bandwidth,bandwidth={bw}"))),
    runs("valid-memhp-distance", "-m", "128,slots=3,maxmem=1G", *ram("ram0", "64M"),
         *ram("ram1", "64M"), "-numa", "node,memdev=ram0", "-numa", "node,memdev=ram1",
         "-numa", "dist,src=0,dst=1,val=21"),
    runs("valid-max-nodes", *MAX_NODES_ARGS),
    runs("valid-q35", "-machine", "q35", "-smp", "4,sockets=2,cores=2", "-m", "1G", *TWO_NODES),
    runs("valid-json-object", "-m", "1G",
         "-object", '{"qom-type":"memory-backend-ram","id":"m0","size":1073741824}',
         "-numa", "node,nodeid=0,cpus=0,memdev=m0"),
    runs("valid-libvirt-style", "-name", "guest=numa-tcg,debug-threads=on", "-m",
         "size=1048576k,slots=4,maxmem=4194304k", "-overcommit", "mem-lock=off",
         "-smp", "2,maxcpus=4,sockets=4,cores=1,threads=1", *ram("ram-node0", "512M"),
         "-numa", "node,nodeid=0,cpus=0-1,memdev=ram-node0", *ram("ram-node1", "512M"),
         "-numa", "node,nodeid=1,cpus=2-3,memdev=ram-node1",
         "-uuid", "d1418d1d-1111-4222-8333-944455556666", "-no-user-config", "-rtc", "base=utc",
         "-no-shutdown", "-boot", "strict=on"),
]

WARNINGS = [
    runs("warn-smp-zero", "-smp", "0"),
    # -overcommit mem-lock against virtio-mem ("Incompatible with mlock"):
    # a later -overcommit without mem-lock unlocks in 7.2, not in 10.0.
    runs("overcommit-virtio-mem", *VIRTIO_MEM, "-overcommit", "mem-lock=on",
         "-overcommit", "cpu-pm=on"),
    runs("overcommit-virtio-mem-off", *VIRTIO_MEM, "-overcommit", "mem-lock=on",
         "-overcommit", "mem-lock=off"),
    runs("overcommit-virtio-mem-on-fault", *VIRTIO_MEM, "-overcommit", "mem-lock=on-fault"),
    runs("warn-name-flag", "-name", "vm,debug-threads", "-m", "1G"),
    runs("warn-hex-suffix", "-m", "0x40M"),
    runs("warn-legacy-mem", "-M", "pc-i440fx-5.0", "-m", "1G", "-numa", "node,mem=1G"),
    runs("warn-partial-two-cpus", "-smp", "4,sockets=4", "-m", "1G", *TWO_NODES,
         "-numa", "cpu,node-id=0,socket-id=0", "-numa", "cpu,node-id=1,socket-id=1"),
]

#: The topology levels QEMU 10.0 added to -smp (drawers, books, modules;
#: x86 has modules only): 7.2 refuses every one as an unexpected parameter.
SMP_LEVELS = [
    runs("smp-modules", "-smp", "4,modules=2", "-m", "1G", *TWO_NODES),
    runs("smp-modules-sockets-cores", "-smp", "4,maxcpus=8,sockets=2,modules=2,cores=2",
         "-m", "1G", *TWO_NODES, "-numa", "cpu,node-id=1,socket-id=0,module-id=1"),
    runs("smp-modules-dies", "-smp", "8,sockets=1,dies=2,modules=2,cores=2", "-machine", "q35"),
    runs("smp-modules-threads", "-smp", "8,modules=2,threads=2", "-m", "1G", *TWO_NODES,
         "-numa", "cpu,node-id=0,module-id=0", "-numa", "cpu,node-id=1,module-id=1"),
    runs("smp-modules-compute-sockets", "-machine", "pc-i440fx-6.1", "-smp", "8,modules=2"),
    runs("smp-levels-of-one", "-smp", "2,drawers=1,books=1,clusters=1,modules=1"),
    runs("smp-machine-modules", "-machine", "smp.cpus=4,smp.modules=4"),
    fails("smp-books", "-smp", "2,books=2"),
    fails("smp-drawers", "-smp", "2,drawers=2"),
    fails("smp-drawers-books", "-smp", "4,drawers=2,books=2"),
    fails("smp-clusters-books-modules", "-smp", "8,clusters=2,books=2,modules=2"),
    fails("smp-modules-product", "-smp", "6,modules=4"),
    fails("smp-modules-maxcpus", "-smp", "8,maxcpus=4,modules=2"),
    fails("smp-modules-zero", "-smp", "4,modules=0"),
    fails("smp-modules-text", "-smp", "4,modules=x"),
    fails("smp-modules-too-many", "-smp", "256,modules=2"),
    fails("numa-cpu-module-unsupported", "-smp", "4", "-m", "1G", *TWO_NODES,
          "-numa", "cpu,node-id=0,module-id=0"),
    fails("numa-cpu-module-no-match", "-smp", "4,modules=2", "-m", "1G", *TWO_NODES,
          "-numa", "cpu,node-id=0,module-id=5"),
    runs("numa-cpu-books-drawers", "-smp", "4,sockets=2", "-m", "1G", *TWO_NODES,
         "-numa", "cpu,node-id=1,socket-id=1,book-id=3,drawer-id=2"),
]

# fmt: on

SCENARIOS: list[Scenario] = [
    *QEMU_OPTS_RULES,
    *OPTION_TABLE,
    *KEYVAL,
    *NUMA_ERRORS,
    *MEMORY_ERRORS,
    *MONITOR_ERRORS,
    *VALID,
    *WARNINGS,
    *SMP_LEVELS,
]

# -msg, as libvirt always passes it: the time (and guest name) before the
# program name, from the point -msg is parsed on.
SCENARIOS += [
    fails("msg-timestamp-error", "-msg", "timestamp=on", "-m", "1G", "-numa", "node"),
    fails("msg-timestamp-option-error", "-msg", "timestamp=on", "-numa", "bogus"),
    fails("msg-timestamp-after-error", "-numa", "bogus", "-msg", "timestamp=on"),
    fails("msg-guest-name", "-name", "guest=vm1", "-msg", "timestamp=on,guest-name=on",
          "-m", "1G", "-numa", "node"),
    fails("msg-guest-name-without-time", "-msg", "guest-name=on", "-name", "vm1",
          "-m", "1G", "-numa", "node"),
    runs("msg-timestamp-warning", "-msg", "timestamp=on", "-smp", "0"),
]

# A word that is no option is a disk image; a colon before any slash makes
# its start a block protocol (block.c bdrv_find_protocol).
SCENARIOS += [
    fails("option-disk-image-unknown-protocol", "-m", "1G", "unix:/tmp/x.sock"),
    fails("option-disk-image-file-protocol", "file:disk.img"),
    fails("option-disk-image-host-device", "host_device:disk.img"),
    fails("option-disk-image-slash-before-colon", "images/a:b"),
]


def _add_ram(ident: str, **props: object) -> object:
    return qmp("object-add", {"qom-type": "memory-backend-ram", "id": ident, "size": 1 << 20,
                              **props})


#: What -mem-path and -mem-prealloc make of the RAM and of every backend.
_MEM_PATH_STEPS = (
    qmp("query-memdev"),
    qmp("qom-get", {"path": "/objects/pc.ram", "property": "mem-path"}),
    qmp("qom-get", {"path": "/objects/pc.ram", "property": "prealloc-threads"}),
    qmp("qom-list", {"path": "/objects/pc.ram"}, unordered=True),
    _add_ram("r0", reserve=False),
    _add_ram("r1", prealloc=False, reserve=False),
    _add_ram("r2", reserve=False, prealloc=False),
    qmp("query-memdev"),
)

# -mem-path: the default RAM backend is a file (hw/core/machine.c
# create_default_memdev); -mem-prealloc: prealloc=on for every backend made
# after it, user ones and object-add's too (vl.c qemu_process_sugar_options).
SCENARIOS += [
    Scenario("cli-mem-path", ("-S", "-m", "1G", "-mem-path", "/tmp"), _MEM_PATH_STEPS),
    Scenario("cli-mem-path-prealloc", ("-S", "-m", "1G", "-smp", "2", "-mem-path", "/tmp",
                                       "-mem-prealloc"), _MEM_PATH_STEPS),
    Scenario("cli-mem-prealloc-anonymous", ("-S", "-m", "1G", "-mem-prealloc"), _MEM_PATH_STEPS),
    runs("mem-path-numa-memdev", "-m", "1G", "-mem-path", "/tmp", "-mem-prealloc",
         *ram("m0", "1G"), "-numa", "node,memdev=m0"),
    fails("mem-path-and-memory-backend", "-m", "1G", "-mem-path", "/tmp", *ram("m0", "1G"),
          "-machine", "memory-backend=m0"),
    fails("mem-prealloc-reserve-off", "-m", "1G", "-mem-prealloc",
          "-object", "memory-backend-ram,id=m0,size=1G,reserve=off"),
    # The harness adds -qmp last: -mem-path takes it, the socket address is a disk image.
    fails("mem-path-takes-the-next-word", "-m", "1G", "-mem-path"),
]
