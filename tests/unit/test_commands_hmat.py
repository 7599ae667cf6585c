"""x-qmpnuma-query-hmat: the HMAT configuration, in schema shape."""

from __future__ import annotations

import io

from qmpnuma.cli.driver import CliReporter, configure
from qmpnuma.commands.context import CommandContext
from qmpnuma.commands.hmat import qmp_x_qmpnuma_query_hmat
from qmpnuma.errors import CollectingReporter
from qmpnuma.machine.runstate import VM
from qmpnuma.profile import DEFAULT_PROFILE
from qmpnuma.qapi.schema import load_schema
from qmpnuma.qapi.validate import validate_arguments

# bios-tables-test.c acpihmat, as a --preconfig machine.
HMAT_ARGS = [
    "--preconfig", "-machine", "hmat=on", "-smp", "2,sockets=2", "-m", "128M,slots=2,maxmem=1G",
    "-object", "memory-backend-ram,size=64M,id=m0", "-object", "memory-backend-ram,size=64M,id=m1",
    "-numa", "node,nodeid=0,memdev=m0", "-numa", "node,nodeid=1,memdev=m1,initiator=0",
    "-numa", "cpu,node-id=0,socket-id=0", "-numa", "cpu,node-id=0,socket-id=1",
    "-numa", "hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=1",
    "-numa", "hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,"
             "latency=65534",
    "-numa", "hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-bandwidth,"
             "bandwidth=65534M",
]


class _Monitor:
    negotiating = False

    def enable_capabilities(self, enable: list[str]) -> None:
        raise AssertionError("not used")


def context(*argv: str) -> CommandContext:
    config = configure(list(argv), DEFAULT_PROFILE, CliReporter("qmpnuma", io.StringIO()))
    return CommandContext(VM(config.machine), _Monitor(), CollectingReporter())


def test_entries_grouped_by_table_in_the_order_given() -> None:
    ctx = context(*HMAT_ARGS)
    ctx.vm.machine.set_numa_options(
        {"type": "hmat-cache", "node-id": 0, "size": 10240, "level": 1,
         "associativity": "direct", "policy": "write-back", "line": 8}, ctx.reporter)
    lb = {"hierarchy": "memory"}
    assert qmp_x_qmpnuma_query_hmat(ctx, {}) == {
        "enabled": True,
        "hmat-lb": [
            {"initiator": 0, "target": 0, **lb, "data-type": "access-latency", "latency": 1},
            {"initiator": 0, "target": 1, **lb, "data-type": "access-latency", "latency": 65534},
            {"initiator": 0, "target": 0, **lb, "data-type": "access-bandwidth",
             "bandwidth": 65534 << 20},
        ],
        "hmat-cache": [
            {"node-id": 0, "size": 10240, "level": 1, "associativity": "direct",
             "policy": "write-back", "line": 8},
        ],
    }


def test_without_hmat() -> None:
    assert qmp_x_qmpnuma_query_hmat(context("-m", "1G"), {}) == {
        "enabled": False, "hmat-lb": [], "hmat-cache": []}


def test_entries_are_valid_set_numa_node_arguments() -> None:
    """Each entry can be replayed as set-numa-node (the schema says they are NumaOptions)."""
    schema = load_schema()
    result = qmp_x_qmpnuma_query_hmat(context(*HMAT_ARGS), {})
    for entry in result["hmat-lb"]:  # type: ignore[index]
        validate_arguments(schema, "set-numa-node", {"type": "hmat-lb", **entry})
