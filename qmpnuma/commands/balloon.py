"""balloon and query-balloon (QEMU's softmmu/balloon.c).

The balloon is a virtio-balloon-pci device; without one both commands
answer DeviceNotActive.  No guest driver ever inflates it, so the guest
keeps all of its memory: ``actual`` is hw/virtio/virtio-balloon.c's
get_current_ram_size() (RAM plus pc-dimm devices), and a new target is
accepted and never reached.
"""

from __future__ import annotations

from typing import Any

from qmpnuma.commands.context import CommandContext
from qmpnuma.errors import DeviceNotActive, GenericError
from qmpnuma.machine.pci_devices import find_balloon, get_current_ram_size

__all__ = ["qmp_balloon", "qmp_query_balloon"]

Args = dict[str, Any]


def _have_balloon(ctx: CommandContext) -> None:
    if find_balloon(ctx.vm.machine) is None:
        # softmmu/balloon.c have_balloon
        raise DeviceNotActive("No balloon device has been activated")


def qmp_balloon(ctx: CommandContext, args: Args) -> None:
    _have_balloon(ctx)
    if args["value"] <= 0:
        raise GenericError(ctx.vm.machine.profile.balloon_size_error)


def qmp_query_balloon(ctx: CommandContext, args: Args) -> dict[str, Any]:
    _have_balloon(ctx)
    return {"actual": get_current_ram_size(ctx.vm.machine)}
