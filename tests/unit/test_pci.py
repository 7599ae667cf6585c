"""The PCI root bus: addr parsing, slot allocation and QEMU's checks (hw/pci/pci.c)."""

from __future__ import annotations

import pytest

from qmpnuma.errors import GenericError
from qmpnuma.machine.pci import (
    PCIBus,
    PCIFunction,
    board_pci_bus,
    devfn_str,
    parse_pci_devfn,
    parse_pci_devfn_int,
)

MEM = PCIFunction("virtio-mem-pci", "vm0")


def pc(**enabled: bool) -> PCIBus:
    bus = board_pci_bus("i440fx", enabled, defaults=False)
    assert bus is not None
    return bus


@pytest.mark.parametrize(
    ("text", "devfn"),
    [("2", 0x10), ("2.0", 0x10), ("1f.7", 0xFF), ("0x3", 0x18), (" 4", 0x20), ("3.+1", 0x19),
     ("100000002", 0x10)],
)  # fmt: skip
def test_addr_parses_like_sscanf_hex(text: str, devfn: int) -> None:
    assert parse_pci_devfn("virtio-mem-pci", "addr", text) == devfn


@pytest.mark.parametrize("text", ["32", "zz", "2.", "2.8", "-1", "2.1x", "", "20"])
def test_bad_addr_names_type_property_and_value(text: str) -> None:
    with pytest.raises(GenericError) as e:
        parse_pci_devfn("virtio-mem-pci", "addr", text)
    assert e.value.desc == f"Property 'virtio-mem-pci.addr' doesn't take value '{text}'"


def test_json_addr_is_a_devfn_in_range() -> None:
    assert parse_pci_devfn_int("addr", 255) == 255
    with pytest.raises(GenericError, match="^Parameter 'addr' expects a value between -1 and 255$"):
        parse_pci_devfn_int("addr", 256)


def test_boards_built_in_functions() -> None:
    # hw/i386/pc_piix.c pc_init1 and pc_q35.c pc_q35_init (usb=on's
    # functions are not in a differential scenario).
    assert [devfn_str(d) for d, _ in pc()] == ["00.0", "01.0", "01.1", "01.3"]
    assert [devfn_str(d) for d, _ in pc(acpi=False, usb=True)] == ["00.0", "01.0", "01.1", "01.2"]
    q35 = board_pci_bus("q35", {}, defaults=False)
    assert q35 is not None and q35.name == "pcie.0" and not q35.hotpluggable
    assert [f.name for _, f in q35] == ["mch", "ICH9-LPC", "ich9-ahci", "ICH9-SMB"]
    assert board_pci_bus("none", {}, defaults=False) is None


def test_without_nodefaults_vga_and_nic_take_the_first_slots() -> None:
    # softmmu/vl.c default_vga / default_net, hw/i386/pc.c pc_vga_init then
    # pc_nic_init (the harness always passes -nodefaults).
    bus = board_pci_bus("i440fx", {}, defaults=True)
    assert bus is not None
    assert [(devfn_str(d), f.name) for d, f in bus][-2:] == [("02.0", "VGA"), ("03.0", "e1000")]
    assert bus.check_register(MEM, None, hotplugged=True) == 0x20


def test_acpi_off_takes_hotplug_away_from_pci0() -> None:
    assert pc().hotpluggable and not pc(acpi=False).hotpluggable


def test_auto_placement_takes_the_first_free_function_0() -> None:
    bus = pc()
    assert bus.check_register(MEM, None, hotplugged=True) == 0x10
    bus.register(0x10, MEM)
    assert bus.check_register(MEM, None, hotplugged=True) == 0x18


def test_slot_in_use_names_the_owner_and_its_id() -> None:
    bus = pc()
    with pytest.raises(GenericError) as e:
        bus.check_register(MEM, 0x08, hotplugged=True)
    assert e.value.desc == (
        "PCI: slot 1 function 0 not available for virtio-mem-pci, in use by PIIX3,id=(null)"
    )
    bus.register(0x10, MEM)
    with pytest.raises(GenericError, match="in use by virtio-mem-pci,id=vm0$"):
        bus.check_register(PCIFunction("virtio-pmem-pci"), 0x10, hotplugged=False)


def test_hotplug_behind_an_occupied_function_0_is_refused() -> None:
    with pytest.raises(GenericError) as e:
        pc().check_register(MEM, 0x0A, hotplugged=True)
    assert e.value.desc == (
        "PCI: slot 1 function 0 already occupied by PIIX3, "
        "new func virtio-mem-pci cannot be exposed to guest."
    )
    # Cold plug may join a multifunction device.
    assert pc().check_register(MEM, 0x0C, hotplugged=False) == 0x0C


def test_multifunction_rules() -> None:
    # hw/pci/pci.c pci_init_multifunction.
    bus = pc()
    bus.register(0x10, MEM)
    with pytest.raises(GenericError, match=r"^PCI: single function device can't be populated "
                       r"in function 2\.1$"):
        bus.check_register(PCIFunction("virtio-pmem-pci"), 0x11, hotplugged=False)
    bus.register(0x19, MEM)
    # The auto search only looks at function 0, so it picks slot 3 and fails.
    with pytest.raises(GenericError) as e:
        bus.check_register(PCIFunction("virtio-pmem-pci"), None, hotplugged=True)
    assert e.value.desc == "PCI: 3.0 indicates single function, but 3.1 is already populated."
    multi = PCIFunction("virtio-pmem-pci", multifunction=True)
    assert bus.check_register(multi, None, hotplugged=True) == 0x18


def test_a_full_bus_says_so() -> None:
    # hw/pci/pci.c do_pci_register_device.
    bus = pc()
    for slot in range(2, 32):
        bus.register(slot << 3, MEM)
    with pytest.raises(GenericError) as e:
        bus.check_register(MEM, None, hotplugged=True)
    assert e.value.desc == (
        "PCI: no slot/function available for virtio-mem-pci, all in use or reserved"
    )
