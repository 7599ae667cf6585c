"""QemuOpts parsing (util/qemu-option.c); expected texts are QEMU 7.2's."""

from __future__ import annotations

import pytest

from qmpnuma.cli.options import MEMORY_OPTS, NUMA_OPTS, OBJECT_OPTS
from qmpnuma.cli.qemu_opts import (
    HelpRequested,
    OptsStore,
    OptType,
    QemuOptDesc,
    QemuOpts,
    QemuOptsList,
    qemu_opts_print_help,
)
from qmpnuma.errors import CollectingReporter, GenericError

FLAGS = QemuOptsList("flags", desc=(QemuOptDesc("on-flag", OptType.BOOL),))


def parse(
    opts_list: QemuOptsList, params: str, store: OptsStore | None = None
) -> tuple[QemuOpts, list[tuple[str, str]]]:
    reporter = CollectingReporter()
    opts = (store or OptsStore()).parse_noisily(opts_list, params, f"-x {params}", reporter)
    return opts, reporter.messages


def error(opts_list: QemuOptsList, params: str, store: OptsStore | None = None) -> GenericError:
    with pytest.raises(GenericError) as info:
        parse(opts_list, params, store)
    return info.value


def test_implied_name_and_pairs_in_order() -> None:
    opts, warnings = parse(NUMA_OPTS, "node,nodeid=0,cpus=0-1,cpus=3")
    assert opts.items() == [("type", "node"), ("nodeid", "0"), ("cpus", "0-1"), ("cpus", "3")]
    assert opts.get("cpus") == "3"  # the last one wins for a scalar reader
    assert warnings == []


def test_double_comma_escapes_a_comma_in_values_only() -> None:
    assert parse(NUMA_OPTS, "node,memdev=m0,,x")[0].get("memdev") == "m0,x"
    # -numa node,, -> type "node,"
    assert parse(NUMA_OPTS, "node,,")[0].get("type") == "node,"


def test_empty_items() -> None:
    # -numa , -> type ''
    assert parse(NUMA_OPTS, ",")[0].items() == [("type", "")]
    # -numa '' -> nothing at all
    assert parse(NUMA_OPTS, "")[0].items() == []
    # -m = -> an option with an empty name
    assert error(MEMORY_OPTS, "=").desc == "Invalid parameter ''"


def test_short_form_flags_warn() -> None:
    opts, warnings = parse(NUMA_OPTS, "node,foo,nobar")
    assert opts.items()[1:] == [("foo", "on"), ("bar", "off")]
    assert warnings == [
        ("warning", "short-form boolean option 'foo' deprecated\nPlease use foo=on instead"),
        ("warning", "short-form boolean option 'nobar' deprecated\nPlease use bar=off instead"),
    ]


def test_help_is_not_a_flag_and_asks_for_help_with_descriptors() -> None:
    opts, warnings = parse(NUMA_OPTS, "node,help")
    assert opts.get("help") == "on" and warnings == []
    with pytest.raises(HelpRequested) as info:
        parse(MEMORY_OPTS, "1G,?")
    assert info.value.text == "memory options:\n  maxmem=<size>\n  size=<size>\n  slots=<num>\n"


def test_help_text_without_options() -> None:
    assert qemu_opts_print_help(NUMA_OPTS) == "There are no options for numa.\n"


def test_ids() -> None:
    store = OptsStore()
    assert parse(NUMA_OPTS, "node,id=n0", store)[0].id == "n0"
    assert error(NUMA_OPTS, "node,id=n0", store).desc == "Duplicate ID 'n0' for numa"
    bad = error(NUMA_OPTS, "node,id=0a")
    assert bad.desc == "Parameter 'id' expects an identifier"
    assert (
        bad.hint == "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter."
    )
    assert ("id", "n0") not in parse(NUMA_OPTS, "node,id=n1")[0].items()


def test_merge_lists_collect_and_refuse_ids() -> None:
    store = OptsStore()
    first, _ = parse(MEMORY_OPTS, "1G", store)
    second, _ = parse(MEMORY_OPTS, "slots=2,maxmem=4G", store)
    assert first is second
    assert first.get_number("size", 0) == 1 << 30
    assert first.get_number("slots", 0) == 2
    assert first.location == "-x 1G"
    assert error(MEMORY_OPTS, "1G,id=x").desc == "Invalid parameter 'id'"


def test_each_occurrence_of_a_list_that_does_not_merge_is_a_group() -> None:
    # Even when typed alike: the groups are told apart by identity, not value.
    store = OptsStore()
    first, _ = parse(NUMA_OPTS, "", store)
    second, _ = parse(NUMA_OPTS, "", store)
    assert first is not second
    assert len(store.all(NUMA_OPTS)) == 2


def test_typed_options() -> None:
    assert error(MEMORY_OPTS, "1G,foo=1").desc == "Invalid parameter 'foo'"
    assert error(MEMORY_OPTS, "1G,slots=x").desc == "Parameter 'slots' expects a number"
    big = "99999999999999999999999"
    assert error(MEMORY_OPTS, f"1G,slots={big}").desc == (
        f"Value '{big}' is too large for parameter 'slots'"
    )
    assert parse(MEMORY_OPTS, "1G,slots=-1")[0].get_number("slots", 0) == (1 << 64) - 1
    bad = error(MEMORY_OPTS, "1x")
    assert bad.desc == "Parameter 'size' expects a non-negative number below 2^64"
    assert bad.hint is not None and bad.hint.startswith("Optional suffix k, M, G, T, P or E")
    assert error(MEMORY_OPTS, "16E").desc == "Value '16E' is out of range for parameter 'size'"
    assert error(FLAGS, "on-flag=maybe").desc == "Parameter 'on-flag' expects 'on' or 'off'"
    assert parse(FLAGS, "on-flag=yes")[0].get_bool("on-flag", False) is True


def test_flag_on_a_typed_list_warns_then_fails() -> None:
    reporter = CollectingReporter()
    with pytest.raises(GenericError) as info:
        OptsStore().parse_noisily(MEMORY_OPTS, "1G,slots", "-m 1G,slots", reporter)
    assert info.value.desc == "Parameter 'slots' expects a number"
    assert reporter.messages == [
        ("warning", "short-form boolean option 'slots' deprecated\nPlease use slots=on instead")
    ]


def test_failed_parse_stores_nothing() -> None:
    store = OptsStore()
    error(MEMORY_OPTS, "1G,foo=1", store)
    assert store.all(MEMORY_OPTS) == []


def test_without_implied_name_a_bare_first_item_is_a_flag() -> None:
    store = OptsStore()
    opts = store.parse_noisily(OBJECT_OPTS, "x", "-o x", CollectingReporter(), permit_abbrev=False)
    assert opts.items() == [("x", "on")]


def test_do_parse_is_silent() -> None:
    store = OptsStore()
    opts = store.create(NUMA_OPTS, "a", "-x")
    store.do_parse(opts, "/p,server,nowait", "path")
    assert opts.items() == [("path", "/p"), ("server", "on"), ("wait", "off")]
