"""The vl.c-like driver: order of processing and QEMU 7.2's stderr lines.

Every expected line below was observed on qemu-system-x86_64 7.2 with the
same options (program name aside).
"""

from __future__ import annotations

import datetime
import io

import pytest

from qmpnuma.cli.driver import (
    DEFAULT_ARGV,
    CliError,
    CliReporter,
    LaunchConfig,
    configure,
)
from qmpnuma.cli.monitors import ChardevSpec, MonitorMode, MonitorSpec
from qmpnuma.errors import GenericError, Reporter
from qmpnuma.machine.phase import Phase
from qmpnuma.profile import DEFAULT_PROFILE, QEMU_10_0, Profile

PROG = "qemu-system-x86_64"
M0 = ["-object", "memory-backend-ram,id=m0,size=1G"]


def run(*argv: str, profile: Profile = DEFAULT_PROFILE) -> tuple[LaunchConfig, list[str]]:
    out = io.StringIO()
    config = configure(list(argv), profile, CliReporter(PROG, out))
    return config, out.getvalue().splitlines()


def fail(*argv: str) -> tuple[list[str], list[str]]:
    """The fatal lines, and the warnings printed before them."""
    out = io.StringIO()
    with pytest.raises(CliError) as info:
        configure(list(argv), DEFAULT_PROFILE, CliReporter(PROG, out))
    assert info.value.status == 1
    return info.value.lines, out.getvalue().splitlines()


def test_reporter_is_a_reporter() -> None:
    reporter: Reporter = CliReporter(PROG, io.StringIO())
    assert reporter is not None


def test_reporter_formats() -> None:
    out = io.StringIO()
    reporter = CliReporter("prog", out)
    reporter.warn("w")
    with reporter.at("-numa node"):
        reporter.warn("two\nlines")
        reporter.error("e")
        lines = reporter.error_lines(GenericError("bad", hint="first\nsecond\n"))
    assert out.getvalue() == "prog: warning: w\nprog: -numa node: warning: two\nlines\n" + (
        "prog: -numa node: e\n"
    )
    assert lines == ["prog: -numa node: bad", "first", "second"]


def test_default_machine() -> None:
    config, warnings = run(*DEFAULT_ARGV)
    assert warnings == []
    machine = config.machine
    assert machine.phase is Phase.MACHINE_READY
    assert (machine.ram_size, machine.maxram_size, machine.ram_slots) == (4 << 30, 16 << 30, 4)
    assert machine.numa is not None
    assert [slot.props["node-id"] for slot in machine.possible_cpus] == [0, 0, 1, 1]
    assert not config.start_paused
    chardev = ChardevSpec(
        "compat_monitor0", "-qmp unix:qmpnuma.sock,server=on,wait=off", True, False,
        "qmpnuma.sock",
    )
    assert config.monitors == [MonitorSpec(chardev, MonitorMode.CONTROL, False)]
    assert chardev.describe() == "unix:qmpnuma.sock,server=on"


def test_option_errors_carry_the_option_as_typed() -> None:
    m1 = ["-object", "memory-backend-ram,id=m1,size=512M"]
    m2 = ["-object", "memory-backend-ram,id=m2,size=512M"]
    # fmt: off
    lines, _ = fail(
        "-m", "1G", *m1, *m2, "--numa", "node,memdev=m1,nodeid=0", "--numa",
        "node,memdev=m2,nodeid=0",
    )
    # fmt: on
    assert lines == [f"{PROG}: --numa node,memdev=m2,nodeid=0: Duplicate NUMA nodeid: 0"]


def test_hint_on_its_own_line() -> None:
    lines, _ = fail("-m", "1G", "-numa", "node,mem=1G")
    assert lines == [
        f"{PROG}: -numa node,mem=1G: "
        "Parameter -numa node,mem is not supported by this machine type",
        "Use -numa node,memdev instead",
    ]


def test_suffixless_numa_mem_is_mib_with_located_warnings() -> None:
    config, warnings = run(
        "-M", "pc-i440fx-5.0", "-m", "1G", "-numa", "node,mem=512", "-numa", "node,mem=512"
    )
    deprecated = "warning: Parameter -numa node,mem is deprecated, use -numa node,memdev instead"
    assert warnings == [f"{PROG}: -numa node,mem=512: {deprecated}"] * 2
    assert config.machine.phase is Phase.MACHINE_READY


def test_hex_numa_mem_warns_in_the_visitor_and_in_the_mib_fixup() -> None:
    _, warnings = run("-M", "pc-i440fx-5.0", "-m", "1G", "-numa", "node,mem=0x400M")
    hex_warning = "warning: Using a multiplier suffix on hex numbers is deprecated: 0x400M"
    deprecated = "warning: Parameter -numa node,mem is deprecated, use -numa node,memdev instead"
    at = f"{PROG}: -numa node,mem=0x400M: "
    assert warnings == [at + hex_warning, at + hex_warning, at + deprecated]


def test_creation_errors_and_cpu_warnings_have_no_location() -> None:
    lines, _ = fail("-m", "1G", "-numa", "node")
    assert lines == [
        f"{PROG}: total memory for NUMA nodes (0x0) should equal RAM size (0x40000000)"
    ]
    # fmt: off
    _, warnings = run(
        "-m", "1G", "-smp", "2,sockets=2", *M0, "-numa", "node,memdev=m0",
        "-numa", "cpu,node-id=0,socket-id=0",
    )
    # fmt: on
    assert warnings[0] == (
        f"{PROG}: warning: CPU(s) not present in any NUMA nodes: "
        "CPU 1 [socket-id: 1, core-id: 0, thread-id: 0]"
    )


def test_first_pass_and_missing_argument() -> None:
    assert fail("-numa", "bogus", "-bogus")[0] == [f"{PROG}: -bogus: invalid option"]
    assert fail("-m")[0] == [f"{PROG}: -m: requires an argument"]
    assert fail("disk.img")[0] == [
        f"{PROG}: disk.img: Could not open 'disk.img': No such file or directory"
    ]


def test_order_of_stages() -> None:
    # Machine properties before monitors; monitors before -numa.
    assert fail("-mon", "chardev=nope", "-m", "1G,slots=2")[0] == [
        f"{PROG}: slots specified but no max-size"
    ]
    assert fail("-mon", "chardev=nope", "-numa", "bogus")[0] == [
        f'{PROG}: -mon chardev=nope: chardev "nope" not found'
    ]
    # Machine properties in QDict order, not command-line order.
    assert fail("-machine", "pc,foo=1,hmat=x")[0] == [
        f"{PROG}: Parameter 'hmat' expects 'on' or 'off'"
    ]
    assert fail("-smp", "4,maxcpus=2", "-m", "1G,slots=2")[0][0].startswith(
        f"{PROG}: Invalid CPU topology: maxcpus must be"
    )


def test_machine_selection() -> None:
    assert fail("-machine", "bogus")[0] == [
        f"{PROG}: unsupported machine type",
        "Use -machine help to list supported machines",
    ]
    assert fail("-machine", "type=q35,foo=1")[0] == [
        f"{PROG}: Property 'pc-q35-7.2-machine.foo' not found"
    ]
    assert fail("-machine", "none", "-numa", "node")[0] == [
        f"{PROG}: -numa node: NUMA is not supported by this machine-type"
    ]


def test_memory_options_merge_and_win_over_machine_memory() -> None:
    assert run("-m", "1G", "-m", "2G")[0].machine.ram_size == 2 << 30
    assert run("-m", "512")[0].machine.ram_size == 512 << 20
    assert run("-m", "1G", "-machine", "memory.size=2G")[0].machine.ram_size == 1 << 30
    assert fail("-machine", "memory=1G")[0] == [f"{PROG}: Parameter 'memory' used inconsistently"]
    assert fail("-machine", "memory.size=x")[0] == [f"{PROG}: Parameter 'memory.size' expects size"]
    _, warnings = fail("-m", "0x10M", "-numa", "node")
    hex_warning = "warning: Using a multiplier suffix on hex numbers is deprecated: 0x10M"
    assert warnings == [f"{PROG}: -m 0x10M: {hex_warning}", f"{PROG}: {hex_warning}"]


def test_smp_options() -> None:
    config, _ = run("-smp", "4", "-smp", "sockets=2")
    assert (config.machine.smp.sockets, config.machine.smp.cores) == (2, 2)
    assert fail("-smp", "x")[0] == [f"{PROG}: Parameter 'smp.cpus' expects integer"]
    assert fail("-smp", "4,foo=1")[0] == [f"{PROG}: Parameter 'smp.foo' is unexpected"]
    assert fail("-smp", ",")[0] == [f"{PROG}: -smp ,: Invalid parameter ''"]
    assert fail("-machine", "smp=4")[0] == [
        f"{PROG}: Invalid parameter type for 'smp', expected: object"
    ]


def test_help_options() -> None:
    with pytest.raises(CliError) as info:
        run("-smp", "help")
    assert info.value.status == 0 and info.value.stdout.startswith("smp-opts options:\n")
    with pytest.raises(CliError) as info:
        run("-m", "1G,help")
    assert info.value.status == 1 and info.value.stdout.startswith("memory options:\n")


def test_recorded_options() -> None:
    # fmt: off
    config, _ = run(
        "-S", "-name", "guest=vm1,debug-threads=on",
        "-uuid", "D1418D1D-0000-4000-8000-000000000001",
        "-pidfile", "/run/x.pid", "-daemonize", "-cpu", "qemu64", "-no-user-config", "-nodefaults",
        "-nographic", "-display", "none", "-overcommit", "mem-lock=off", "-rtc", "base=utc",
        "-no-shutdown", "-boot", "strict=on", "-msg", "timestamp=on", "-sandbox", "on,spawn=deny",
        "-global", "kvm-pit.lost_tick_policy=delay", "-machine", "usb=off,dump-guest-core=off",
        "-enable-kvm",
    )
    # fmt: on
    assert config.start_paused and config.daemonize and config.no_shutdown
    assert config.name == "vm1"
    assert config.uuid == "d1418d1d-0000-4000-8000-000000000001"
    assert (config.pidfile, config.cpu_model, config.accel) == ("/run/x.pid", "qemu64", "kvm")


def test_preconfig_leaves_the_machine_unbuilt() -> None:
    config, _ = run("--preconfig", "-m", "1G", "-numa", "node")
    assert config.preconfig and config.machine.phase is Phase.MACHINE_CREATED


# fmt: off
@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["-uuid", "bogus"], "-uuid bogus: failed to parse UUID string: wrong format"),
        (["-name", "foo,bar=1"], "-name foo,bar=1: Invalid parameter 'bar'"),
        (["-overcommit", "mem-lock=maybe"],
         "-overcommit mem-lock=maybe: Parameter 'mem-lock' expects 'on' or 'off'"),
        (["-machine", "accel=bogus"], "invalid accelerator bogus"),
        (["-accel", "bogus"], "-accel bogus: invalid accelerator bogus"),
        (["-accel", "tcg,foo=1"], "-accel tcg,foo=1: Property 'tcg-accel.foo' not found"),
        (["-machine", "accel=tcg", "-accel", "tcg"],
         'The -accel and "-machine accel=" options are incompatible'),
        (["-numa", "node,id=x", "-numa", "node,id=x"],
         "-numa node,id=x: Duplicate ID 'x' for numa"),
    ],
)
# fmt: on
def test_option_errors(argv: list[str], line: str) -> None:
    assert fail(*argv)[0] == [f"{PROG}: {line}"]


@pytest.mark.parametrize(
    ("argv", "locked_7_2", "locked_10_0"),
    [
        (["-overcommit", "mem-lock=on"], True, True),
        (["-overcommit", "mem-lock=on", "-overcommit", "cpu-pm=on"], False, True),
        (["-overcommit", "mem-lock=on", "-overcommit", "mem-lock=off"], False, False),
        (["-overcommit", "cpu-pm=on"], False, False),
    ],
)
def test_overcommit_mem_lock(argv: list[str], locked_7_2: bool, locked_10_0: bool) -> None:
    # vl.c: no merging; 10.0 keeps the lock state when mem-lock is absent.
    assert run(*argv)[0].machine.mem_lock is locked_7_2
    assert run(*argv, profile=QEMU_10_0)[0].machine.mem_lock is locked_10_0
    assert run("-overcommit", "mem-lock=on-fault", profile=QEMU_10_0)[0].machine.mem_lock


def test_overcommit_mem_lock_string_in_10_0() -> None:
    out = io.StringIO()
    with pytest.raises(CliError) as info:
        configure(["-overcommit", "mem-lock=yes"], QEMU_10_0, CliReporter(PROG, out))
    assert info.value.lines == [
        f"{PROG}: -overcommit mem-lock=yes: parameter 'mem-lock' expects one of "
        "'on', 'off', 'on-fault'"
    ]


def test_qmp_spellings() -> None:
    config, _ = run("-qmp", "unix:/tmp/a.sock,server,nowait", "-qmp", "tcp::4444,server=on")
    first, second = (mon.chardev for mon in config.monitors)
    assert (first.path, first.server, first.wait) == ("/tmp/a.sock", True, False)
    assert (second.host, second.port, second.server, second.wait) == ("", "4444", True, True)
    assert second.id == "compat_monitor1"
    client = run("-qmp", "unix:/tmp/a.sock")[0].monitors[0].chardev
    assert (client.server, client.wait) == (False, False)
    pretty = run("-qmp-pretty", "tcp:localhost:4444,server=on,wait=off")[0].monitors[0]
    assert pretty.pretty and pretty.chardev.describe() == "tcp:localhost:4444,server=on"


def test_qmp_errors() -> None:
    assert fail("-qmp", "foo")[0] == [
        f"{PROG}: -qmp foo: 'foo' is not a valid char driver",
        f"{PROG}: -qmp foo: parse error: foo",
    ]
    arg = "tcp:127.0.0.1,server=on,wait=off"
    assert fail("-qmp", arg)[0] == [f"{PROG}: -qmp {arg}: parse error: {arg}"]


def test_chardev_and_mon() -> None:
    # fmt: off
    config, _ = run(
        "-chardev", "socket,id=charmonitor,fd=26,server=on,wait=off",
        "-mon", "chardev=charmonitor,id=monitor,mode=control",
        "-chardev", "socket,id=hmp,path=/tmp/h.sock,server=on,wait=off",
        "-mon", "hmp",
    )
    # fmt: on
    qmp, hmp = config.monitors
    assert (qmp.chardev.id, qmp.mode, qmp.chardev.fd) == ("charmonitor", MonitorMode.CONTROL, 26)
    assert qmp.chardev.server
    assert (hmp.mode, hmp.chardev.path) == (MonitorMode.READLINE, "/tmp/h.sock")


# fmt: off
@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["-mon", "mode=control"], "-mon mode=control: Parameter 'chardev' is missing"),
        (["-chardev", "socket,id=c,path=/x,server=on", "-mon", "c,mode=bogus"],
         "-mon c,mode=bogus: Parameter 'mode' does not accept value 'bogus'"),
        (["-chardev", "socket,id=c,path=/x,server=on", "-mon", "c,pretty=on"],
         "-mon c,pretty=on: 'pretty' is not compatible with HMP monitors"),
        (["-chardev", "socket,id=c,path=/a", "-chardev", "socket,id=c,path=/b"],
         "-chardev socket,id=c,path=/b: Duplicate ID 'c' for chardev"),
        (["-chardev", "socket,path=/x"], "-chardev socket,path=/x: chardev: no id specified"),
        (["-chardev", "socket,id=c"], "-chardev socket,id=c: Unable to parse FD number "),
        (["-chardev", "bogus,id=c"],
         "-chardev bogus,id=c: 'bogus' is not a valid char driver name"),
        (["-chardev", "socket,id=c,path=/x,host=a"],
         "-chardev socket,id=c,path=/x,host=a: "
         "None or one of 'path', 'fd' or 'host' option required."),
        (["-chardev", "socket,id=c,host=a"],
         "-chardev socket,id=c,host=a: chardev: socket: no port given"),
        (["-chardev", "socket,id=c,path=/x,wait=off"],
         "-chardev socket,id=c,path=/x,wait=off: "
         "'wait' option is incompatible with socket in client connect mode"),
        (["-chardev", "socket,id=c,fd=abc,server=on,wait=off"],
         "-chardev socket,id=c,fd=abc,server=on,wait=off: Unable to parse FD number abc"),
    ],
)
# fmt: on
def test_monitor_errors(argv: list[str], line: str) -> None:
    assert fail(*argv)[0] == [f"{PROG}: {line}"]


def test_msg_puts_the_time_and_guest_name_first() -> None:
    out = io.StringIO()
    moment = datetime.datetime(2026, 11, 26, 10, 18, 18, 163752, tzinfo=datetime.UTC)
    reporter = CliReporter(PROG, out, clock=lambda: moment)
    with pytest.raises(CliError) as info:
        configure(["-name", "vm1", "-msg", "timestamp=on,guest-name=on", "-m", "1G",
                   "-numa", "node"], DEFAULT_PROFILE, reporter)
    assert info.value.lines == [
        f"2026-11-26T10:18:18.163752Z vm1 {PROG}: "
        "total memory for NUMA nodes (0x0) should equal RAM size (0x40000000)"
    ]
