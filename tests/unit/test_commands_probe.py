"""libvirt's probe and start-up commands on the model: what is restricted to the
modelled types, and what comes from the machine's state.

The replies that are QEMU's whole answer are compared with QEMU 7.2 by
tests/differential/scenarios_probe.py.
"""

from __future__ import annotations

import io

import pytest

from qmpnuma.cli.driver import CliReporter, configure
from qmpnuma.commands.balloon import qmp_balloon, qmp_query_balloon
from qmpnuma.commands.char import qmp_query_chardev, qmp_query_yank, qmp_yank
from qmpnuma.commands.context import CommandContext
from qmpnuma.commands.host import qmp_query_command_line_options, qmp_query_tpm_models
from qmpnuma.commands.machine_target import qmp_query_kvm, qmp_query_machines
from qmpnuma.commands.migration import (
    qmp_migrate_set_capabilities,
    qmp_query_migrate_capabilities,
)
from qmpnuma.commands.qdev import qmp_device_add
from qmpnuma.commands.qom_types import (
    modelled_types,
    qmp_device_list_properties,
    qmp_qom_list_properties,
    qmp_qom_list_types,
)
from qmpnuma.errors import DeviceNotActive, DeviceNotFound, GenericError
from qmpnuma.facts import qemu_facts
from qmpnuma.machine.device_types import DEVICE_TYPES
from qmpnuma.machine.runstate import Chardev
from qmpnuma.profile import QEMU_7_2, QEMU_10_0, Profile
from tests.unit.contexts import command_context

MiB = 1 << 20


def context(*argv: str) -> CommandContext:
    reporter = CliReporter("qmpnuma", io.StringIO())
    config = configure(["-nodefaults", *argv], QEMU_7_2, reporter)
    return command_context(config.machine)


def names(types: object) -> list[str]:
    assert isinstance(types, list)
    return [t["name"] for t in types]


@pytest.mark.parametrize("profile", [QEMU_7_2, QEMU_10_0], ids=["7.2", "10.0"])
def test_every_modelled_type_has_recorded_properties(profile: Profile) -> None:
    facts = qemu_facts(profile)
    for name in modelled_types(profile):
        assert name in facts.qom_properties, name
    for name, dc in DEVICE_TYPES.classes.items():
        if not dc.abstract:
            assert name in facts.device_properties, name


def test_qom_list_types_shows_what_is_modelled() -> None:
    listed = names(qmp_qom_list_types(context("-machine", "none"), {}))
    for name in ("pc-dimm", "virtio-mem-pci", "piix3-usb-uhci", "virtio-balloon-pci",
                 "memory-backend-ram", "secret", "qemu64-x86_64-cpu", "tcg-accel",
                 "pc-i440fx-7.2-machine"):  # fmt: skip
        assert name in listed
    for name in ("microvm-machine", "kvm-accel", "virtio-net-pci", "iothread", "device"):
        assert name not in listed
    assert len(listed) == len(set(listed))


def test_qom_list_types_abstract_and_implements() -> None:
    ctx = context("-machine", "none")
    abstract = qmp_qom_list_types(ctx, {"abstract": True})
    assert {"name": "device", "abstract": True, "parent": "object"} in abstract  # type: ignore[operator]
    backends = names(qmp_qom_list_types(ctx, {"implements": "memory-backend"}))
    assert sorted(backends) == ["memory-backend-file", "memory-backend-memfd",
                                "memory-backend-ram"]  # fmt: skip
    # An interface: QEMU's object_class_dynamic_cast looks at those too.
    creatable = names(qmp_qom_list_types(ctx, {"implements": "user-creatable"}))
    assert "secret" in creatable and "pc-dimm" not in creatable
    assert qmp_qom_list_types(ctx, {"implements": "nope"}) == []


def test_list_properties_of_unmodelled_types_are_qemus_not_found() -> None:
    ctx = context("-machine", "none")
    with pytest.raises(DeviceNotFound, match="^Device 'virtio-net-pci' not found$"):
        qmp_device_list_properties(ctx, {"typename": "virtio-net-pci"})
    with pytest.raises(DeviceNotFound, match="^Class 'iothread' not found$"):
        qmp_qom_list_properties(ctx, {"typename": "iothread"})
    with pytest.raises(GenericError, match="non-abstract device type"):
        qmp_device_list_properties(ctx, {"typename": "secret"})


def test_query_machines_is_restricted() -> None:
    machines = names(qmp_query_machines(context("-machine", "none"), {}))
    assert "pc-i440fx-7.2" in machines and "none" in machines
    assert not {"microvm", "isapc", "x-remote"} & set(machines)


def test_host_facts() -> None:
    ctx = context("-machine", "none")
    assert qmp_query_kvm(ctx, {}) == {"enabled": False, "present": True}
    assert qmp_query_tpm_models(ctx, {}) == []
    machine_opts = qmp_query_command_line_options(ctx, {"option": "machine"})
    assert [o["option"] for o in machine_opts] == ["machine"]
    with pytest.raises(GenericError, match="^invalid option name: nope$"):
        qmp_query_command_line_options(ctx, {"option": "nope"})


def test_migration_capabilities_are_the_vms() -> None:
    ctx = context("-machine", "none")
    qmp_migrate_set_capabilities(ctx, {"capabilities": [{"capability": "events", "state": True}]})
    states = {c["capability"]: c["state"] for c in qmp_query_migrate_capabilities(ctx, {})}
    assert states["events"] and not states["xbzrle"]
    assert context("-machine", "none").vm.migration_capabilities == frozenset()


def test_chardev_order_and_yank() -> None:
    ctx = context("-machine", "none")
    ctx.vm.chardevs = [Chardev("compat_monitor0", "unix:/q.sock,server=on", connected=True),
                       Chardev("serial0", "vc", socket=False),
                       Chardev("parallel0", "vc", socket=False)]  # fmt: skip
    # QEMU's order: the /chardevs property table's, reversed (recorded from 7.2).
    assert [c["label"] for c in qmp_query_chardev(ctx, {})] == [
        "parallel0", "compat_monitor0", "serial0"
    ]
    assert qmp_query_yank(ctx, {}) == [{"type": "chardev", "id": "compat_monitor0"}]
    with pytest.raises(DeviceNotFound, match="^Instance not found$"):
        qmp_yank(ctx, {"instances": [{"type": "chardev", "id": "serial0"}]})
    assert ctx.vm.yanked == []
    qmp_yank(ctx, {"instances": [{"type": "chardev", "id": "compat_monitor0"}]})
    assert ctx.vm.drain_yanked() == ["compat_monitor0"]


def test_balloon_follows_ram_and_dimms() -> None:
    ctx = context("-m", "1G,slots=2,maxmem=4G")
    with pytest.raises(DeviceNotActive, match="^No balloon device has been activated$"):
        qmp_query_balloon(ctx, {})
    qmp_device_add(ctx, {"driver": "virtio-balloon-pci", "id": "balloon0", "addr": "0x2"})
    assert qmp_query_balloon(ctx, {}) == {"actual": 1024 * MiB}
    ctx.vm.machine.object_add("memory-backend-ram", {"id": "d0", "size": 256 * MiB})
    qmp_device_add(ctx, {"driver": "pc-dimm", "id": "dimm0", "memdev": "d0"})
    assert qmp_query_balloon(ctx, {}) == {"actual": 1280 * MiB}
    qmp_balloon(ctx, {"value": 512 * MiB})  # no guest driver: nothing moves
    assert qmp_query_balloon(ctx, {}) == {"actual": 1280 * MiB}
    with pytest.raises(GenericError, match="^Parameter 'target' expects a size$"):
        qmp_balloon(ctx, {"value": 0})


def test_pci_devices_take_their_slots() -> None:
    # libvirt's command line: the USB controller in PIIX3's slot, function 2.
    ctx = context("-machine", "usb=off", "-device",
                  '{"driver":"piix3-usb-uhci","id":"usb","bus":"pci.0","addr":"0x1.0x2"}')
    with pytest.raises(GenericError, match="^PCI: slot 1 function 2 not available for "
                       "virtio-balloon-pci, in use by piix3-usb-uhci,id=usb$"):
        qmp_device_add(ctx, {"driver": "virtio-balloon-pci", "id": "b", "addr": "0x1.0x2"})


def test_boot_cpu_properties() -> None:
    from qmpnuma.commands.qom import qmp_qom_get, qmp_qom_list

    path = "/machine/unattached/device[0]"
    recorded = context("-cpu", "qemu64")
    listed = qmp_qom_list(recorded, {"path": path})
    assert isinstance(listed, list) and len(listed) > 400
    assert qmp_qom_get(recorded, {"path": path, "property": "sse2"}) is True
    assert qmp_qom_get(recorded, {"path": path, "property": "model-id"}) == (
        "QEMU Virtual CPU version 2.5+"
    )
    # A model whose properties are not recorded still says what TCG lacks,
    # as QEMU 7.2 does for -cpu Skylake-Client (libvirt always asks).
    other = context("-cpu", "Skylake-Client")
    names = [p["name"] for p in qmp_qom_list(other, {"path": path})]  # type: ignore[union-attr]
    assert "unavailable-features" in names and "sse2" not in names
    assert qmp_qom_get(other, {"path": path, "property": "unavailable-features"}) == [
        "pcid", "x2apic", "tsc-deadline", "hle", "invpcid", "rtm", "rdseed",
        "3dnowprefetch", "xsavec",
    ]  # fmt: skip
