"""qom-list of virtio PCI proxies: class tables, then the instance hash table.

The expected lists are QEMU 7.2's replies (qom-list of a cold-plugged and
a hot-plugged virtio-mem-pci and virtio-pmem-pci on pc; q35 answers the
same), which the differential suite also compares.
"""

from __future__ import annotations

import pytest

from qmpnuma.machine import virtio_mem, virtio_pmem
from qmpnuma.machine.virtio_pci import (
    aliased_props,
    class_props,
    proxy_defaults,
    proxy_qom_get,
    proxy_qom_properties,
)
from qmpnuma.profile import QEMU_7_2, QEMU_10_0, Profile

CLASSES = [
    "type", "parent_bus", "realized", "hotplugged", "hotpluggable", "failover_pair_id",
    "romfile", "addr", "romsize", "x-pcie-lnksta-dllla", "rombar", "x-pcie-extcap-init",
    "acpi-index", "multifunction", "legacy-addr", "migrate-extra", "ats",
    "x-ignore-backend-features", "x-pcie-pm-init", "aer", "x-pcie-flr-init",
    "x-pcie-lnkctl-init", "x-ats-page-aligned", "page-per-vq", "x-pcie-deverr-init",
    "virtio-pci-bus-master-bug-migration", "modern-pio-notify", "x-disable-pcie",
    "disable-legacy", "disable-modern",
]  # fmt: skip
MEM = [
    "memaddr", "indirect_desc", "virtio-pci-isr-virtio-mem[0]",
    "virtio-pci-device-virtio-mem[0]", "iommu_platform", "memdev", "use-disabled-flag",
    "event_idx", "node", "virtio-pci-notify-pio-virtio-mem[0]", "requested-size",
    "bus master container[0]", "x-disable-legacy-check", "any_layout", "queue_reset",
    "notify_on_empty", "packed", "block-size", "prealloc", "use-started",
    "virtio-pci-notify-virtio-mem[0]", "virtio-pci-common-virtio-mem[0]",
    "unplugged-inaccessible", "virtio-pci[0]", "virtio-bus", "bus master[0]", "size",
    "virtio-backend",
]  # fmt: skip
PMEM_COLD = [
    "memaddr", "indirect_desc", "virtio-pci-device-virtio-pmem[0]",
    "virtio-pci-isr-virtio-pmem[0]", "iommu_platform", "memdev", "use-disabled-flag",
    "event_idx", "virtio-pci-notify-pio-virtio-pmem[0]", "virtio-pci-common-virtio-pmem[0]",
    "bus master container[0]", "x-disable-legacy-check", "any_layout", "virtio-pci[0]",
    "notify_on_empty", "queue_reset", "packed", "use-started", "bus master[0]",
    "virtio-pci-notify-virtio-pmem[0]", "virtio-bus", "virtio-backend",
]  # fmt: skip
PMEM_HOT = [
    "memaddr", "indirect_desc", "virtio-pci-device-virtio-pmem[0]",
    "virtio-pci-isr-virtio-pmem[0]", "iommu_platform", "memdev", "event_idx",
    "bus master[0]", "virtio-pci-notify-pio-virtio-pmem[0]",
    "virtio-pci-common-virtio-pmem[0]", "bus master container[0]", "x-disable-legacy-check",
    "any_layout", "virtio-pci[0]", "notify_on_empty", "queue_reset", "packed", "use-started",
    "virtio-pci-notify-virtio-pmem[0]", "use-disabled-flag", "virtio-bus", "virtio-backend",
]  # fmt: skip


def _vmem(hotplugged: bool, profile: Profile = QEMU_7_2) -> tuple[tuple[str, str], ...]:
    kind = virtio_mem.VirtioMEMPCIKind()
    msix = "virtio-mem-pci-msix" if profile.virtio_mem_pci_props else None
    return proxy_qom_properties(
        "virtio-mem", aliased_props(profile, kind.own_facts(profile)), kind.aliases, hotplugged,
        class_props(profile, kind.pci_own_facts(profile)), msix,
    )  # fmt: skip


def _vpmem(hotplugged: bool) -> tuple[tuple[str, str], ...]:
    aliased = aliased_props(QEMU_7_2, virtio_pmem.QOM_OWN_PROPS)
    return proxy_qom_properties("virtio-pmem", aliased, (), hotplugged, class_props(QEMU_7_2))


@pytest.mark.parametrize("hotplugged", [False, True])
def test_virtio_mem_pci_lists_like_qemu(hotplugged: bool) -> None:
    assert [name for name, _ in _vmem(hotplugged)] == CLASSES + MEM


@pytest.mark.parametrize(("hotplugged", "expected"), [(False, PMEM_COLD), (True, PMEM_HOT)])
def test_virtio_pmem_pci_order_depends_on_when_the_bus_master_region_came(
    hotplugged: bool, expected: list[str]
) -> None:
    assert [name for name, _ in _vpmem(hotplugged)] == CLASSES + expected


def test_10_0_aliases_the_class_tables_and_has_msix() -> None:
    """QEMU 10.0's reply for a cold-plugged virtio-mem-pci on pc."""
    names = [name for name, _ in _vmem(False, QEMU_10_0)]
    assert names[:12] == [
        "type", "parent_bus", "realized", "hotplugged", "hotpluggable", "failover_pair_id",
        "romfile", "x-pcie-ext-tag", "addr", "romsize", "x-pcie-lnksta-dllla", "rombar",
    ]  # fmt: skip
    assert names[names.index("x-disable-pcie"):names.index("disable-modern") + 2] == [
        "x-disable-pcie", "vectors", "ioeventfd", "disable-legacy", "disable-modern",
        "msix-pba[0]",
    ]  # fmt: skip
    assert names[-3:] == ["requested-size", "event_idx", "indirect_desc"]
    assert {"legacy-memdev", "dynamic-memslots", "x-early-migration", "in_order"} <= set(names)


def test_types() -> None:
    types = dict(_vmem(True))
    assert types["virtio-backend"] == "child<virtio-mem>"
    assert types["virtio-bus"] == "child<virtio-pci-bus>"
    assert types["bus master[0]"] == "child<memory-region>"
    assert (types["requested-size"], types["node"], types["addr"]) == ("size", "uint32", "int32")
    assert (dict(_vmem(True, QEMU_10_0))["addr"], dict(_vmem(True, QEMU_10_0))["rombar"]) == (
        "str", "int32",
    )  # fmt: skip


def test_qom_get_of_proxy_properties() -> None:
    listed = dict(_vpmem(False))
    path = "/machine/peripheral/vp"
    defaults = proxy_defaults(QEMU_7_2)

    def get(name: str) -> object:
        props = {"addr": 0xF9, "ats": True, "disable-legacy": "off"}
        return proxy_qom_get(name, path, listed, "/machine/q35/pcie.0", props, False, defaults)

    assert get("addr") == 249 and get("legacy-addr") == "1f.1"
    assert get("parent_bus") == "/machine/q35/pcie.0"
    assert get("virtio-backend") == "/machine/peripheral/vp/virtio-backend"
    assert get("bus master[0]") == "/machine/peripheral/vp/bus master[0]"
    assert (get("disable-legacy"), get("romsize"), get("hotplugged")) == ("on", 0xFFFFFFFF, False)
    assert get("ats") is True
    with pytest.raises(KeyError):
        get("memaddr")
