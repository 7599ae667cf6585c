"""The pytest plugin's fixture in each of its modes, and its clean-up."""

from __future__ import annotations

import asyncio
import json
import textwrap

import pytest

from qmpnuma.pytest_plugin import MachineFactory

pytest_plugins = ["pytester"]

MACHINE = ("-S", "-m", "1G", "-smp", "2", "-object", "memory-backend-ram,id=m0,size=1G",
           "-numa", "node,memdev=m0,cpus=0-1")


def _directions(vm_record: str) -> list[tuple[str, object]]:
    with open(vm_record) as lines:
        return [(entry["direction"], entry.get("message")) for entry in map(json.loads, lines)]


@pytest.mark.parametrize("mode", ["fleet", "subprocess"])
def test_start_serves_records_and_logs(qmpnuma: MachineFactory, mode: str) -> None:
    vm = qmpnuma.start(*MACHINE, mode=mode)

    async def go() -> object:
        async with vm.client() as qmp:
            return await qmp.execute("query-status")

    assert asyncio.run(go()) == {"status": "prelaunch", "singlestep": False, "running": False}
    recorded = _directions(str(vm.record))
    assert [direction for direction, _ in recorded] == ["out", "in", "out", "in", "out"]
    greeting, capabilities, _, status, reply = (message for _, message in recorded)
    assert "QMP" in greeting  # type: ignore[operator]
    assert capabilities["execute"] == "qmp_capabilities"  # type: ignore[index]
    assert status["execute"] == "query-status"  # type: ignore[index]
    assert reply["return"]["status"] == "prelaunch"  # type: ignore[index]
    assert vm.log_text() == ""


@pytest.mark.parametrize("mode", ["fleet", "subprocess"])
def test_start_takes_a_profile(qmpnuma: MachineFactory, mode: str) -> None:
    vm = qmpnuma.start(*MACHINE, mode=mode, profile="10.0")

    async def go() -> tuple[object, object]:
        async with vm.client() as qmp:
            return await qmp.execute("query-version"), await qmp.execute("query-status")

    version, status = asyncio.run(go())
    assert version["qemu"]["major"] == 10  # type: ignore[index]
    assert status == {"status": "prelaunch", "running": False}
    with pytest.raises(ValueError, match="unknown profile '9.9'"):
        qmpnuma.start(*MACHINE, profile="9.9")


def test_start_refuses_a_bad_command_line(qmpnuma: MachineFactory) -> None:
    with pytest.raises(Exception, match="Max number of NUMA nodes reached: 300"):
        qmpnuma.start("-numa", "node,nodeid=300")


async def test_machine_in_the_trio_loop(qmpnuma: MachineFactory) -> None:
    async with qmpnuma.machine(*MACHINE) as vm:
        assert vm.socket.exists()
        memdevs = await vm.qmp.execute("query-memdev")
        assert [memdev["id"] for memdev in memdevs] == ["m0"]
        await vm.qmp.execute("cont")
        assert await vm.qmp.execute("query-status") == {
            "status": "running", "singlestep": False, "running": True}
    assert not vm.socket.exists()


@pytest.mark.parametrize("mode", ["inprocess", "fleet", "subprocess"])
def test_machine_in_an_asyncio_loop(qmpnuma: MachineFactory, mode: str) -> None:
    async def go() -> object:
        async with qmpnuma.machine(*MACHINE, mode=mode) as vm:
            return await vm.qmp.execute("query-name")

    assert asyncio.run(go()) == {}


def test_failing_tests_leave_nothing_behind(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(textwrap.dedent("""
        import asyncio, os
        SOCKETS = []

        def test_fails(qmpnuma):
            for mode in ("fleet", "subprocess"):
                vm = qmpnuma.start("-S", mode=mode)
                SOCKETS.append(vm.socket)
                if vm.process is not None:
                    with open("pid", "w") as f:
                        f.write(str(vm.process.pid))
            async def go():
                async with qmpnuma.machine("-S") as vm:
                    SOCKETS.append(vm.socket)
                    raise RuntimeError("the test fails")
            asyncio.run(go())

        def test_after():
            assert SOCKETS and not any(path.exists() for path in SOCKETS)
            pid = int(open("pid").read())
            assert not os.path.exists(f"/proc/{pid}") or \\
                open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    """))
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=1, passed=1)
    # The failure's report tells where each machine's recording is.
    result.stdout.fnmatch_lines(["*qmpnuma machines*", "vm0 (fleet, 7.2): -S",
                                 "  QMP traffic: *vm0.qmp.jsonl*"])
