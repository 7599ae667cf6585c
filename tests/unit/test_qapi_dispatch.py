"""Tests for qmpnuma.qapi.dispatch: QEMU's order of checks, with fake handlers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import CollectingReporter, CommandNotFound, GenericError
from qmpnuma.frozen import FrozenResult
from qmpnuma.machine.phase import Phase
from qmpnuma.machine.runstate import VM
from qmpnuma.qapi.dispatch import (
    Dispatcher,
    Handler,
    MissingHandlerError,
    find_handlers,
    handler_name,
)
from qmpnuma.qapi.schema import Schema, load_schema


@dataclass
class FakeMachine:
    phase: Phase


@dataclass
class FakeMonitor:
    negotiating: bool = False

    def enable_capabilities(self, enable: list[str]) -> None:
        self.negotiating = False


def _ctx(phase: Phase = Phase.MACHINE_READY) -> CommandContext:
    vm = VM(machine=FakeMachine(phase))  # type: ignore[arg-type]
    return CommandContext(vm=vm, monitor=FakeMonitor(), reporter=CollectingReporter())


@pytest.fixture
def calls() -> list[tuple[str, dict[str, object]]]:
    return []


@pytest.fixture
def dispatcher(calls: list[tuple[str, dict[str, object]]]) -> Dispatcher:
    schema: Schema = load_schema()

    def recorder(name: str) -> Handler:
        def handler(ctx: CommandContext, args: dict[str, object]) -> object:
            calls.append((name, args))
            return {"human-readable-text": "x"} if name == "x-query-numa" else None

        return handler

    return Dispatcher(schema, {name: recorder(name) for name in schema.commands})


def test_handler_name_is_qemus_c_name() -> None:
    assert handler_name("set-numa-node") == "qmp_set_numa_node"
    assert handler_name("qmp_capabilities") == "qmp_qmp_capabilities"


def test_none_result_is_empty_object(dispatcher: Dispatcher, calls: list[object]) -> None:
    assert dispatcher.dispatch("stop", {}, _ctx(), oob=False, negotiating=False) == {}
    assert dispatcher.dispatch("x-query-numa", {}, _ctx(), oob=False, negotiating=False) == {
        "human-readable-text": "x"
    }
    assert calls == [("stop", {}), ("x-query-numa", {})]


def test_unknown_command(dispatcher: Dispatcher) -> None:
    with pytest.raises(CommandNotFound, match="^The command bogus has not been found$"):
        dispatcher.dispatch("bogus", {}, _ctx(), oob=False, negotiating=False)


def test_negotiation_allows_only_qmp_capabilities(
    dispatcher: Dispatcher, calls: list[object]
) -> None:
    with pytest.raises(CommandNotFound, match="^The command query-status has not been found$"):
        dispatcher.dispatch("query-status", {}, _ctx(), oob=False, negotiating=True)
    dispatcher.dispatch(
        "qmp_capabilities", {"enable": ["oob"]}, _ctx(), oob=False, negotiating=True
    )
    assert calls == [("qmp_capabilities", {"enable": ["oob"]})]


def test_oob_is_checked_before_the_phase_and_arguments(dispatcher: Dispatcher) -> None:
    with pytest.raises(GenericError, match="^The command query-cpus-fast does not support OOB$"):
        dispatcher.dispatch(
            "query-cpus-fast", {"x": 1}, _ctx(Phase.MACHINE_CREATED), oob=True, negotiating=False
        )


def test_phase_gate_comes_before_arguments(dispatcher: Dispatcher) -> None:
    with pytest.raises(GenericError) as info:
        dispatcher.dispatch(
            "human-monitor-command", {}, _ctx(Phase.ACCEL_CREATED), oob=False, negotiating=False
        )
    assert info.value.desc == (
        "The command 'human-monitor-command' is permitted only after machine "
        "initialization has completed"
    )


def test_preconfig_command_runs_before_machine_ready(
    dispatcher: Dispatcher, calls: list[object]
) -> None:
    args = {"type": "dist", "src": 0, "dst": 1, "val": 20}
    dispatcher.dispatch(
        "set-numa-node", args, _ctx(Phase.MACHINE_CREATED), oob=False, negotiating=False
    )
    assert calls == [("set-numa-node", args)]


def test_arguments_are_validated_before_the_call(
    dispatcher: Dispatcher, calls: list[object]
) -> None:
    with pytest.raises(GenericError, match="^Parameter 'a' is unexpected$"):
        dispatcher.dispatch("query-status", {"a": 1}, _ctx(), oob=False, negotiating=False)
    assert calls == []


def test_handler_gets_typed_arguments(dispatcher: Dispatcher, calls: list[object]) -> None:
    dispatcher.dispatch(
        "set-numa-node", {"mem": -1, "type": "node"}, _ctx(), oob=False, negotiating=False
    )
    assert calls == [("set-numa-node", {"type": "node", "mem": 2**64 - 1})]


def test_introspection_is_served_by_the_qapi_floor() -> None:
    handlers = find_handlers(load_schema())
    assert {"query-qmp-schema", "query-commands"} <= set(handlers)
    schema_reply = handlers["query-qmp-schema"](_ctx(), {})
    assert isinstance(schema_reply, FrozenResult)
    assert isinstance(schema_reply.value, list) and schema_reply.value[0]["name"] == "query-status"
    assert handlers["query-qmp-schema"](_ctx(), {}) is schema_reply


def test_missing_handlers_are_listed_or_refused() -> None:
    schema = load_schema()
    partial = Dispatcher(schema, {}, strict=False)
    assert partial.missing_handlers() == list(schema.commands)
    with pytest.raises(CommandNotFound):
        partial.dispatch("query-status", {}, _ctx(), oob=False, negotiating=False)
    with pytest.raises(MissingHandlerError):
        Dispatcher(schema, {})
