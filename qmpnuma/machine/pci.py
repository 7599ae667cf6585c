"""The board's PCI root bus, as the PCI proxies of memory devices see it.

QEMU counterparts (7.2): hw/pci/pci.c (do_pci_register_device,
pci_init_multifunction), the ``addr`` property parser of
hw/core/qdev-properties-system.c (set_pci_devfn), and the built-in PCI
functions that hw/i386/pc_piix.c and pc_q35.c create at board init (plus
softmmu/vl.c's default VGA and NIC without ``-nodefaults``).

A device's PCI identity is its devfn (slot << 3 | function) on the one
root bus.  Checks come in QEMU's order and only ``check_register`` decides;
``register`` commits what it decided, so a failed device_add leaves the bus
as it was.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from qmpnuma.errors import GenericError

__all__ = [
    "PCI_SLOT_MAX",
    "PCI_FUNC_MAX",
    "PCIFunction",
    "PCIBus",
    "board_pci_bus",
    "parse_pci_devfn",
    "parse_pci_devfn_int",
    "devfn_str",
]

#: include/hw/pci/pci.h: 32 slots of 8 functions on a bus.
PCI_SLOT_MAX = 32
PCI_FUNC_MAX = 8
#: The C ``unsigned int`` that sscanf's %x stores into.
_UINT_MASK = (1 << 32) - 1
_ULONG_MAX = (1 << 64) - 1


@dataclass(frozen=True)
class PCIFunction:
    """One populated devfn: what QEMU's error texts name."""

    #: pci_dev->name: the QOM type name.
    name: str
    #: The qdev id; None prints as glibc's "(null)".
    id: str | None = None
    #: The ``multifunction`` property (QEMU_PCI_CAP_MULTIFUNCTION).
    multifunction: bool = False


def devfn_str(devfn: int) -> str:
    """slot.function as ``info pci`` and the qdev printer write it."""
    return f"{devfn >> 3:02x}.{devfn & 7:x}"


def _scan_hex(text: str, pos: int) -> tuple[int, int] | None:
    """glibc sscanf %x at ``pos``: whitespace, sign, 0x prefix, digits.

    Returns the value as C's ``unsigned int`` and the position after it.
    """
    while pos < len(text) and text[pos] in " \t\n\v\f\r":
        pos += 1
    negative = pos < len(text) and text[pos] == "-"
    if pos < len(text) and text[pos] in "+-":
        pos += 1
    if text[pos : pos + 2].lower() == "0x" and pos + 2 < len(text) and _is_hex(text[pos + 2]):
        pos += 2
    start = pos
    while pos < len(text) and _is_hex(text[pos]):
        pos += 1
    if pos == start:
        return None
    value = min(int(text[start:pos], 16), _ULONG_MAX)  # strtoul saturates
    if negative:
        value = -value & _ULONG_MAX
    return value & _UINT_MASK, pos


def _is_hex(char: str) -> bool:
    return char in "0123456789abcdefABCDEF"


def parse_pci_devfn(type_name: str, name: str, value: str) -> int:
    """The ``addr`` property from a string: ``SLOT[.FN]`` in hex (set_pci_devfn).

    Raises:
        GenericError: ``Property 'T.addr' doesn't take value 'V'``.
    """
    slot_scan = _scan_hex(value, 0)
    fn = 0
    end = None
    if slot_scan is not None:
        slot, end = slot_scan
        if end < len(value) and value[end] == ".":
            fn_scan = _scan_hex(value, end + 1)
            if fn_scan is not None:
                fn, end = fn_scan
    if slot_scan is None or end != len(value) or fn >= PCI_FUNC_MAX or slot >= PCI_SLOT_MAX:
        # hw/core/qdev-properties.c error_set_from_qdev_prop_error (EINVAL)
        raise GenericError(f"Property '{type_name}.{name}' doesn't take value '{value}'")
    return slot << 3 | fn


def parse_pci_devfn_int(name: str, value: int) -> int:
    """The ``addr`` property from a JSON integer: a devfn, or -1 for any.

    Raises:
        GenericError: QERR_INVALID_PARAMETER_VALUE.
    """
    if not -1 <= value <= 255:
        raise GenericError(f"Parameter '{name}' expects a value between -1 and 255")
    return value


class PCIBus:
    """A PCI root bus: its name, whether it takes hotplug, its functions."""

    def __init__(self, name: str, hotpluggable: bool) -> None:
        self.name = name
        self.hotpluggable = hotpluggable
        self._devices: dict[int, PCIFunction] = {}

    def __iter__(self) -> Iterator[tuple[int, PCIFunction]]:
        return iter(sorted(self._devices.items()))

    def get(self, devfn: int) -> PCIFunction | None:
        return self._devices.get(devfn)

    def check_register(self, func: PCIFunction, devfn: int | None, hotplugged: bool) -> int:
        """Where ``func`` goes: do_pci_register_device and pci_init_multifunction.

        ``devfn`` None is QEMU's -1: the first slot whose function 0 is free.

        Raises:
            GenericError: QEMU's "PCI: ..." texts.
        """
        if devfn is None:
            devfn = self._first_free_slot(func.name)
        elif (taken := self._devices.get(devfn)) is not None:
            raise GenericError(
                f"PCI: slot {devfn >> 3} function {devfn & 7} not available for {func.name},"
                f" in use by {taken.name},id={taken.id if taken.id is not None else '(null)'}"
            )
        else:
            function0 = self._devices.get(devfn & ~7)
            if hotplugged and function0 is not None:
                raise GenericError(
                    f"PCI: slot {devfn >> 3} function 0 already occupied by {function0.name},"
                    f" new func {func.name} cannot be exposed to guest."
                )
        self._check_multifunction(func, devfn)
        return devfn

    def _first_free_slot(self, name: str) -> int:
        # Only function 0 of each slot is looked at (pci_bus_devfn_available).
        for devfn in range(0, PCI_SLOT_MAX * PCI_FUNC_MAX, PCI_FUNC_MAX):
            if devfn not in self._devices:
                return devfn
        raise GenericError(f"PCI: no slot/function available for {name}, all in use or reserved")

    def _check_multifunction(self, func: PCIFunction, devfn: int) -> None:
        """hw/pci/pci.c pci_init_multifunction."""
        slot, fn = devfn >> 3, devfn & 7
        if fn:
            function0 = self._devices.get(devfn & ~7)
            if function0 is not None and not function0.multifunction:
                raise GenericError(
                    f"PCI: single function device can't be populated in function {slot:x}.{fn:x}"
                )
            return
        if func.multifunction:
            return
        for other in range(1, PCI_FUNC_MAX):
            if devfn | other in self._devices:
                raise GenericError(
                    f"PCI: {slot:x}.0 indicates single function, "
                    f"but {slot:x}.{other:x} is already populated."
                )

    def register(self, devfn: int, func: PCIFunction) -> None:
        """Commit a placement that check_register returned."""
        self._devices[devfn] = func


#: Functions the boards create at init (hw/i386/pc_piix.c pc_init1,
#: pc_q35.c pc_q35_init), keyed by the machine property that turns them on
#: (None: always there).
_I440FX_FUNCTIONS: tuple[tuple[int, PCIFunction, str | None], ...] = (
    (0x00, PCIFunction("i440FX"), None),
    (0x08, PCIFunction("PIIX3", multifunction=True), None),
    (0x09, PCIFunction("piix3-ide"), None),
    (0x0A, PCIFunction("piix3-usb-uhci"), "usb"),
    (0x0B, PCIFunction("PIIX4_PM"), "acpi"),
)
_Q35_FUNCTIONS: tuple[tuple[int, PCIFunction, str | None], ...] = (
    (0x00, PCIFunction("mch"), None),
    (0xE8, PCIFunction("ich9-usb-uhci1", multifunction=True), "usb"),
    (0xE9, PCIFunction("ich9-usb-uhci2", multifunction=True), "usb"),
    (0xEA, PCIFunction("ich9-usb-uhci3", multifunction=True), "usb"),
    (0xEF, PCIFunction("ich9-usb-ehci1", multifunction=True), "usb"),
    (0xF8, PCIFunction("ICH9-LPC", multifunction=True), None),
    (0xFA, PCIFunction("ich9-ahci"), "sata"),
    (0xFB, PCIFunction("ICH9-SMB"), "smbus"),
)
#: softmmu/vl.c: without -nodefaults, a VGA card, then the board's NIC, each
#: in the first free slot (pc_vga_init, then pc_nic_init).
_DEFAULT_DEVICES = {"i440fx": ("VGA", "e1000"), "q35": ("VGA", "e1000e")}


#: Which optional functions a board has when -machine does not say.
_SWITCH_DEFAULTS = {"usb": False, "acpi": True, "sata": True, "smbus": True}


def board_pci_bus(family: str, enabled: Mapping[str, bool], defaults: bool) -> PCIBus | None:
    """The root bus of a pc (``pci.0``) or q35 (``pcie.0``) board; None for ``none``.

    ``enabled`` holds the -machine switches given for the optional built-in
    functions (usb, acpi, sata, smbus); ``defaults`` is false with
    -nodefaults.  Hotplug onto pci.0 goes
    through PIIX4 PM's ACPI PCI hotplug, so acpi=off takes it away; q35's
    root complex never takes hotplug (only root ports do).
    """
    switches = {**_SWITCH_DEFAULTS, **enabled}
    if family == "i440fx":
        bus = PCIBus("pci.0", hotpluggable=switches["acpi"])
        table = _I440FX_FUNCTIONS
    elif family == "q35":
        bus = PCIBus("pcie.0", hotpluggable=False)
        table = _Q35_FUNCTIONS
    else:
        return None
    for devfn, func, switch in table:
        if switch is None or switches[switch]:
            bus.register(devfn, func)
    if defaults:
        for name in _DEFAULT_DEVICES[family]:
            func = PCIFunction(name)
            bus.register(bus.check_register(func, None, hotplugged=False), func)
    return bus
