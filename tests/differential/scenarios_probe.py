"""libvirt 9.0's probe against QEMU 7.2: the replies that are facts of the binary.

libvirt probes a ``-machine none`` emulator with ~51 commands
(../shared/reference/libvirt-usage.md).  Those whose reply is QEMU's
whole answer are compared here; ``qom-list-types``, ``query-machines``
and ``query-tpm-*`` are restricted to what qmpnuma models, so they are
checked by tests/unit/test_commands_probe.py instead.  The out-of-band
commands answer as on a machine that is not migrating.
"""

from __future__ import annotations

from tests.differential.harness import Scenario, Step, qmp, raw

__all__ = ["SCENARIOS"]

NONE = ("-S", "-machine", "none")
OOB = raw('{"execute": "qmp_capabilities", "arguments": {"enable": ["oob"]}}')


def probe(name: str, *steps: Step, args: tuple[str, ...] = NONE) -> Scenario:
    return Scenario(f"probe-{name}", args, steps)


def oob(name: str, *steps: Step) -> Scenario:
    return Scenario(f"probe-oob-{name}", NONE, (OOB, *steps), negotiate=False)


def host_expansion(kind: str, props: dict[str, object] | None = None) -> Step:
    model: dict[str, object] = {"name": "host"}
    if props is not None:
        model["props"] = props
    return qmp("query-cpu-model-expansion", {"type": kind, "model": model})


# fmt: off
SCENARIOS = [
    probe("target-kvm", qmp("query-target"), qmp("query-kvm")),
    probe("cpu-definitions", qmp("query-cpu-definitions")),
    probe("cpu-model-expansion-host",
          host_expansion("static"),
          host_expansion("static", {"migratable": False}),
          host_expansion("full", {"migratable": False, "hv-passthrough": True})),
    probe("cpu-model-expansion-unknown",
          qmp("query-cpu-model-expansion", {"type": "full", "model": {"name": "nope"}})),
    probe("device-list-properties-cpu",
          qmp("device-list-properties", {"typename": "qemu64-x86_64-cpu"}),
          qmp("device-list-properties", {"typename": "max-x86_64-cpu"})),
    probe("device-list-properties-refusals",
          qmp("device-list-properties", {"typename": "virtio-net-ccw"}),
          qmp("device-list-properties", {"typename": "memory-backend-ram"}),
          qmp("device-list-properties", {"typename": "x86_64-cpu"}),
          qmp("device-list-properties", {"typename": "device"})),
    probe("qom-list-properties",
          qmp("qom-list-properties", {"typename": "memory-backend-file"}),
          qmp("qom-list-properties", {"typename": "memory-backend-memfd"}),
          qmp("qom-list-properties", {"typename": "max-x86_64-cpu"}),
          qmp("qom-list-properties", {"typename": "none-machine"}),
          qmp("qom-list-properties", {"typename": "pc-i440fx-7.2-machine"}),
          qmp("qom-list-properties", {"typename": "secret"})),
    probe("qom-list-properties-abstract",
          qmp("qom-list-properties", {"typename": "memory-backend"}),
          qmp("qom-list-properties", {"typename": "x86_64-cpu"}),
          qmp("qom-list-properties", {"typename": "object"})),
    probe("qom-list-properties-unknown",
          qmp("qom-list-properties", {"typename": "nope"})),
    probe("command-line-options",
          qmp("query-command-line-options"),
          qmp("query-command-line-options", {"option": "machine"}),
          qmp("query-command-line-options", {"option": "numa"}),
          qmp("query-command-line-options", {"option": "nope"})),
    probe("migrate-capabilities",
          qmp("query-migrate-capabilities"),
          qmp("migrate-set-capabilities",
              {"capabilities": [{"capability": "events", "state": True}]}),
          qmp("query-migrate-capabilities"),
          qmp("migrate-set-capabilities",
              {"capabilities": [{"capability": "events", "state": False}]}),
          qmp("query-migrate-capabilities"),
          qmp("migrate-set-capabilities",
              {"capabilities": [{"capability": "nope", "state": True}]})),
    probe("sev-sgx", qmp("query-sev-capabilities"), qmp("query-sgx-capabilities")),
    probe("iothreads", qmp("query-iothreads")),
    probe("migrate-recover-pause",
          qmp("migrate-recover", {"uri": "tcp:127.0.0.1:4444"}),
          qmp("migrate-pause")),
    probe("yank",
          qmp("query-yank"),
          qmp("yank", {"instances": []}),
          qmp("yank", {"instances": [{"type": "chardev", "id": "compat_monitor0"}]}),
          qmp("yank", {"instances": [{"type": "chardev", "id": "nope"}]}),
          qmp("yank", {"instances": [{"type": "block-node", "node-name": "n"}]}),
          qmp("yank", {"instances": [{"type": "migration"}]})),
    oob("migrate-pause", raw('{"exec-oob": "migrate-pause", "id": 1}')),
    oob("migrate-recover", raw('{"exec-oob": "migrate-recover", "arguments": {"uri": "x"}}')),
    oob("query-yank", raw('{"exec-oob": "query-yank", "id": "y"}')),
    oob("yank", raw('{"exec-oob": "yank", "arguments": {"instances": []}}')),
    oob("not-oob", raw('{"exec-oob": "query-kvm", "id": 2}')),
    probe("secret-object",
          qmp("object-add", {"qom-type": "secret", "id": "s0", "data": "x"}),
          qmp("qom-get", {"path": "/objects/s0", "property": "type"}),
          qmp("object-del", {"id": "s0"})),
]
# fmt: on
