"""The memory region a backend lends to a memory device: page size, alignment.

QEMU counterparts (7.2): qemu_ram_pagesize() and the alignment that
softmmu/physmem.c gives a RAM block when it maps it (qemu_anon_ram_alloc's
QEMU_VMALLOC_ALIGN for anonymous memory, file_ram_alloc's page size or the
``align`` property for fd-backed memory), which
memory_region_get_alignment() reports to memory_device_pre_plug.
"""

from __future__ import annotations

from qmpnuma.machine.backends import HOST_PAGE_SIZE, MemoryBackend
from qmpnuma.machine.memory import HOST_MAPPING_ALIGN

__all__ = ["host_page_size", "region_alignment"]


def host_page_size(backend: MemoryBackend) -> int:
    """qemu_ram_pagesize() of the backend's block.

    Huge pages (hugetlbfs paths, memfd hugetlb=on) are not modelled: every
    block has the host's base page size.
    """
    return HOST_PAGE_SIZE


def region_alignment(backend: MemoryBackend) -> int:
    """memory_region_get_alignment() of the backend's region."""
    if backend.qom_type == "memory-backend-ram":
        return HOST_MAPPING_ALIGN
    align = backend.extra.get("align", 0)
    assert isinstance(align, int)
    return max(host_page_size(backend), align)
