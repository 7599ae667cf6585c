"""Memory backend objects (backends/hostmem*.c, user_creatable_add_type)."""

from __future__ import annotations

import pytest

from qmpnuma.errors import GenericError
from qmpnuma.machine.backends import (
    BackendDefaults,
    MemoryBackend,
    UserObject,
    user_creatable_add_type,
)
from qmpnuma.profile import QEMU_7_2, QEMU_10_0, Profile

GiB = 1 << 30


def add(
    qom_type: str = "memory-backend-ram",
    existing: tuple[str, ...] = (),
    /,
    profile: Profile = QEMU_7_2,
    **props: object,
) -> object:
    props.setdefault("id", "m0")
    args = {k.replace("_", "-"): v for k, v in props.items()}
    return user_creatable_add_type(
        qom_type, args, lambda: existing, BackendDefaults(), (0,), profile=profile
    )


def test_ram_backend_defaults() -> None:
    backend = add(size=GiB)
    assert backend == MemoryBackend(
        id="m0", qom_type="memory-backend-ram", size=GiB, merge=True, dump=True,
        prealloc=False, share=False, reserve=True, host_nodes=(), policy="default",
        prealloc_threads=1, extra={},
    )  # fmt: skip


def test_memfd_shares_by_default_and_host_nodes_are_a_set() -> None:
    backend = add("memory-backend-memfd", size=GiB, host_nodes=[0, 0], policy="bind")
    assert isinstance(backend, MemoryBackend)
    assert backend.share is True and backend.host_nodes == (0,)
    assert backend.property_value("seal") is True


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"size": 0}, "property 'size' of memory-backend-ram doesn't take value '0'"),
        ({"size": GiB, "host_nodes": [200], "policy": "bind"}, "Invalid host-nodes value: 200"),
        (
            {"size": GiB, "host_nodes": [0]},
            "host-nodes must be empty for policy default, or you should explicitly specify "
            "a policy other than default",
        ),
        ({"size": GiB, "policy": "bind"}, "host-nodes must be set for policy bind"),
        ({"size": GiB, "policy": "interleave"}, "host-nodes must be set for policy interleave"),
        (
            {"size": GiB, "prealloc": True, "reserve": False},
            "'prealloc=on' and 'reserve=off' are incompatible",
        ),
        (
            {"size": GiB, "host_nodes": [1], "policy": "bind"},
            "cannot bind memory to host NUMA nodes: Invalid argument",
        ),
        ({"id": "0bad", "size": GiB}, "Parameter 'id' expects an identifier"),
    ],
)
def test_property_and_complete_errors(props: dict[str, object], message: str) -> None:
    with pytest.raises(GenericError) as info:
        add(**props)
    assert info.value.desc == message


def test_duplicate_id_after_setters() -> None:
    with pytest.raises(GenericError) as info:
        add("memory-backend-ram", ("m0",), size=GiB)
    assert info.value.desc == "attempt to add duplicate property 'm0' to object (type 'container')"
    # A bad value is reported before the duplicate id, as the setters run first.
    with pytest.raises(GenericError, match="doesn't take value '0'"):
        add("memory-backend-ram", ("m0",), size=0)


def test_other_objects_keep_only_identity() -> None:
    assert add("iothread", id="io0") == UserObject("io0", "iothread")


@pytest.mark.parametrize(
    ("qom_type", "props", "message"),
    [
        ("memory-backend-file", {"size": GiB, "mem_path": "/tmp", "align": 3},
         "alignment 0x3 must be multiples of page size 0x1000"),
        ("memory-backend-file", {"size": GiB, "mem_path": "/tmp", "align": 3 * 4096},
         "alignment 0x3000 must be a power of two"),
        # Before the host-nodes/policy checks of host_memory_backend_memory_complete.
        ("memory-backend-memfd", {"size": 4097, "policy": "bind"},
         "backing store size 0x1001 does not match 'size' option 0x2000"),
    ],
)  # fmt: skip
def test_allocation_checks(qom_type: str, props: dict[str, object], message: str) -> None:
    with pytest.raises(GenericError) as info:
        add(qom_type, **props)
    assert info.value.desc == message


def test_allocation_checks_pass() -> None:
    assert add("memory-backend-file", size=1, mem_path="/tmp", align=2 << 20)
    # hugetlb pages are the host's business: not checked.
    assert add("memory-backend-memfd", size=4097, hugetlb=True)


def test_a_ram_size_that_wraps_is_refused_where_qemu_aborts() -> None:
    # QEMU 7.2 asserts in softmmu/physmem.c find_ram_offset (size != 0)
    # and dies; a QMP command must not, so this is a clear error.
    for size in (2**64 - 1, 2**64 - 4095):
        with pytest.raises(GenericError, match="overflows when rounded up to the page size"):
            user_creatable_add_type("memory-backend-ram", {"id": "r", "size": size},
                                    lambda: (), BackendDefaults(), (0,), profile=QEMU_7_2)


FILE = {"size": 1 << 20, "mem_path": "/tmp"}


def test_file_offset_and_rom_in_10_0() -> None:
    backend = add("memory-backend-file", profile=QEMU_10_0, offset=4096, **FILE)
    assert isinstance(backend, MemoryBackend)
    # file_backend_memory_alloc resolves rom=auto from readonly.
    assert (backend.property_value("offset"), backend.property_value("rom")) == (4096, "off")
    readonly = add("memory-backend-file", profile=QEMU_10_0, readonly=True, **FILE)
    assert isinstance(readonly, MemoryBackend) and readonly.property_value("rom") == "on"


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"offset": 1}, "offset 0x1 must be multiples of page size 0x1000"),
        ({"rom": "on"}, "property 'rom' = 'on' is not supported with 'readonly' = 'off'"),
        # The rom check comes before the allocation's align and offset checks.
        ({"rom": "on", "align": 3, "offset": 1},
         "property 'rom' = 'on' is not supported with 'readonly' = 'off'"),
        ({"align": 3, "offset": 1}, "alignment 0x3 must be multiples of page size 0x1000"),
        ({"size": 4097}, "backend 'memory-backend-file' memory size must be multiple of 4 KiB"),
        ({"size": 2**64 - 1, "offset": 1}, "offset 0x1 must be multiples of page size 0x1000"),
    ],
)  # fmt: skip
def test_file_errors_in_10_0(props: dict[str, object], message: str) -> None:
    with pytest.raises(GenericError) as info:
        add("memory-backend-file", profile=QEMU_10_0, **{**FILE, **props})
    assert info.value.desc == message


def test_memfd_backing_store_text() -> None:
    with pytest.raises(GenericError) as info:
        add("memory-backend-memfd", profile=QEMU_10_0, id="d", size=4097)
    assert info.value.desc == (
        "d backing store size 0x1001 is too small for 'size' option 0x2000 "
        "plus 'offset' option 0x0"
    )
    # 7.2 rounds a file backend up and names neither the backend nor offset.
    assert isinstance(add("memory-backend-file", size=4097, mem_path="/tmp"), MemoryBackend)
    with pytest.raises(GenericError, match="^backing store size 0x1001 does not match"):
        add("memory-backend-memfd", id="d", size=4097)
