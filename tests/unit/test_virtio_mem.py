"""virtio-mem: property setters, realize, resize request and guest completion.

Facts not covered by a differential scenario cite hw/virtio/virtio-mem.c.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from qmpnuma.errors import GenericError
from qmpnuma.machine.backends import BackendDefaults, MemoryBackend, user_creatable_add_type
from qmpnuma.machine.virtio_mem import (
    VirtioMEM,
    check_block_size,
    default_block_size,
    fill_device_info,
    guest_resize,
    qom_get,
    set_requested_size,
    size_change_event,
    virtio_mem_get_min_alignment,
    virtio_mem_realize,
)
from qmpnuma.profile import QEMU_7_2

MiB = 1 << 20
GiB = 1 << 30


def backend(
    qom_type: str = "memory-backend-ram", size: int = GiB, **props: object
) -> MemoryBackend:
    args: dict[str, object] = {"id": "m0", "size": size, **props}
    obj = user_creatable_add_type(
        qom_type, args, lambda: (), BackendDefaults(), (0,), profile=QEMU_7_2
    )
    assert isinstance(obj, MemoryBackend)
    return obj


def realize(dev: VirtioMEM, mem: MemoryBackend | None = None, *, busy: bool = False,
            nodes: int = 0) -> tuple[VirtioMEM, list[str]]:  # fmt: skip
    warnings: list[str] = []
    done = virtio_mem_realize(dev, mem or backend(), busy, nodes, warnings)
    return done, warnings


def test_block_size_setter_checks() -> None:
    check_block_size(4 * MiB)
    with pytest.raises(GenericError, match=r"^'block-size' property has to be at least 0x100000$"):
        check_block_size(MiB - 1)
    with pytest.raises(GenericError, match="^'block-size' property has to be a power of two$"):
        check_block_size(3 * MiB)


def test_alignment_is_the_block_size_or_the_region_alignment() -> None:
    assert default_block_size(backend()) == 2 * MiB
    assert virtio_mem_get_min_alignment(VirtioMEM(), backend()) == 2 * MiB
    memfd = backend("memory-backend-memfd", 4 * MiB)
    assert virtio_mem_get_min_alignment(VirtioMEM(block_size=MiB), memfd) == MiB
    # Anonymous RAM is mapped 2 MiB aligned (QEMU_VMALLOC_ALIGN).
    assert virtio_mem_get_min_alignment(VirtioMEM(block_size=MiB), backend()) == 2 * MiB


def test_realize_defaults_and_usable_region() -> None:
    dev, warnings = realize(VirtioMEM(memdev="m0", requested_size=64 * MiB))
    assert warnings == []
    assert (dev.block_size, dev.region_size, dev.unplugged_inaccessible) == (2 * MiB, GiB, "off")
    assert dev.usable_region_size == 64 * MiB + 256 * MiB
    # Nothing requested, nothing usable; never beyond the backend.
    assert realize(VirtioMEM(memdev="m0"))[0].usable_region_size == 0
    assert realize(VirtioMEM(memdev="m0", requested_size=GiB))[0].usable_region_size == GiB


def test_realize_accepts_a_request_beyond_the_backend() -> None:
    # virtio_mem_device_realize checks alignment only; the setter checks the
    # size once realized.
    dev, _ = realize(VirtioMEM(memdev="m0", requested_size=2 * GiB))
    assert dev.requested_size == 2 * GiB and dev.usable_region_size == GiB


def test_realize_checks_in_order() -> None:
    bad = VirtioMEM(memdev="m0", node=3, requested_size=MiB)
    with pytest.raises(GenericError, match="^'memdev' property specifies a busy memdev: m0$"):
        realize(bad, busy=True)
    with pytest.raises(GenericError) as e:
        realize(bad)
    assert e.value.desc == (
        "'node' property has value '3', which exceedsthe number of numa nodes: 1"
    )
    with pytest.raises(GenericError, match="numa nodes: 2$"):
        realize(replace(bad, node=2), nodes=2)
    with pytest.raises(GenericError) as e:
        realize(replace(bad, node=1), nodes=2)
    assert e.value.desc == (
        "'requested-size' property has to be multiples of 'block-size' (0x200000)"
    )


def test_mlock_leaves_no_block_unplugged() -> None:
    with pytest.raises(GenericError, match="^Incompatible with mlock$"):
        virtio_mem_realize(VirtioMEM(memdev="m0"), backend(), False, 0, [], mlock=True)


def test_shared_memory_makes_unplugged_memory_inaccessible() -> None:
    memfd = backend("memory-backend-memfd", 4 * MiB)
    dev, warnings = realize(VirtioMEM(memdev="m0", block_size=MiB), memfd)
    assert dev.unplugged_inaccessible == "on"
    assert warnings == ["'block-size' property is smaller than the default block size (2 MiB)"]
    dev, warnings = realize(VirtioMEM(memdev="m0", unplugged_inaccessible="off"), memfd)
    assert dev.unplugged_inaccessible == "off"
    assert warnings == [
        "'unplugged-inaccessible' property set to 'off' with a memdev that does not support "
        "the shared zeropage."
    ]
    shared_ram = backend(share=True)
    assert realize(VirtioMEM(memdev="m0"), shared_ram)[0].unplugged_inaccessible == "on"


def test_requested_size_request_is_checked_once_realized() -> None:
    dev, _ = realize(VirtioMEM(memdev="m0"))
    with pytest.raises(GenericError) as e:
        set_requested_size(dev, 3 * MiB)
    assert e.value.desc == "'requested-size' has to be multiples of 'block-size' (0x200000)"
    with pytest.raises(GenericError) as e:
        set_requested_size(dev, 2 * GiB)
    assert e.value.desc == "'requested-size' cannot exceed the memory backend size(0x40000000)"
    grown = set_requested_size(dev, 128 * MiB)
    assert (grown.requested_size, grown.usable_region_size, grown.size) == (128 * MiB, 384 * MiB, 0)


def test_the_usable_region_never_shrinks_on_request() -> None:
    # virtio_mem_set_requested_size resizes with can_shrink=false.
    dev, _ = realize(VirtioMEM(memdev="m0", requested_size=512 * MiB))
    shrunk = set_requested_size(dev, 0)
    assert shrunk.requested_size == 0 and shrunk.usable_region_size == dev.usable_region_size


def test_guest_resize_moves_one_block_per_step() -> None:
    # hw/virtio/virtio-mem.c virtio_mem_state_change_request / virtio_mem_set_block_state.
    dev, _ = realize(VirtioMEM(memdev="m0", requested_size=6 * MiB))
    steps = guest_resize(dev)
    assert [s.size for s in steps] == [2 * MiB, 4 * MiB, 6 * MiB]
    assert guest_resize(steps[-1]) == []
    down = set_requested_size(steps[-1], 2 * MiB)
    assert [s.size for s in guest_resize(down)] == [4 * MiB, 2 * MiB]


def test_guest_resize_stops_at_the_usable_region() -> None:
    small = backend(size=4 * MiB)
    dev, _ = realize(VirtioMEM(memdev="m0", requested_size=8 * MiB), small)
    assert [s.size for s in guest_resize(dev)] == [2 * MiB, 4 * MiB]


def test_device_info_in_schema_order() -> None:
    dev, _ = realize(VirtioMEM(memdev="m0", memaddr=4 * GiB, node=1, requested_size=4 * MiB),
                     nodes=2)  # fmt: skip
    assert list(fill_device_info(dev, "vm0").items()) == [
        ("id", "vm0"), ("memaddr", 4 * GiB), ("requested-size", 4 * MiB), ("size", 0),
        ("max-size", GiB), ("block-size", 2 * MiB), ("node", 1), ("memdev", "/objects/m0"),
    ]  # fmt: skip
    assert "id" not in fill_device_info(dev, None)


def test_size_change_event_data_in_schema_order() -> None:
    path = "/machine/peripheral/vm0"
    assert list(size_change_event("vm0", path, 2 * MiB).items()) == [
        ("id", "vm0"), ("size", 2 * MiB), ("qom-path", path),
    ]  # fmt: skip
    assert size_change_event(None, "/machine/peripheral-anon/device[0]", 0) == {
        "size": 0, "qom-path": "/machine/peripheral-anon/device[0]",
    }  # fmt: skip


def test_qom_get_of_a_realized_device() -> None:
    dev, _ = realize(VirtioMEM(memdev="m0", requested_size=64 * MiB))
    assert qom_get(dev, "requested-size") == 64 * MiB
    assert qom_get(dev, "memdev") == "/objects/m0"
    assert qom_get(dev, "unplugged-inaccessible") == "off"
    with pytest.raises(KeyError):
        qom_get(dev, "addr")
