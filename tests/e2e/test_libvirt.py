"""libvirt 9.0 drives qmpnuma as its emulator, end to end.

Real virsh, real libvirtd (qemu:///system), qmpnuma as ``<emulator>``:
the capability probe (domcapabilities), a 2-cell NUMA domain (2 of 4
vCPUs, ``maxMemory slots=4``) started with the scripted guest, then
libvirt's operations: vcpuinfo / vcpupin on the vCPU threads, dommemstat,
qemu-monitor-command (QMP and HMP), setvcpus up and down, attach and
detach of a DIMM, attach and resize of a virtio-mem device, destroy,
start again and shutdown, undefine.  After each step libvirt's live XML is compared with what the
model says over QMP.

CI (.ci/run) installs libvirt and starts a private libvirtd with
scripts/libvirtd; run as root without one, the test starts its own.  The
test is skipped only when libvirt is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOMAIN_XML = Path(__file__).with_name("libvirt") / "numa-domain.xml"
EMULATOR = Path(sys.executable).with_name("qmpnuma")
URI = "qemu:///system"
MiB = 1 << 20
#: Seconds a virsh command may take (a probe of the emulator included).
VIRSH_TIMEOUT = 120
#: Seconds for libvirt to see the scripted guest power off.
SHUTDOWN_TIMEOUT = 30

pytestmark = pytest.mark.skipif(
    shutil.which("virsh") is None or not Path("/usr/sbin/libvirtd").exists(),
    reason="libvirt is not installed",
)


def virsh(*args: str, check: bool = True) -> str:
    proc = subprocess.run(
        ["virsh", "-c", URI, *args], capture_output=True, text=True, timeout=VIRSH_TIMEOUT
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"virsh {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def _daemon_reachable() -> bool:
    return subprocess.run(["virsh", "-c", URI, "version"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def libvirtd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    if _daemon_reachable():
        yield
        return
    if os.geteuid() != 0:
        pytest.fail("libvirt is installed but no libvirtd runs, and only root can start one")
    state = tmp_path_factory.mktemp("libvirtd")
    subprocess.run([REPO / "scripts" / "libvirtd", "start", state], check=True)
    try:
        yield
    finally:
        subprocess.run([REPO / "scripts" / "libvirtd", "stop", state], check=True)


@pytest.fixture
def domain(libvirtd: None, tmp_path: Path) -> Iterator[str]:
    name = f"qmpnuma-e2e-{os.getpid()}"
    text = DOMAIN_XML.read_text().replace("@EMULATOR@", str(EMULATOR))
    text = text.replace("<name>qmpnuma-numa</name>", f"<name>{name}</name>")
    path = tmp_path / "domain.xml"
    path.write_text(text)
    virsh("define", str(path))
    try:
        yield name
    finally:
        virsh("destroy", name, check=False)
        virsh("undefine", name, check=False)


def qmp(name: str, command: str, arguments: dict[str, object] | None = None) -> object:
    msg: dict[str, object] = {"execute": command}
    if arguments is not None:
        msg["arguments"] = arguments
    reply = json.loads(virsh("qemu-monitor-command", name, json.dumps(msg)))
    assert "return" in reply, reply
    return reply["return"]


def live_xml(name: str) -> ET.Element:
    return ET.fromstring(virsh("dumpxml", name))


def kib(element: ET.Element | None) -> int:
    assert element is not None and element.text is not None
    assert element.get("unit") == "KiB"
    return int(element.text) * 1024


def memory_devices(name: str) -> dict[str, dict[str, object]]:
    """query-memory-devices by id."""
    devices = qmp(name, "query-memory-devices")
    assert isinstance(devices, list)
    return {d["data"]["id"]: d for d in devices}


def assert_memory_agrees(name: str) -> None:
    """libvirt's live <memory> devices are the model's memory devices."""
    model = memory_devices(name)
    xml = {
        alias.get("name"): m
        for m in live_xml(name).iter("memory")
        if m.get("model") is not None and (alias := m.find("alias")) is not None
    }
    assert set(xml) == set(model)
    for ident, element in xml.items():
        data = model[ident]["data"]
        target = element.find("target")
        assert target is not None
        assert int(target.findtext("node", "-1")) == data["node"]
        if element.get("model") == "dimm":
            assert kib(target.find("size")) == data["size"]
            address = element.find("address")
            assert address is not None
            assert int(address.get("slot", "-1")) == data["slot"]
            assert int(address.get("base", "0"), 16) == data["addr"]
        else:
            assert kib(target.find("requested")) == data["requested-size"]
            assert kib(target.find("current")) == data["size"]


def assert_vcpus_agree(name: str, count: int) -> None:
    cpus = qmp(name, "query-cpus-fast")
    assert isinstance(cpus, list) and len(cpus) == count
    assert live_xml(name).find("vcpu").get("current") == str(count)  # type: ignore[union-attr]
    # One real thread of the emulator per vCPU, as QEMU has.
    pid = int(Path(f"/run/libvirt/qemu/{name}.pid").read_text())
    tids = {cpu["thread-id"] for cpu in cpus}
    assert len(tids) == count
    assert all(Path(f"/proc/{pid}/task/{tid}").exists() for tid in tids)


def numa_sizes(name: str) -> list[int]:
    text = virsh("qemu-monitor-command", name, "--hmp", "info numa")
    return [int(mb) for mb in re.findall(r"node \d+ size: (\d+) MB", text)]


def test_domcapabilities() -> None:
    caps = ET.fromstring(
        virsh("domcapabilities", "--virttype", "qemu", "--emulatorbin", str(EMULATOR),
              "--machine", "pc")
    )  # fmt: skip
    assert caps.findtext("domain") == "qemu"
    assert caps.findtext("machine") == "pc-i440fx-7.2"
    assert caps.find("vcpu").get("max") == "255"  # type: ignore[union-attr]
    models = [m.text for m in caps.iter("model")]
    assert "qemu64" in models


def test_numa_domain_lifecycle(domain: str, tmp_path: Path) -> None:
    virsh("start", domain)
    assert_vcpus_agree(domain, 2)
    hotpluggable = qmp(domain, "query-hotpluggable-cpus")
    assert isinstance(hotpluggable, list)
    assert sorted(c["props"]["node-id"] for c in hotpluggable) == [0, 0, 1, 1]
    assert numa_sizes(domain) == [512, 512]

    assert virsh("vcpuinfo", domain).count("VCPU:") == 2
    virsh("vcpupin", domain, "1", "0")
    assert "CPU Affinity:   y" in virsh("vcpuinfo", domain)

    stats = dict(line.split() for line in virsh("dommemstat", domain).splitlines() if line)
    assert int(stats["actual"]) * 1024 == 1024 * MiB

    virsh("setvcpus", domain, "3", "--live")
    assert_vcpus_agree(domain, 3)

    dimm = tmp_path / "dimm.xml"
    dimm.write_text(
        "<memory model='dimm'><target><size unit='MiB'>256</size><node>1</node>"
        "</target></memory>"
    )
    virsh("attach-device", domain, str(dimm), "--live")
    assert_memory_agrees(domain)
    assert numa_sizes(domain) == [512, 768]

    vmem = tmp_path / "virtio-mem.xml"
    vmem.write_text(
        "<memory model='virtio-mem'><target><size unit='MiB'>512</size><node>0</node>"
        "<block unit='MiB'>2</block><requested unit='MiB'>256</requested></target></memory>"
    )
    virsh("attach-device", domain, str(vmem), "--live")
    virsh("update-memory-device", domain, "--alias", "virtiomem0", "--requested-size",
          "128MiB", "--live")  # fmt: skip
    assert memory_devices(domain)["virtiomem0"]["data"]["size"] == 128 * MiB
    assert_memory_agrees(domain)
    assert numa_sizes(domain) == [640, 768]

    virsh("detach-device", domain, str(dimm), "--live")
    assert "dimm0" not in memory_devices(domain)
    assert_memory_agrees(domain)
    virsh("setvcpus", domain, "2", "--live")
    assert_vcpus_agree(domain, 2)

    virsh("destroy", domain)
    assert "shut off" in virsh("domstate", domain)
    log = Path(f"/var/log/libvirt/qemu/{domain}.log").read_text()
    assert "terminating on signal 15 from pid" in log

    # virsh shutdown: the power button, which the scripted guest answers.
    virsh("start", domain)
    virsh("shutdown", domain)
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT
    while "shut off" not in virsh("domstate", domain):
        assert time.monotonic() < deadline, "the guest did not power off"
        time.sleep(0.1)
