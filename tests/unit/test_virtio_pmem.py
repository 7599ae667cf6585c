"""virtio-pmem: region, alignment, realize and device info (hw/virtio/virtio-pmem*.c)."""

from __future__ import annotations

import pytest

from qmpnuma.errors import GenericError
from qmpnuma.machine.backends import BackendDefaults, MemoryBackend, user_creatable_add_type
from qmpnuma.machine.virtio_pmem import (
    VirtioPMEM,
    fill_device_info,
    virtio_pmem_realize,
)
from qmpnuma.profile import QEMU_7_2

MiB = 1 << 20


def backend(qom_type: str = "memory-backend-ram", size: int = 256 * MiB,
            **props: object) -> MemoryBackend:  # fmt: skip
    args: dict[str, object] = {"id": "p0", "size": size}
    args.update({k.replace("_", "-"): v for k, v in props.items()})
    obj = user_creatable_add_type(
        qom_type, args, lambda: (), BackendDefaults(), (0,), profile=QEMU_7_2
    )
    assert isinstance(obj, MemoryBackend)
    return obj


def test_realize_refuses_a_busy_backend() -> None:
    with pytest.raises(GenericError, match="^can't use already busy memdev: p0$"):
        virtio_pmem_realize(VirtioPMEM(memdev="p0"), backend(), busy=True)
    assert virtio_pmem_realize(VirtioPMEM(memdev="p0"), backend(), busy=False).region_size == (
        256 * MiB
    )


def test_device_info_in_schema_order() -> None:
    dev = virtio_pmem_realize(VirtioPMEM(memdev="p0", memaddr=1 << 32), backend(), busy=False)
    assert list(fill_device_info(dev, "vp0").items()) == [
        ("id", "vp0"), ("memaddr", 1 << 32), ("size", 256 * MiB), ("memdev", "/objects/p0"),
    ]  # fmt: skip
