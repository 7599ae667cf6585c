"""x86 CPU plug checks, plug order and the two-step unplug, on the pure model.

The error texts and their order were recorded from QEMU 7.2; the
differential suite (scenarios_cpu_hotplug.py) replays them over QMP.
"""

from __future__ import annotations

import io

import pytest

from qmpnuma.cli.driver import CliError, CliReporter, configure
from qmpnuma.errors import GenericError
from qmpnuma.machine.machine import Machine
from qmpnuma.machine.numa import numa_cpu_pre_plug
from qmpnuma.machine.qdev import qdev_unplug_complete
from qmpnuma.machine.topology import SmpConfig, x86_apicid_from_topo_ids, x86_topo_ids_from_apicid
from qmpnuma.machine.x86_cpu import CpuPlacement, X86CPUProps, X86Cpus
from qmpnuma.profile import QEMU_7_2

CPU = "qemu64-x86_64-cpu"
TWO_NODES = (
    "-m", "1G",
    "-object", "memory-backend-ram,id=r0,size=512M", "-numa", "node,memdev=r0",
    "-object", "memory-backend-ram,id=r1,size=512M", "-numa", "node,memdev=r1",
)  # fmt: skip


def build(*argv: str) -> Machine:
    return configure(list(argv), QEMU_7_2, CliReporter("qmpnuma", io.StringIO())).machine


def board(*argv: str) -> X86Cpus:
    cpus = build(*argv).cpus
    assert cpus is not None
    return cpus


def ids(
    socket: int = -1, die: int = -1, core: int = -1, thread: int = -1, **kw: int
) -> X86CPUProps:
    return X86CPUProps(socket_id=socket, die_id=die, core_id=core, thread_id=thread, **kw)


def state(cpus: X86Cpus) -> object:
    return cpus.cpus, cpus.present_slots


def test_apic_ids_round_trip() -> None:
    smp = SmpConfig(cpus=1, sockets=3, dies=3, cores=3, threads=3, max_cpus=81)
    for ids in [(0, 0, 0, 0, 0), (2, 1, 0, 2, 1), (1, 2, 0, 0, 2)]:
        apic_id = x86_apicid_from_topo_ids(smp, ids)
        assert x86_topo_ids_from_apicid(smp, apic_id) == ids


def test_apic_id_fields_with_modules() -> None:
    """include/hw/i386/topology.h (10.0): thread, core, module, die, then socket bits."""
    smp = SmpConfig(cpus=1, sockets=2, dies=2, cores=3, threads=2, max_cpus=48, modules=2)
    # 1 thread bit, 2 core bits, 1 module bit, 1 die bit.
    assert x86_apicid_from_topo_ids(smp, (1, 1, 1, 2, 1)) == 0b1_1_1_10_1
    assert x86_topo_ids_from_apicid(smp, 0b1_1_1_10_1) == (1, 1, 1, 2, 1)


def test_boot_cpus_go_through_pre_plug() -> None:
    cpus = board("-smp", "3,maxcpus=4,sockets=4")
    assert [(c.cpu_index, c.qom_path, c.hotplugged) for c in cpus.cpus] == [
        (0, "/machine/unattached/device[0]", False),
        (1, "/machine/unattached/device[2]", False),
        (2, "/machine/unattached/device[3]", False),
    ]
    # die-id and module-id read 0 without dies or modules; node-id stays
    # unset without NUMA.
    assert cpus.cpus[1].props == X86CPUProps(1, 0, 0, 0, -1, 1, module_id=0)


#: (-smp, props, QEMU 7.2's error), in x86_cpu_pre_plug's order of checks.
ERRORS = [
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(9, core=0, thread=0),
     "Invalid CPU socket-id: 9 must be in range 0:1"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(core=0, thread=0),
     "CPU socket-id is not set"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(0, thread=0), "CPU core-id is not set"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(0, core=0), "CPU thread-id is not set"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(0, core=5, thread=0),
     "Invalid CPU core-id: 5 must be in range 0:1"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(0, core=0, thread=7),
     "Invalid CPU thread-id: 7 must be in range 0:1"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(0, 1, 0, 1),
     "Invalid CPU die-id: 1 must be in range 0:0"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(0, core=0, thread=0),
     "CPU[0] with APIC ID 0 exists"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(0, core=0, thread=1, node_id=3),
     "invalid node-id, must be 0"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(apic_id=9),
     "Invalid CPU [socket: 2, die: 0, core: 0, thread: 1] with APIC ID 9, valid index range 0:7"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(apic_id=100),
     "Invalid CPU [socket: 25, die: 0, core: 0, thread: 0] with APIC ID 100, "
     "valid index range 0:7"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(1, apic_id=3),
     "property socket-id: 1 doesn't match set apic-id: 0x3 (socket-id: 0)"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(core=0, apic_id=3),
     "property core-id: 0 doesn't match set apic-id: 0x3 (core-id: 1)"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(thread=0, apic_id=3),
     "property thread-id: 0 doesn't match set apic-id: 0x3 (thread-id: 1)"),
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(die=1, apic_id=3),
     "property die-id: 1 doesn't match set apic-id: 0x3 (die-id: 0)"),
    # %u: a negative id next to an APIC id prints as unsigned.
    ("1,maxcpus=8,sockets=2,cores=2,threads=2", ids(-5, apic_id=3),
     "property socket-id: 4294967291 doesn't match set apic-id: 0x3 (socket-id: 0)"),
    ("2,maxcpus=16,sockets=2,dies=2,cores=2,threads=2", ids(1, core=0, thread=0),
     "CPU die-id is not set"),
    ("2,maxcpus=16,sockets=2,dies=2,cores=2,threads=2", ids(0, 2, 0, 0),
     "Invalid CPU die-id: 2 must be in range 0:1"),
]  # fmt: skip


@pytest.mark.parametrize(("smp", "props", "message"), ERRORS)
def test_pre_plug_errors_change_nothing(smp: str, props: X86CPUProps, message: str) -> None:
    cpus = board("-smp", smp)
    before = state(cpus)
    with pytest.raises(GenericError) as info:
        cpus.pre_plug(CPU, props)
    assert info.value.desc == message
    assert state(cpus) == before


def test_type_is_checked_first() -> None:
    cpus = board("-cpu", "max", "-smp", "1,maxcpus=2")
    with pytest.raises(GenericError) as info:
        cpus.pre_plug(CPU, ids(99))
    assert info.value.desc == "Invalid CPU type, expected cpu type: 'max-x86_64-cpu'"


def test_node_id_comes_from_the_slot() -> None:
    cpus = board(*TWO_NODES, "-smp", "2,maxcpus=16,sockets=2,dies=2,cores=2,threads=2")
    placement = cpus.pre_plug(CPU, ids(1, 1, 0, 0))
    assert placement == CpuPlacement(12, CPU, X86CPUProps(1, 1, 0, 0, 1, 12, module_id=0))
    assert cpus.pre_plug(CPU, ids(1, 1, 0, 0, node_id=1)) == placement
    with pytest.raises(GenericError, match="^invalid node-id, must be 1$"):
        cpus.pre_plug(CPU, ids(1, 1, 0, 0, node_id=0))


def test_numa_cpu_pre_plug_without_nodes() -> None:
    slot = board("-smp", "1,maxcpus=2,sockets=2").present_slots[0]
    # A slot without a node counts as node 0; unset stays unset.
    assert numa_cpu_pre_plug(slot, -1) == -1
    assert numa_cpu_pre_plug(slot, 0) == 0
    with pytest.raises(GenericError, match="^invalid node-id, must be 0$"):
        numa_cpu_pre_plug(slot, 1)


def test_plug_order_is_cpu_list_order() -> None:
    machine = build(*TWO_NODES, "-smp", "2,maxcpus=16,sockets=2,dies=2,cores=2,threads=2")
    cpus = machine.cpus
    assert cpus is not None
    cpus.plug(cpus.pre_plug(CPU, ids(1, 1, 0, 0)), "/machine/peripheral-anon/device[1]", True)
    cpus.plug(cpus.pre_plug(CPU, ids(0, 0, 1, 0)), "/machine/peripheral/c2", True)
    assert [slot.index for slot in machine.present_cpus] == [0, 1, 12, 2]
    slot = machine.possible_cpus[12]
    assert slot.qom_path == "/machine/peripheral-anon/device[1]" and slot.node_id == 1
    with pytest.raises(GenericError, match=r"^CPU\[12\] with APIC ID 12 exists$"):
        cpus.pre_plug(CPU, ids(apic_id=12))


def test_every_slot_can_be_filled() -> None:
    cpus = board("-smp", "1,maxcpus=8,sockets=2,cores=2,threads=2")
    for index in range(1, 8):
        cpus.plug(cpus.pre_plug(CPU, X86CPUProps(apic_id=index)), f"/p/{index}", True)
    assert [c.cpu_index for c in cpus.cpus] == list(range(8))
    with pytest.raises(GenericError, match=r"^CPU\[7\] with APIC ID 7 exists$"):
        cpus.pre_plug(CPU, ids(1, core=1, thread=1))


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_legacy_acpi_refuses_unplug(machine: str) -> None:
    cpus = board("-machine", machine, "-smp", "2,maxcpus=3,sockets=3")
    cpu = cpus.plug(cpus.pre_plug(CPU, ids(2, core=0, thread=0)), "/machine/peripheral/v", True)
    before = state(cpus)
    for victim, message in [
        (cpus.cpus[0], "Boot CPU is unpluggable"),
        (cpus.cpus[1], f"acpi: device unplug request for not supported device type: {CPU}"),
        (cpu, f"acpi: device unplug request for not supported device type: {CPU}"),
    ]:
        with pytest.raises(GenericError) as info:
            cpus.unplug_request(victim)
        assert info.value.desc == message
    assert state(cpus) == before


def test_no_acpi_device_no_unplug() -> None:
    cpus = board("-machine", "pc,acpi=off", "-smp", "1,maxcpus=2,sockets=2")
    assert cpus.acpi is None
    with pytest.raises(GenericError, match="^CPU hot unplug not supported without ACPI$"):
        cpus.unplug_request(cpus.cpus[0])


def test_modern_unplug_is_request_then_completion() -> None:
    cpus = board("-smp", "1,maxcpus=3,sockets=3")
    assert cpus.acpi is not None
    first = cpus.plug(cpus.pre_plug(CPU, ids(1, core=0, thread=0)), "/machine/peripheral/a", True)
    cpus.plug(cpus.pre_plug(CPU, ids(2, core=0, thread=0)), "/machine/peripheral/b", True)
    cpus.acpi.switch_to_modern()
    cpus.unplug_request(first)
    # The request alone frees nothing: the guest has not ejected the CPU.
    assert cpus.acpi.is_removing(1) and first in cpus.cpus
    cpus.unplug(first)
    assert not cpus.acpi.is_removing(1)
    assert [c.cpu_index for c in cpus.cpus] == [0, 2]
    again = cpus.plug(cpus.pre_plug(CPU, ids(1, core=0, thread=0)), "/machine/peripheral/c", True)
    # A replugged CPU keeps its slot's cpu-index and goes to the end of the list.
    assert again.cpu_index == 1 and [c.cpu_index for c in cpus.cpus] == [0, 2, 1]


# -- through the device layer (device_add / -device / device_del) -----------


def test_boot_cpus_are_board_devices() -> None:
    machine = build("-smp", "2,maxcpus=3,sockets=3")
    paths = [(dev.qom_path, dev.dc.name, dev.hotplugged) for dev in machine.qdev.devices]
    assert paths == [
        ("/machine/unattached/device[0]", CPU, False),
        ("/machine/unattached/device[2]", CPU, False),
    ]
    # They are in no peripheral container, but device_del finds them by path.
    assert list(machine.qdev.peripheral) == list(machine.qdev.peripheral_anon) == []
    boot = machine.qdev.find_device_state("/machine/unattached/device[0]")
    assert boot is not None and boot.props["socket-id"] == 0
    with pytest.raises(GenericError, match="^Boot CPU is unpluggable$"):
        machine.device_del(boot)


def test_device_add_writes_the_resolved_ids_back() -> None:
    machine = build(*TWO_NODES, "-smp", "1,maxcpus=4,sockets=2,cores=2")
    dev = machine.device_add({"driver": CPU, "id": "c", "apic-id": "3"}, from_json=False)
    assert dev.qom_path == "/machine/peripheral/c" and dev.hotplugged
    assert {k: dev.props[k] for k in ("socket-id", "die-id", "core-id", "thread-id")} == {
        "socket-id": 1, "die-id": 0, "core-id": 1, "thread-id": 0,
    }  # fmt: skip
    assert dev.props["node-id"] == 1
    assert [slot.index for slot in machine.present_cpus] == [0, 3]


def test_refused_device_add_keeps_only_the_anonymous_count() -> None:
    machine = build("-smp", "1,maxcpus=2,sockets=2")
    cpus = machine.cpus
    assert cpus is not None
    before = state(cpus)
    with pytest.raises(GenericError, match="^CPU thread-id is not set$"):
        machine.device_add({"driver": CPU, "socket-id": "1", "core-id": "0"}, from_json=False)
    assert state(cpus) == before and len(machine.qdev.devices) == 1
    # QEMU named the refused device device[0] before refusing it.
    dev = machine.device_add({"driver": CPU, "apic-id": "1"}, from_json=False)
    assert dev.qom_path == "/machine/peripheral-anon/device[1]"


def test_cpu_on_a_board_without_slots() -> None:
    machine = build("-machine", "none")
    with pytest.raises(GenericError, match="can not be hotplugged on this machine"):
        machine.device_add({"driver": CPU}, from_json=False)
    with pytest.raises(CliError) as info:
        build("-machine", "none", "-device", CPU)
    assert info.value.lines == [
        f"qmpnuma: -device {CPU}: apic-id property was not initialized properly"
    ]


def test_modern_unplug_completes_through_the_device_layer() -> None:
    machine = build("-smp", "1,maxcpus=3,sockets=3")
    cpus = machine.cpus
    assert cpus is not None and cpus.acpi is not None
    dev = machine.device_add({"driver": CPU, "id": "v", "apic-id": "2"}, from_json=False)
    cpus.acpi.switch_to_modern()
    machine.device_del(dev)
    assert machine.events == [] and machine.possible_cpus[2].qom_path == "/machine/peripheral/v"
    qdev_unplug_complete(machine, dev)
    assert machine.events == [("DEVICE_DELETED", {"device": "v", "path": "/machine/peripheral/v"})]
    assert machine.possible_cpus[2].qom_path is None and list(machine.qdev.peripheral) == []
    again = machine.device_add({"driver": CPU, "id": "v", "apic-id": "2"}, from_json=False)
    assert again.props["socket-id"] == 2
