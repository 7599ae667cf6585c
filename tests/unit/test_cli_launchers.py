"""The launcher options of the command line: help texts, -vga, -serial/-parallel,
-audiodev, -no-acpi/-usb, the secret object, and the defaults of a machine
without -nodefaults."""

from __future__ import annotations

import io

import pytest

from qmpnuma.cli.driver import CliError, CliReporter, LaunchConfig, configure
from qmpnuma.cli.help import device_help, machine_help, usage_text
from qmpnuma.cli.options import is_option
from qmpnuma.profile import QEMU_7_2


def run(*argv: str) -> LaunchConfig:
    return configure(list(argv), QEMU_7_2, CliReporter("qmpnuma", io.StringIO()))


def fails(*argv: str) -> CliError:
    with pytest.raises(CliError) as info:
        run(*argv)
    return info.value


def test_help_and_version_exit_zero_on_stdout() -> None:
    for argv in (["-h"], ["--help"], ["-version"], ["-cpu", "help"], ["-machine", "help"],
                 ["-object", "help"], ["-device", "help"], ["-accel", "help"],
                 ["-vga", "help"], ["-audiodev", "help"], ["-object", "secret,help"]):
        err = fails(*argv)
        assert (err.status, err.lines) == (0, []) and err.stdout, argv


def test_usage_lists_only_accepted_options() -> None:
    text = usage_text("qmpnuma", QEMU_7_2, is_option)
    entries = [line.split()[0] for line in text.splitlines() if line.startswith("-")]
    assert "-numa" in entries and "-qmpnuma-guest" in entries
    assert "-drive" not in entries and "-netdev" not in entries
    assert not any(line.startswith("During emulation") for line in text.splitlines())


def test_listings_are_restricted() -> None:
    assert "microvm" not in machine_help(QEMU_7_2, ["pc", "pc-i440fx-7.2"])
    text = device_help(QEMU_7_2, {"pc-dimm", "nvdimm"})
    assert text == ('Storage devices:\nname "nvdimm", desc "DIMM memory module"\n\n'
                    'Uncategorized devices:\nname "pc-dimm", desc "DIMM memory module"\n')
    assert fails("-object", "iothread,help").stdout == ""  # refused as an unknown type


def test_vga() -> None:
    assert run("-nodefaults", "-vga", "none").machine is not None
    assert fails("-vga", "std").lines == [
        "qmpnuma: -vga std: graphics cards are not emulated by qmpnuma; use -vga none"
    ]
    assert fails("-vga", "foo").lines == ["qmpnuma: unknown vga type: foo"]


def test_ports_and_defaults() -> None:
    assert run("-nodefaults").char_backends == []
    assert run().char_backends == [("serial0", "vc"), ("parallel0", "vc")]
    assert run("-serial", "null", "-parallel", "none").char_backends == [("serial0", "null")]
    assert run("-nographic", "-serial", "vc").char_backends == [("serial0", "vc")]
    assert fails("-serial", "chardev:nope").lines == [
        "qmpnuma: -serial chardev:nope: could not connect serial device to character "
        "backend 'chardev:nope'"
    ]
    assert fails("-serial", "pty").lines == [
        "qmpnuma: -serial pty: qmpnuma emulates the null, vc and chardev:ID back ends of "
        "-serial only"
    ]


@pytest.mark.parametrize(("arg", "error"), [
    ("id=a", "Parameter 'driver' is missing"),
    ("driver=none", "Parameter 'id' is missing"),
    ("foo,id=a", "Parameter 'driver' does not accept value 'foo'"),
    ("none,id=a,bogus=1", "Parameter 'bogus' is unexpected"),
    ('{"id":"a"}', "Parameter 'driver' is missing"),
])  # fmt: skip
def test_audiodev_refusals(arg: str, error: str) -> None:
    # Texts of QEMU 7.2's Audiodev visitor (audio/audio.c audio_parse_option).
    assert fails("-audiodev", arg).lines == [f"qmpnuma: -audiodev {arg}: {error}"]


def test_libvirts_options_are_accepted() -> None:
    config = run(
        "-nodefaults", "-S", "-no-user-config", "-display", "none", "-no-acpi", "-usb",
        "-audiodev", '{"id":"audio1","driver":"none"}', "-audiodev", "pa,id=a2,server=x",
        "-object", '{"qom-type":"secret","id":"masterKey0","format":"raw","file":"/k.aes"}',
        "-machine", "pc-i440fx-7.2,dump-guest-core=off",
        "-device", '{"driver":"virtio-balloon-pci","id":"balloon0","bus":"pci.0","addr":"0x2"}',
    )  # fmt: skip
    assert config.machine.properties["acpi"] == "off"
    assert "masterKey0" in config.machine.objects
