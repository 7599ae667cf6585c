"""The generic device layer: registry, device_add's checks, ids, device_del."""

from __future__ import annotations

import pytest

from qmpnuma.errors import CollectingReporter, DeviceNotFound, QMPError
from qmpnuma.machine.device_types import DEVICE_TYPES
from qmpnuma.machine.machine import Machine
from qmpnuma.machine.machine_types import find_machine_class
from qmpnuma.machine.qdev import (
    DeviceClass,
    DeviceKind,
    DeviceState,
    PropertyInfo,
    PropType,
    qdev_unplug_complete,
)
from qmpnuma.profile import QEMU_7_2

GiB = 1 << 30


class Recording(DeviceKind):
    """A toy device kind: records the hooks called."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def has_hotplug_handler(self, machine: Machine) -> bool:
        return True

    def pre_plug(self, machine: Machine, dev: DeviceState) -> None:
        self.calls.append("pre_plug")
        if dev.props["level"] == 7:
            raise QMPError("seven is refused")

    def plug(self, machine: Machine, dev: DeviceState) -> None:
        self.calls.append("plug")

    def unplug_request(self, machine: Machine, dev: DeviceState) -> None:
        self.calls.append("unplug_request")

    def unplug(self, machine: Machine, dev: DeviceState) -> None:
        self.calls.append("unplug")


def built(*devices: DeviceClass) -> Machine:
    mc = find_machine_class("pc", QEMU_7_2)
    assert mc is not None
    m = Machine(mc, QEMU_7_2, device_types=DEVICE_TYPES.extended(devices))
    m.set_memory(GiB, 4, 8 * GiB)
    m.create(CollectingReporter())
    return m


def fails(m: Machine, opts: dict[str, object], from_json: bool = False) -> str:
    before = (list(m.qdev.devices), m.qdev.anon_count)
    with pytest.raises(QMPError) as info:
        m.device_add(opts, from_json)
    assert list(m.qdev.devices) == before[0]
    return info.value.desc


def toy(kind: Recording, name: str = "toy") -> DeviceClass:
    return DeviceClass(
        name,
        kind,
        properties=(
            PropertyInfo("level", PropType.INT32, 0),
            PropertyInfo("on", PropType.BOOL, False),
            PropertyInfo("big", PropType.UINT64, 0),
        ),
        qom_order=("type", "level"),
    )


def test_generic_checks_in_qemus_order() -> None:
    m = built()
    assert fails(m, {}) == "Parameter 'driver' is missing"
    assert fails(m, {"driver": "nope"}) == "'nope' is not a valid device model name"
    assert fails(m, {"driver": "device"}) == (
        "Parameter 'driver' expects a non-abstract device type"
    )
    assert fails(m, {"driver": "pc-dimm", "bus": "pci.0"}) == (
        "Device 'pc-dimm' can't go on PCI bus"
    )
    assert fails(m, {"driver": "pc-dimm", "bus": "nope"}) == "Bus 'nope' not found"
    assert fails(m, {"driver": "pc-dimm", "foo": "1"}) == "Property 'pc-dimm.foo' not found"
    assert fails(m, {"driver": "pc-dimm", "size": "1"}) == (
        "Property 'pc-dimm.size' is not writable"
    )


def test_hooks_and_typed_properties() -> None:
    kind = Recording()
    m = built(toy(kind))
    dev = m.device_add({"id": "t", "driver": "toy", "level": "-3", "on": "on", "big": "-1"}, False)
    assert dev.props == {"level": -3, "on": True, "big": (1 << 64) - 1}
    assert dev.qom_path == "/machine/peripheral/t" and dev.hotplugged
    assert kind.calls == ["pre_plug", "plug"]
    assert fails(m, {"driver": "toy", "level": "7"}) == "seven is refused"
    assert kind.calls == ["pre_plug", "plug", "pre_plug"]
    m.device_del(dev)
    assert kind.calls[-1] == "unplug_request" and dev in m.qdev.devices
    qdev_unplug_complete(m, dev)
    assert kind.calls[-1] == "unplug" and dev not in m.qdev.devices
    assert m.events == [("DEVICE_DELETED", {"device": "t", "path": "/machine/peripheral/t"})]


@pytest.mark.parametrize(
    ("opts", "from_json", "desc"),
    [
        ({"level": "x"}, False, "Parameter 'level' expects integer"),
        ({"level": "4294967296"}, False, "Parameter 'level' expects int32_t"),
        ({"level": "x"}, True, "Invalid parameter type for 'level', expected: integer"),
        ({"level": 1 << 31}, True, "Parameter 'level' expects int32_t"),
        ({"big": 1.5}, True, "Parameter 'big' expects uint64"),
        ({"on": "x"}, False, "Parameter 'on' expects 'on' or 'off'"),
        ({"on": "on"}, True, "Invalid parameter type for 'on', expected: boolean"),
    ],
)
def test_property_visitor_texts(opts: dict[str, object], from_json: bool, desc: str) -> None:
    m = built(toy(Recording()))
    assert fails(m, {"driver": "toy", **opts}, from_json) == desc


def test_ids_and_anonymous_numbering() -> None:
    m = built(toy(Recording()))
    m.device_add({"driver": "toy", "id": "a"}, False)
    assert fails(m, {"driver": "toy", "id": "a"}) == "Duplicate device ID 'a'"
    # A failed anonymous device still used its number (qdev_set_id's counter).
    assert fails(m, {"driver": "toy", "level": "7"}) == "seven is refused"
    dev = m.device_add({"driver": "toy"}, False)
    assert dev.qom_path == "/machine/peripheral-anon/device[1]"
    assert m.qdev.find_device_state("a") is not None
    assert m.qdev.find_device_state("/machine/peripheral-anon/device[1]") is dev
    assert m.qdev.find_device_state("device[1]") is None


def test_families_resolve_names() -> None:
    kind = Recording()
    family = toy(kind, "x-family")

    def resolve(name: str) -> DeviceClass | None:
        return family if name.endswith("-toy") else None

    registry = DEVICE_TYPES.extended(families=[resolve])
    assert registry.lookup("big-toy") is family
    assert registry.lookup("pc-dimm") is DEVICE_TYPES.lookup("pc-dimm")
    assert registry.lookup("toy-no") is None


def test_memdev_link_texts() -> None:
    m = built()
    with pytest.raises(DeviceNotFound):
        m.device_add({"driver": "pc-dimm", "memdev": "nope"}, False)
    assert fails(m, {"driver": "pc-dimm", "memdev": "/machine"}) == (
        "Invalid parameter type for 'memdev', expected: memory-backend"
    )
