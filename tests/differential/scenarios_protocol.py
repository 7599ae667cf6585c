"""QMP protocol scenarios: greeting, negotiation, framing, JSON and request errors.

Each scenario covers one rule of qmpnuma.protocol (monitor/qmp.c,
qapi/qmp-dispatch.c and QEMU's JSON parser) and is played against QEMU 7.2
and qmpnuma alike.  Inputs that leave QEMU's lexer in error recovery end
with a newline, which resynchronises it, so the next step starts clean.
"""

from __future__ import annotations

from tests.differential.harness import Scenario, Step, hmp, qmp, raw

__all__ = ["SCENARIOS"]

#: -S keeps the VM in prelaunch, so query-status is stable.
ARGS = ("-S",)


def _status(request_id: str) -> str:
    return '{"execute": "query-status", "id": ' + request_id + "}"


def _scenario(name: str, *steps: Step, negotiate: bool = True) -> Scenario:
    return Scenario(f"protocol-{name}", ARGS, steps, negotiate=negotiate)


SCENARIOS: list[Scenario] = [
    _scenario("greeting"),
    _scenario(
        "before-negotiation",
        qmp("query-status", id=1),
        qmp("nosuch-command", id="unknown"),
        raw('{"exec-oob": "query-status", "id": 2}'),
        raw('{"execute": 1, "id": 3}'),
        qmp("qmp_capabilities", {"bogus": 1}, id=4),
        qmp("qmp_capabilities", id="caps"),
        qmp("query-status", id=5),
        negotiate=False,
    ),
    _scenario(
        "capabilities-twice",
        qmp("qmp_capabilities", id="again"),
        qmp("qmp_capabilities", {"enable": ["oob"]}),
    ),
    _scenario(
        "capabilities-oob",
        qmp("qmp_capabilities", {"enable": ["oob"]}, id="caps"),
        raw('{"exec-oob": "query-status", "id": "oob-not-allowed"}'),
        raw('{"exec-oob": "nosuch-command", "id": "oob-unknown"}'),
        raw('{"exec-oob": "query-status", "execute": "query-status", "id": "clash-1"}'),
        raw('{"execute": "query-status", "exec-oob": "query-status", "id": "clash-2"}'),
        raw('{"exec-oob": 1, "id": "oob-not-string"}'),
        qmp("query-status", id="in-band"),
        negotiate=False,
    ),
    _scenario(
        "capabilities-bogus",
        qmp("qmp_capabilities", {"enable": ["bogus"]}, id="bogus"),
        qmp("qmp_capabilities", {"enable": "oob"}, id="not-a-list"),
        qmp("query-status", id="still-negotiating"),
        qmp("qmp_capabilities"),
        negotiate=False,
    ),
    _scenario(
        "exec-oob-without-oob",
        raw('{"exec-oob": "query-status", "id": 1}'),
        raw('{"exec-oob": "query-status", "execute": "query-status"}'),
    ),
    _scenario(
        "id-types",
        raw(_status('"string"')),
        raw(_status("'single-quoted'")),
        raw(_status("42")),
        raw(_status("-9223372036854775808")),
        raw(_status("18446744073709551615")),
        raw(_status("18446744073709551616")),
        raw(_status("1.5")),
        raw(_status("2.0")),
        raw(_status("-0.0")),
        raw(_status("0.1")),
        raw(_status('{"b": 1, "a": [true], "c": {"z": null, "y": {}}, "": []}')),
        raw(_status('[1, "two", [3], {"four": 4}]')),
        raw(_status("null")),
        raw(_status("true")),
        raw(_status("false")),
        raw(_status('""')),
    ),
    _scenario(
        "id-on-errors",
        raw('{"id": "lacks-execute"}'),
        raw('{"execute": "query-status", "arguments": [], "id": ["args"]}'),
        raw('{"execute": "query-status", "bogus": 1, "id": {"k": "v"}}'),
        raw('{"execute": "nosuch-command", "id": null}'),
        raw('{"execute": "query-status", "id": 1, "execute": "stop"}'),
    ),
    _scenario(
        "request-members",
        raw('{"arguments": {}}'),
        raw('{"execute": ["query-status"]}'),
        raw('{"execute": "query-status", "arguments": 1}'),
        raw('{"execute": "query-status", "arguments": null}'),
        raw('{"execute": "query-status", "foo": 1}'),
        # Members are checked in QDict hash order, not input order.
        raw('{"foo": 1, "execute": "query-status", "arguments": 1}'),
        raw('{"arguments": 1, "foo": 1, "execute": 2}'),
        raw('{"zzz": 1, "aaa": 2, "execute": "query-status"}'),
    ),
    _scenario(
        "non-objects",
        raw("[]"),
        raw('[{"execute": "query-status"}]'),
        raw('"query-status"'),
        raw("'single'"),
        raw("42\n"),
        raw("-1.5e3\n"),
        raw("true\n"),
        raw("null\n"),
    ),
    _scenario(
        "parse-errors",
        raw('{ "execute": }'),
        raw('{"execute": "query-status",}'),
        raw('{"execute" "query-status"}'),
        raw('{"execute": "query-status" "id": 1}'),
        raw('{"execute": "query-status", "execute": "stop"}'),
        raw("}"),
        raw("]"),
        raw("[1, 2,]"),
        raw("[1 2]"),
        raw('{1: "x"}'),
        raw('{["k"]: "x"}'),
        raw('{"a": [}]'),
        raw('{"execute": "query-status"]'),
        raw('{"execute": nosuch}'),
        raw('{"execute": TRUE}\n', replies=2),
        raw("[" + "a" * 1500 + "]"),
    ),
    _scenario(
        "string-errors",
        raw('{"execute": "\\x"}'),
        raw('{"execute": "\\ud800"}'),
        raw('{"execute": "\\ud800\\u0041"}'),
        raw('{"execute": "\\udc00"}'),
        raw('{"execute": "\\uFFFE"}'),
        raw('{"execute": "\\u12"}'),
        raw('{"execute": "\\u12g4"}'),
        raw(b'{"execute": "\xc3"}'),
        raw(b'{"execute": "\xef\xbf\xbe"}'),
        raw(b'{"execute": "\xc1\xbf"}'),
        raw(b'{"execute": "\xed\xa0\x80"}'),
    ),
    _scenario(
        "lexical-errors",
        raw(b'{"a": \x01}\n', replies=2),
        raw(b"\xff\n"),
        raw(b"\x01\x01\n", replies=2),
        raw(b"\x00\n"),
        raw(b'{"execute": "qu\x01ery"}\n', replies=2),
        raw(b'"\xc3\xa9\x01\n'),
        raw(b"01\n"),
        raw(b"-x\n"),
        raw(b"%d\n"),
        raw(b"[1\xff]\n", replies=2),
        raw(b"\x01skipped:\n", replies=2),
        raw(b'\x01 skipped {"execute": "query-status", "id": "resync"}', replies=2),
    ),
    _scenario(
        "limits",
        raw("[" * 1024 + "]" * 1024),
        raw("[" * 1025 + "\n"),
        raw(_status("'after-nesting'")),
    ),
    _scenario(
        "several-in-one-send",
        raw(_status("1") + _status("2") + "\n" + _status("3"), replies=3),
        raw(_status("4") + "}" + _status("5"), replies=3),
    ),
    _scenario(
        "split-across-sends",
        raw('{"execute": "query-st', replies=0),
        raw('atus", "id": "split"}'),
        raw(b'{"execute": "query-status", "id": "\xc3', replies=0),
        raw(b'\xa9"}'),
        raw(_status("12")),
        raw("[1, 2", replies=0),
        raw("]\n"),
        raw("12", replies=0),
        raw("3\n"),
    ),
    _scenario(
        "single-quotes",
        raw("{'execute': 'query-status', 'id': 'sq'}"),
        raw("{'execute': 'query-status', 'id': 'it\\'s \"quoted\"'}"),
        raw('{"execute": \'query-status\', "id": "mixed"}'),
    ),
    _scenario(
        "unicode",
        raw(_status('"\\u00e9\\u00E9"')),
        raw(_status('"\\ud83d\\ude00"')),
        raw(_status('"\\u0000\\u001f\\u007f\\b\\f\\n\\r\\t\\/\\\\\\""')),
        raw(b'{"execute": "query-status", "id": "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"}'),
        raw(b'{"execute": "query-status", "id": "\xc0\x80"}'),
        raw('{"execute": "query-st\\u0061tus", "id": "escaped-name"}'),
    ),
    _scenario(
        "commands",
        qmp("nosuch-command", id="unknown"),
        qmp("query-status", {"bogus": 1}, id="unexpected-argument"),
        qmp("query-status", {}, id="empty-arguments"),
    ),
    _scenario(
        "stop-cont",
        qmp("query-status", id=1),
        qmp("cont", id=2),
        qmp("query-status", id=3),
        qmp("stop", id=4),
        qmp("query-status", id=5),
        qmp("stop", id=6),
        qmp("cont", id=7),
    ),
    _scenario("quit", qmp("query-status"), qmp("quit", id="bye")),
    _scenario(
        # monitor/hmp.c: names end at a space or "/", any C isspace()
        # separates, messages quote the line from its start, the
        # extraneous-argument text names the command with its aliases.
        "hmp-command-line",
        hmp("\tinfo\tstatus\v"),
        hmp("info numa/x"),
        hmp("info/x numa"),
        hmp("info //"),
        hmp("/x"),
        hmp("  bogus  x"),
        hmp("  info   bogus  y"),
        hmp("  c x"),
        hmp("stop  /x "),
        hmp("q x"),
        hmp("s"),
        hmp("info status"),
    ),
]

SCENARIOS.append(
    Scenario(
        "protocol-pretty-monitor",
        ARGS,
        (
            qmp("query-status", id=[1, {}, "x"]),
            qmp("cont"),
            qmp("query-hotpluggable-cpus"),
            qmp("nosuch"),
            raw("{]\n"),
        ),
        pretty=True,
    )
)
