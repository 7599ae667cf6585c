"""Random CPU plugs keep every CPU view consistent, and a refused plug changes nothing.

Hypothesis sends device_add of CPUs with random props (slots that exist or
not, ids in and out of range, right and wrong node-ids, APIC ids, other
CPU types, duplicate ids) and device_del, through the dispatcher as a QMP
client would.  After every step the views must agree with each other and
with a plain record of what succeeded: query-hotpluggable-cpus,
query-cpus-fast, x-query-numa, HMP info numa / info cpus /
info hotpluggable-cpus, and qom-list / qom-get of the CPU objects.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qmpnuma.cli.driver import CliReporter, configure
from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import CollectingReporter, QMPError
from qmpnuma.machine.runstate import VM
from qmpnuma.profile import DEFAULT_PROFILE
from qmpnuma.qapi.dispatch import Dispatcher
from qmpnuma.qapi.schema import load_schema

DISPATCHER = Dispatcher(load_schema())
CPU = "qemu64-x86_64-cpu"
#: Topologies with dies, threads and several nodes, placed by -numa cpu or not.
TOPOLOGIES = [
    ["-smp", "1,maxcpus=8,sockets=2,cores=2,threads=2"],
    ["-machine", "q35", "-smp", "2,maxcpus=16,sockets=2,dies=2,cores=2,threads=2",
     "-m", "1G", "-object", "memory-backend-ram,id=r0,size=512M",
     "-object", "memory-backend-ram,id=r1,size=512M",
     "-numa", "node,nodeid=0,memdev=r0", "-numa", "node,nodeid=1,memdev=r1"],
    ["-smp", "1,maxcpus=6,sockets=3,cores=2", "-m", "768M",
     "-object", "memory-backend-ram,id=r0,size=256M",
     "-object", "memory-backend-ram,id=r1,size=256M",
     "-object", "memory-backend-ram,id=r2,size=256M",
     "-numa", "node,nodeid=0,memdev=r0", "-numa", "node,nodeid=1,memdev=r1",
     "-numa", "node,nodeid=2,memdev=r2",
     "-numa", "cpu,node-id=2,socket-id=0", "-numa", "cpu,node-id=0,socket-id=1",
     "-numa", "cpu,node-id=1,socket-id=2"],
]  # fmt: skip
SMALL = st.integers(-2, 4)
PROP_VALUES = {
    "socket-id": SMALL, "die-id": SMALL, "core-id": SMALL, "thread-id": SMALL,
    "node-id": st.integers(-1, 3), "apic-id": st.integers(0, 20),
}  # fmt: skip


class _Monitor:
    negotiating = False

    def enable_capabilities(self, enable: list[str]) -> None:
        raise QMPError("not in this test")


def _context(argv: list[str]) -> CommandContext:
    config = configure(["-S", *argv], DEFAULT_PROFILE, CliReporter("qmpnuma", io.StringIO()))
    return CommandContext(VM(config.machine, autostart=False), _Monitor(), CollectingReporter())


def _run(ctx: CommandContext, name: str, args: dict[str, Any] | None = None) -> Any:
    return DISPATCHER.dispatch(name, args or {}, ctx, oob=False, negotiating=False)


def _hmp(ctx: CommandContext, line: str) -> str:
    return str(_run(ctx, "human-monitor-command", {"command-line": line}))


@st.composite
def device_adds(draw: st.DrawFn, slots: list[dict[str, int]]) -> dict[str, Any]:
    """Mostly a slot's own props (as libvirt sends them), often one of them spoiled."""
    args: dict[str, Any] = {"driver": draw(st.sampled_from([CPU] * 5 + ["max-x86_64-cpu"]))}
    if draw(st.booleans()):
        args["id"] = draw(st.sampled_from(["a", "b", "c", "vcpu1", "vcpu2"]))
    props = dict(draw(st.sampled_from(slots)))
    if draw(st.booleans()):
        props.pop("node-id", None)
    if draw(st.integers(0, 3)) == 0:
        name = draw(st.sampled_from(sorted(PROP_VALUES)))
        if draw(st.booleans()):
            props[name] = draw(PROP_VALUES[name])
        else:
            props.pop(name, None)
    return {**args, **props}


def _check_views(ctx: CommandContext, plugged: dict[str, int]) -> None:
    """Every CPU view against the others and against ``plugged`` (path -> cpu-index)."""
    hotpluggable = _run(ctx, "query-hotpluggable-cpus")
    fast = _run(ctx, "query-cpus-fast")
    slots = list(reversed(hotpluggable))
    occupied = {s["qom-path"]: (i, s["props"]) for i, s in enumerate(slots) if "qom-path" in s}
    assert {c["qom-path"]: (c["cpu-index"], c["props"]) for c in fast} == occupied
    assert {path: index for path, (index, _) in occupied.items()} == plugged
    # CPU_FOREACH order: every view that lists CPUs lists them in plug order.
    order = [c["cpu-index"] for c in fast]
    numa = _run(ctx, "x-query-numa")["human-readable-text"]
    assert _hmp(ctx, "info numa") == numa.replace("\n", "\r\n")
    for node, cpus in re.findall(r"^node (\d+) cpus:(.*)$", numa, re.M):
        listed = [int(cpu) for cpu in cpus.split()]
        assert listed == [c["cpu-index"] for c in fast if c["props"].get("node-id") == int(node)]
    lines = _hmp(ctx, "info cpus").splitlines()
    assert [int(re.findall(r"#(\d+):", line)[0]) for line in lines] == order
    assert _hmp(ctx, "info hotpluggable-cpus").count("qom_path:") == len(fast)
    for cpu in fast:
        parent, name = cpu["qom-path"].rsplit("/", 1)
        children = {p["name"]: p["type"] for p in _run(ctx, "qom-list", {"path": parent})}
        assert children[name] == f"child<{CPU}>"
        for prop, value in cpu["props"].items():
            got = _run(ctx, "qom-get", {"path": cpu["qom-path"], "property": prop})
            assert got == value
        hotplugged = _run(ctx, "qom-get", {"path": cpu["qom-path"], "property": "hotplugged"})
        assert hotplugged == (not cpu["qom-path"].startswith("/machine/unattached/"))


def _check_plugged(step: Any, before: dict[str, int], after: dict[str, int]) -> None:
    """A successful step added exactly the CPU it asked for, where QEMU puts it."""
    # No guest ejects CPUs: a device_del that succeeds changes nothing yet.
    if isinstance(step, str):
        assert after == before
        return
    added = set(after) - set(before)
    assert len(added) == 1 and set(before) <= set(after)
    path = added.pop()
    if "id" in step:
        assert path == f"/machine/peripheral/{step['id']}"
    else:
        assert re.fullmatch(r"/machine/peripheral-anon/device\[\d+\]", path)


def _snapshot(ctx: CommandContext) -> str:
    queries = ["query-hotpluggable-cpus", "query-cpus-fast", "x-query-numa"]
    views = [_run(ctx, q) for q in queries]
    views += [_run(ctx, "qom-list", {"path": f"/machine/{c}"}) for c in ("peripheral",
              "peripheral-anon", "unattached")]  # fmt: skip
    return json.dumps(views)


DELETES = st.sampled_from(["a", "vcpu1", "/machine/unattached/device[0]",
                           "/machine/peripheral-anon/device[0]"])  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(TOPOLOGIES))), st.data())
def test_random_plugs_keep_the_views_consistent(topology: int, data: st.DataObject) -> None:
    ctx = _context(TOPOLOGIES[topology])
    slots = [cpu["props"] for cpu in _run(ctx, "query-hotpluggable-cpus")]
    plugged = {c["qom-path"]: c["cpu-index"] for c in _run(ctx, "query-cpus-fast")}
    _check_views(ctx, plugged)
    for _ in range(data.draw(st.integers(1, 12))):
        step = data.draw(device_adds(slots) | DELETES)
        before = _snapshot(ctx)
        try:
            if isinstance(step, str):
                _run(ctx, "device_del", {"id": step})
            else:
                _run(ctx, "device_add", step)
        except QMPError:
            assert _snapshot(ctx) == before, f"{step} was refused but changed the CPUs"
        else:
            new = {c["qom-path"]: c["cpu-index"] for c in _run(ctx, "query-cpus-fast")}
            _check_plugged(step, plugged, new)
            plugged = new
        _check_views(ctx, plugged)
