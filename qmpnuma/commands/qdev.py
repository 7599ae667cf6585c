"""device_add and device_del (qapi/qdev.json).

QEMU counterparts (7.2): softmmu/qdev-monitor.c qmp_device_add (which puts
the arguments through the QemuOpts of -device first:
util/qemu-option.c qemu_opts_from_qdict; 10.0 hands them on as JSON) and
qmp_device_del / find_device_state.
"""

from __future__ import annotations

from qmpnuma.commands.context import CommandContext
from qmpnuma.commands.qom import qom_path_exists
from qmpnuma.cutils import id_wellformed
from qmpnuma.errors import DeviceNotFound, GenericError
from qmpnuma.hashorder import qdict_order
from qmpnuma.machine.backends import ID_HINT
from qmpnuma.machine.qdev import device_id_path

__all__ = ["qmp_device_add", "qmp_device_del", "qemu_opts_from_qdict"]


def _opt_text(value: object) -> str | None:
    """util/qemu-option.c qemu_opts_from_qdict_entry: a scalar as its text.

    Other values (lists, objects, null) are dropped without a word.
    """
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # qobject/qnum.c qnum_to_string
        return f"{value:.17g}"
    if isinstance(value, str):
        return value
    return None


def qemu_opts_from_qdict(args: dict[str, object]) -> dict[str, object]:
    """The QDict qdev_device_add receives from device_add (qemu_opts_to_qdict).

    The arguments become one QemuOpts of -device's list (walked in QDict
    order, ``id`` taken apart and checked), then a QDict again, ``id``
    first.

    Raises:
        GenericError: ``Parameter 'id' expects an identifier``.
    """
    ident = args.get("id")
    opts: dict[str, object] = {}
    if isinstance(ident, str):
        if not id_wellformed(ident):
            # util/qemu-option.c qemu_opts_create
            raise GenericError("Parameter 'id' expects an identifier", hint=ID_HINT)
        opts["id"] = ident
    for key in qdict_order(list(args)):
        text = _opt_text(args[key])
        if key != "id" and text is not None:
            opts[key] = text
    return opts


def qmp_device_add(ctx: CommandContext, args: dict[str, object]) -> None:
    machine = ctx.vm.machine
    if machine.profile.device_add_json:
        machine.device_add(dict(args), from_json=True, reporter=ctx.reporter)
    else:
        machine.device_add(qemu_opts_from_qdict(args), from_json=False, reporter=ctx.reporter)


def qmp_device_del(ctx: CommandContext, args: dict[str, object]) -> None:
    """Ask for the removal of a device named by id or QOM path.

    Raises:
        DeviceNotFound: ``Device 'x' not found``.
        GenericError: ``x is not a (hotpluggable) device``, or the device's refusal.
    """
    ident = str(args["id"])
    machine = ctx.vm.machine
    dev = machine.qdev.find_device_state(ident)
    if dev is None:
        if qom_path_exists(machine, device_id_path(ident)):
            raise GenericError(machine.profile.not_a_device_error.format(id=ident))
        raise DeviceNotFound(f"Device '{ident}' not found")
    machine.device_del(dev, ident)
