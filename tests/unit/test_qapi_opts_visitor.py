"""Tests for qmpnuma.qapi.opts_visitor: -numa and -object as QEMU 7.2 reads them.

QEMU_OPTION_ERRORS was recorded from qemu-system-x86_64 7.2 (``-S -m 1G
-object memory-backend-ram,id=m0,size=1G`` plus the option): the visitor's
message, or None where QEMU accepted the option.
"""

from __future__ import annotations

import pytest

from qmpnuma.errors import CollectingReporter, GenericError
from qmpnuma.qapi.opts_visitor import visit_opts
from qmpnuma.qapi.schema import Schema, load_schema

QEMU_OPTION_ERRORS = [
    ("-numa", "node,memdev=m0,foo=1", "Invalid parameter 'foo'"),
    ("-numa", "node,memdev=m0,nodeid=abc", "Parameter 'nodeid' expects a uint64 value"),
    ("-numa", "node,memdev=m0,nodeid=-1", "Parameter 'nodeid' expects a uint64 value"),
    ("-numa", "node,memdev=m0,nodeid=65536", "Parameter 'nodeid' expects uint16_t"),
    ("-numa", "node,memdev=m0,nodeid=", "Parameter 'nodeid' expects a uint64 value"),
    ("-numa", "node,memdev=m0,nodeid=1,nodeid=0", None),
    (
        "-numa",
        "node,memdev=m0,nodeid=18446744073709551616",
        "Parameter 'nodeid' expects a uint64 value",
    ),
    ("-numa", "node,memdev=m0,nodeid=1-2", "Parameter 'nodeid' expects a uint64 value"),
    ("-numa", "node,memdev=m0,cpus=0-3:5", "Parameter 'cpus' expects a uint64 value or range"),
    ("-numa", "node,memdev=m0,cpus=3-1", "Parameter 'cpus' expects a uint64 value or range"),
    ("-numa", "node,memdev=m0,cpus=0-70000", "Parameter 'cpus' expects a uint64 value or range"),
    ("-numa", "node,memdev=m0,cpus=70000", "Parameter 'null' expects uint16_t"),
    ("-numa", "node,memdev=m0,cpus=65530-65540", "Parameter 'null' expects uint16_t"),
    ("-numa", "node,memdev=m0,cpus=", "Parameter 'cpus' expects a uint64 value or range"),
    ("-numa", "node,memdev=m0,cpus=a", "Parameter 'cpus' expects a uint64 value or range"),
    ("-numa", "node,memdev=m0,cpus=-1", "Parameter 'cpus' expects a uint64 value or range"),
    ("-numa", "node,memdev=m0,cpus=0-", "Parameter 'cpus' expects a uint64 value or range"),
    ("-numa", "node,memdev=m0,mem=1x", "Parameter 'mem' expects a size value"),
    ("-numa", "node,memdev=m0,mem=", "Parameter 'mem' expects a size value"),
    ("-numa", "node,memdev=m0,mem=-1", "Parameter 'mem' expects a size value"),
    ("-numa", "node,memdev=m0,mem=1.5", "Parameter 'mem' expects a size value"),
    ("-numa", "node,memdev=m0,mem=1e3", "Parameter 'mem' expects a size value"),
    ("-numa", "memdev=m0", "Parameter 'type' is missing"),
    ("-numa", "bogus", "Parameter 'type' does not accept value 'bogus'"),
    ("-numa", "type=bogus,memdev=m0", "Parameter 'type' does not accept value 'bogus'"),
    ("-numa", "node,memdev=m0,type=dist", "Parameter 'src' is missing"),
    ("-numa", "dist,src=0,dst=0", "Parameter 'val' is missing"),
    ("-numa", "dist,src=0,dst=0,val=256", "Parameter 'val' expects uint8_t"),
    ("-numa", "dist,src=0,dst=0,val=abc,foo=1", "Parameter 'val' expects a uint64 value"),
    ("-numa", "dist,foo=1,bar=2", "Parameter 'src' is missing"),
    ("-numa", "cpu,node-id=abc", "Parameter 'node-id' expects an int64 value"),
    ("-numa", "cpu,node-id=1-2", "Parameter 'node-id' expects an int64 value"),
    ("-numa", "cpu,node-id=-1", None),
    ("-numa", "cpu,node-id=9223372036854775808", "Parameter 'node-id' expects an int64 value"),
    ("-numa", "cpu,node-id=", "Parameter 'node-id' expects an int64 value"),
    (
        "-numa",
        "hmat-lb,initiator=0,target=0,hierarchy=bogus,data-type=access-latency",
        "Parameter 'hierarchy' does not accept value 'bogus'",
    ),
    (
        "-numa",
        "hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=1x",
        "Parameter 'latency' expects a uint64 value",
    ),
    (
        "-numa",
        "hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,bandwidth=1x",
        "Parameter 'bandwidth' expects a size value",
    ),
    ("-numa", "hmat-cache,node-id=0,size=1x,level=1", "Parameter 'size' expects a size value"),
    (
        "-numa",
        "hmat-cache,node-id=4294967296,size=1,level=1",
        "Parameter 'node-id' expects uint32_t",
    ),
    (
        "-numa",
        "hmat-cache,node-id=0,size=1,level=1,associativity=none,policy=none",
        "Parameter 'line' is missing",
    ),
    ("-numa", "node,memdev=m0,id=foo", "Invalid parameter 'id'"),
    ("-numa", "node,memdev=m0,nodeid=0,zz=1,aa=2,mm=3", "Invalid parameter 'zz'"),
    ("-numa", "node,memdev=m0,mem=1.5B", "Parameter 'mem' expects a size value"),
    ("-numa", "node,memdev=m0,mem=1KiB", "Parameter 'mem' expects a size value"),
    ("-numa", "node,memdev=m0,mem=16E", "Parameter 'mem' expects a size value"),
    ("-numa", "node,memdev=m0,mem=0x1.5", "Parameter 'mem' expects a size value"),
    ("-numa", "node,memdev=m0,mem=.5G", "Parameter 'mem' expects a size value"),
    ("-numa", "node,memdev=m0,mem=1.5e1G", "Parameter 'mem' expects a size value"),
    ("-numa", "node,memdev=m0,mem=18446744073709551616", "Parameter 'mem' expects a size value"),
    ("-numa", "node,memdev=m0,cpus=+0-+0", None),
    ("-numa", "node,memdev=m0,cpus=1,cpus=x", "Parameter 'cpus' expects a uint64 value or range"),
    ("-numa", "cpu,node-id=0-1", "Parameter 'node-id' expects an int64 value"),
    ("-numa", "cpu,node-id=-9223372036854775809", "Parameter 'node-id' expects an int64 value"),
    ("-numa", "node,memdev=m0,cpus=0-65536", "Parameter 'cpus' expects a uint64 value or range"),
    ("-numa", "node,memdev=m0,nodeid=0,nodeid=x,nodeid=0", None),
    ("-object", "memory-backend-ram,id=x,size=abc", "Parameter 'size' expects a size value"),
    ("-object", "memory-backend-ram,id=x,size=-1", "Parameter 'size' expects a size value"),
    ("-object", "memory-backend-ram,id=x,size=1.5", "Parameter 'size' expects a size value"),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,share=maybe",
        "Parameter 'share' expects 'on' or 'off'",
    ),
    ("-object", "memory-backend-ram,id=x,size=1G,share", None),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,prealloc-threads=abc",
        "Parameter 'prealloc-threads' expects a uint64 value",
    ),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,prealloc-threads=-1",
        "Parameter 'prealloc-threads' expects a uint64 value",
    ),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,prealloc-threads=4294967296",
        "Parameter 'prealloc-threads' expects uint32_t",
    ),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,policy=bogus",
        "Parameter 'policy' does not accept value 'bogus'",
    ),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,host-nodes.0=abc",
        "Invalid parameter 'host-nodes.0'",
    ),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,host-nodes.0=70000",
        "Invalid parameter 'host-nodes.0'",
    ),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,host-nodes.1=0",
        "Invalid parameter 'host-nodes.1'",
    ),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,host-nodes.0=0,host-nodes.2=0",
        "Invalid parameter 'host-nodes.2'",
    ),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,host-nodes.0=0,policy=bind",
        "Invalid parameter 'host-nodes.0'",
    ),
    ("-object", "memory-backend-ram,id=x,size=1G,foo=1", "Invalid parameter 'foo'"),
    ("-object", "memory-backend-ram,id=x,size=1G,foo=1,bar=2", "Invalid parameter 'bar'"),
    ("-object", "memory-backend-ram,id=x,size=1G,foo.bar=1", "Invalid parameter 'foo.bar'"),
    ("-object", "memory-backend-ram,id=x,size=1G,size.x=1", "Invalid parameter 'size.x'"),
    ("-object", "memory-backend-ram,id=x", "Parameter 'size' is missing"),
    ("-object", "memory-backend-ram,size=1G", "Parameter 'id' is missing"),
    (
        "-object",
        "memory-backend-bogus,id=x",
        "Parameter 'qom-type' does not accept value 'memory-backend-bogus'",
    ),
    ("-object", "id=x,size=1G", "Parameter 'qom-type' is missing"),
    ("-object", "memory-backend-ram,id=x,size=1G,size=2G", None),
    ("-object", "memory-backend-file,id=x,size=1G", "Parameter 'mem-path' is missing"),
    ("-object", "memory-backend-ram,id=x,size=1G,merge=on,dump=off,prealloc=no,reserve=yes", None),
    ("-object", "memory-backend-ram,id=x,size=0x10", None),
    ("-object", "memory-backend-ram,id=x,size=1G,prealloc-threads=0x10", None),
    ("-object", "memory-backend-ram,id=x,size=1G,prealloc-threads=+4", None),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,prealloc-threads=",
        "Parameter 'prealloc-threads' expects a uint64 value",
    ),
    ("-object", "memory-backend-ram,id=x,size=1G,share=on,share=off", None),
    ("-object", "qom-type=memory-backend-ram,id=x,size=1G", None),
    ("-object", "memory-backend-ram,id=x,size=1G,host-nodes=0-1,policy=bind", None),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,host-nodes=70000,policy=bind",
        "Parameter 'null' expects uint16_t",
    ),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,host-nodes=0-70000,policy=bind",
        "Parameter 'host-nodes' expects a uint64 value or range",
    ),
    ("-object", "memory-backend-ram,id=x,size=1G,zz=1,aa=2,mm=3,qq=4", "Invalid parameter 'aa'"),
    ("-object", "memory-backend-ram,size=1G,zz=1,aa=2,mm=3,id=x", "Invalid parameter 'aa'"),
    (
        "-object",
        "memory-backend-ram,id=x,size=1G,prealloc-threads=1-2",
        "Parameter 'prealloc-threads' expects a uint64 value",
    ),
    ("-object", "memory-backend-ram,id=x,size=0x10k", None),
    (
        "-numa",
        "node,memdev=m0,nodeid=0,a1=1,b2=2,c3=3,d4=4,e5=5,f6=6,g7=7,h8=8,i9=9",
        "Invalid parameter 'c3'",
    ),
    ("-numa", "node,memdev=m0,zz=1,aa=2", "Invalid parameter 'aa'"),
    ("-numa", "node,memdev=m0,aa=2,zz=1", "Invalid parameter 'aa'"),
    ("-numa", "node,memdev=m0,nodeid=0,aa=2,mm=3", "Invalid parameter 'aa'"),
    ("-numa", "dist,src=0,dst=0,val=10,zz=1,aa=2,mm=3", "Invalid parameter 'zz'"),
    ("-numa", "node,zz=1,aa=2,mm=3", "Invalid parameter 'aa'"),
    ("-numa", "node,memdev=m0,nodeid=0,mm=3,aa=2,zz=1", "Invalid parameter 'aa'"),
    ("-numa", "node,memdev=m0,nodeid=0,zz=1,aa=2", "Invalid parameter 'zz'"),
    ("-numa", "node,nodeid=0,zz=1,aa=2,mm=3", "Invalid parameter 'aa'"),
    ("-numa", "node,memdev=m0,zz=1,aa=2,mm=3", "Invalid parameter 'aa'"),
]

#: QemuOpts' implied option name per option (qemu-options / vl.c).
IMPLIED = {"-numa": ("NumaOptions", "type"), "-object": ("ObjectOptions", "qom-type")}


def qemu_opts(text: str, implied: str) -> list[tuple[str, str]]:
    """Just enough of QemuOpts for these cases: ',,' escapes, the implied
    name, and ``id`` kept apart and passed last."""
    items = text.replace(",,", "\0").split(",")
    pairs: list[tuple[str, str]] = []
    ident = None
    for i, item in enumerate(x.replace("\0", ",") for x in items):
        name, sep, value = item.partition("=")
        if not sep:
            name, value = (implied, item) if i == 0 else (item, "on")
        if name == "id":
            ident = value
        else:
            pairs.append((name, value))
    return pairs + ([("id", ident)] if ident is not None else [])


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load_schema()


@pytest.mark.parametrize(("option", "text", "message"), QEMU_OPTION_ERRORS)
def test_option_is_read_as_qemu_reads_it(
    schema: Schema, option: str, text: str, message: str | None
) -> None:
    type_name, implied = IMPLIED[option]
    opts = qemu_opts(text, implied)
    if message is None:
        visit_opts(schema, type_name, opts)
    else:
        with pytest.raises(GenericError) as info:
            visit_opts(schema, type_name, opts)
        assert info.value.desc == message


def test_typed_value_in_schema_order(schema: Schema) -> None:
    value = visit_opts(
        schema,
        "NumaOptions",
        [("type", "node"), ("cpus", "4-5"), ("memdev", "m0"), ("cpus", "0x1"), ("nodeid", "010")],
    )
    assert value == {"type": "node", "nodeid": 8, "cpus": [4, 5, 1], "memdev": "m0"}
    assert list(value) == ["type", "nodeid", "cpus", "memdev"]


def test_last_scalar_wins(schema: Schema) -> None:
    value = visit_opts(schema, "NumaOptions", [("type", "node"), ("nodeid", "x"), ("nodeid", "3")])
    assert value == {"type": "node", "nodeid": 3}


def test_enums_sizes_and_signed_ints(schema: Schema) -> None:
    lb = visit_opts(
        schema,
        "NumaOptions",
        [
            ("type", "hmat-lb"),
            ("initiator", "0"),
            ("target", "1"),
            ("hierarchy", "memory"),
            ("data-type", "access-bandwidth"),
            ("bandwidth", "1.5G"),
        ],
    )
    assert lb["bandwidth"] == 3 * 2**29 and lb["data-type"] == "access-bandwidth"
    cpu = visit_opts(
        schema, "NumaOptions", [("type", "cpu"), ("node-id", "-1"), ("core-id", "0x2")]
    )
    assert cpu == {"type": "cpu", "node-id": -1, "core-id": 2}


def test_object_options(schema: Schema) -> None:
    value = visit_opts(
        schema,
        "ObjectOptions",
        [
            ("qom-type", "memory-backend-ram"),
            ("size", "1G"),
            ("host-nodes", "0-1"),
            ("policy", "bind"),
            ("share", "on"),
            ("id", "m0"),
        ],
    )
    assert value == {
        "qom-type": "memory-backend-ram",
        "id": "m0",
        "host-nodes": [0, 1],
        "policy": "bind",
        "share": True,
        "size": 2**30,
    }


def test_hex_size_with_suffix_warns(schema: Schema) -> None:
    reporter = CollectingReporter()
    value = visit_opts(
        schema,
        "ObjectOptions",
        [("qom-type", "memory-backend-ram"), ("size", "0x10k"), ("id", "m")],
        reporter=reporter,
    )
    assert value["size"] == 16 * 1024
    assert reporter.messages == [
        ("warning", "Using a multiplier suffix on hex numbers is deprecated: 0x10k")
    ]
