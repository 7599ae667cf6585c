"""-machine properties: which a board has, their typing and their limits.

QEMU counterparts: hw/core/machine.c machine_class_init (the generic
properties), hw/i386/pc.c and x86.c (the pc ones, with their setters'
limits), and the keyval visitor that types ``-machine name=value``.
"""

from __future__ import annotations

from qmpnuma.cutils import (
    StrtoxError,
    qapi_bool_parse,
    qemu_strtoi64,
    qemu_strtosz,
    qemu_strtou64,
)
from qmpnuma.errors import GenericError, invalid_parameter_value
from qmpnuma.machine.machine_types import MachineClass
from qmpnuma.profile import Profile

__all__ = ["DEFAULT_PROPERTIES", "set_machine_property", "MAX_RAM_BELOW_4G", "MAX_FW_SIZE"]

#: Machine properties every machine starts with (the modelled booleans).
DEFAULT_PROPERTIES: dict[str, object] = {
    "mem-merge": True, "dump-guest-core": True, "hmat": False, "nvdimm": False,
}  # fmt: skip
#: Machine properties we model, with their value kinds.
_MODELLED_BOOL = ("hmat", "nvdimm", "mem-merge", "dump-guest-core")
#: pc machine properties QEMU 7.2 has that change nothing we model; accepted
#: and remembered so that -machine lines written for QEMU keep working.
_PC_OTHER_BOOL = (
    "graphics", "usb", "suppress-vmdesc", "sata", "i8042", "hpet", "smbus",
    "default-bus-bypass-iommu", "cxl",
)  # fmt: skip
_PC_OTHER_STR = (
    "kernel", "initrd", "append", "dtb", "dumpdtb", "dt-compatible", "firmware",
    "phandle-start", "memory-encryption", "confidential-guest-support", "smm", "acpi",
    "pit", "pic", "vmport", "x-oem-id", "x-oem-table-id", "bus-lock-ratelimit",
    "max-fw-size", "max-ram-below-4g", "smbios-entry-point-type", "nvdimm-persistence",
    "pcspk-audiodev",
)  # fmt: skip
#: The values QEMU's keyval visitor accepts for the enum-typed ones of those.
_ON_OFF_AUTO = ("on", "off", "auto")
_OTHER_ENUMS: dict[str, tuple[str, ...]] = {
    "smm": _ON_OFF_AUTO, "acpi": _ON_OFF_AUTO, "pit": _ON_OFF_AUTO, "pic": _ON_OFF_AUTO,
    "vmport": _ON_OFF_AUTO,
}  # fmt: skip
_OTHER_SIZES = ("max-ram-below-4g", "max-fw-size")
_OTHER_UINT64 = ("bus-lock-ratelimit",)
_OTHER_INT64 = ("phandle-start",)
#: hw/i386/pc.c and x86.c property setters: their limits.
MAX_RAM_BELOW_4G = 4 << 30
MAX_FW_SIZE = 16 << 20
OEM_ID_SIZES = {"x-oem-id": 6, "x-oem-table-id": 8}
#: Properties every machine type has (hw/core/machine.c machine_class_init).
_GENERIC_BOOL = ("mem-merge", "dump-guest-core", "graphics", "suppress-vmdesc")
_GENERIC_STR = (
    "kernel", "initrd", "append", "dtb", "dumpdtb", "dt-compatible", "firmware",
    "phandle-start", "memory-encryption", "confidential-guest-support",
)  # fmt: skip


def _check_other_property(name: str, value: str, profile: Profile) -> None:
    """The keyval visitor's typing and the setters' limits of an unmodelled property.

    Raises:
        GenericError: QEMU's visitor and setter texts.
    """
    number = 0
    try:
        if name in _OTHER_SIZES:
            number = qemu_strtosz(value, hex_suffix=profile.hex_size_suffix)
        elif name in _OTHER_UINT64:
            number = qemu_strtou64(value)
        elif name in _OTHER_INT64:
            number = qemu_strtoi64(value)
    except StrtoxError as e:
        # qapi/qobject-input-visitor.c qobject_input_type_*_keyval
        expected = "size" if name in _OTHER_SIZES else "integer"
        raise invalid_parameter_value(name, expected) from e
    allowed = _OTHER_ENUMS.get(name)
    if name == "smbios-entry-point-type":
        allowed = profile.smbios_entry_point_types
    if allowed is not None and value not in allowed:
        raise GenericError(f"Parameter '{name}' does not accept value '{value}'")
    if name == "max-ram-below-4g" and number > MAX_RAM_BELOW_4G:
        raise GenericError(
            f"Machine option 'max-ram-below-4g={number}' expects size less than or equal to 4G"
        )
    if name == "max-fw-size" and number > MAX_FW_SIZE:
        raise GenericError(profile.max_fw_size_error.format(size=number))
    if name in OEM_ID_SIZES and len(value.encode()) > OEM_ID_SIZES[name]:
        raise GenericError(
            f"User specified {name} value is bigger than {OEM_ID_SIZES[name]} bytes in size"
        )


def set_machine_property(
    mc: MachineClass, profile: Profile, properties: dict[str, object], name: str, value: str
) -> None:
    """Type ``-machine name=value`` and store it in ``properties``.

    Raises:
        GenericError: unknown property, or a malformed or out-of-range value.
    """
    pc = mc.family != "none"
    if name in (*_MODELLED_BOOL, *_PC_OTHER_BOOL) and (pc or name in _GENERIC_BOOL):
        properties[name] = qapi_bool_parse(name, value)
    elif name in _PC_OTHER_STR and (pc or name in _GENERIC_STR):
        _check_other_property(name, value, profile)
        properties[name] = value
    else:
        # qom/object.c object_property_find_err
        raise GenericError(f"Property '{mc.qom_type}.{name}' not found")
