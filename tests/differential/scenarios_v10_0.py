"""What QEMU 10.0 changed in what qmpnuma emulates, against the 10.0 oracle.

query-status without ``singlestep``, the machine types up to pc-*-10.0 and
the deprecation of those more than three years old, and the -smp texts
(modules in the hierarchy, errors that were warnings).  It runs against
the 10.0 oracle only (oracles.py).
"""

from __future__ import annotations

from tests.differential.harness import Scenario, qmp

__all__ = ["SCENARIOS"]

STATUS_AND_VERSION = (qmp("query-status"), qmp("query-version"))


def fails(name: str, *args: str) -> Scenario:
    return Scenario(f"v10-{name}", args, negotiate=False)


def runs(name: str, *args: str) -> Scenario:
    return Scenario(f"v10-{name}", args, STATUS_AND_VERSION)


# fmt: off
SCENARIOS = [
    runs("status-running"),
    runs("status-prelaunch", "-S"),
    runs("machine-pc-newest", "-machine", "pc-i440fx-10.0"),
    runs("machine-q35-newest", "-machine", "q35"),
    runs("machine-9.2", "-machine", "pc-i440fx-9.2"),
    runs("machine-deprecated-i440fx", "-machine", "pc-i440fx-7.0"),
    runs("machine-deprecated-q35", "-machine", "pc-q35-4.0.1"),
    runs("machine-oldest", "-machine", "pc-i440fx-2.4"),
    runs("machine-not-deprecated", "-machine", "pc-q35-7.1"),
    fails("machine-removed", "-machine", "pc-i440fx-2.3"),
    fails("machine-removed-old", "-machine", "pc-i440fx-1.4"),
    fails("smp-zero", "-smp", "0"),
    fails("smp-zero-cores", "-smp", "2,cores=0"),
    fails("smp-product", "-smp", "4,sockets=3"),
    fails("smp-maxcpus", "-smp", "4,maxcpus=2"),
    fails("smp-clusters", "-smp", "2,clusters=2"),
    runs("smp-dies", "-smp", "4,sockets=2,dies=2"),
    runs("smp-amd-threads", "-smp", "4,sockets=2,threads=2"),
    # hw/i386/pc.c pc_max_used_gpa: machine types up to 8.1 keep 2^phys-bits
    # as the end for CPUs without long mode (no fixed_32bit_mem_addr_check).
    runs("phys-bits-no-pae-8.1", "-machine", "pc-i440fx-8.1", "-cpu", "pentium",
         "-m", "4G,slots=2,maxmem=8G"),
    runs("phys-bits-pse36-8.1", "-machine", "pc-q35-8.1", "-cpu", "pentium3",
         "-m", "4G,slots=16,maxmem=61G"),
    fails("phys-bits-no-pae-8.2", "-machine", "pc-i440fx-8.2", "-cpu", "pentium",
          "-m", "4G,slots=2,maxmem=8G"),
    fails("phys-bits-pse36-8.2", "-machine", "pc-q35-8.2", "-cpu", "pentium2",
          "-m", "1G,slots=2,maxmem=63G"),
]
# fmt: on
