"""QemuOpts: QEMU's ``key=value,key=value`` option syntax (util/qemu-option.c).

Rules kept from QEMU 7.2:

* an item is ``name=value`` or a bare ``name``; a bare first item is the
  value of the list's implied option name (``-numa node`` is ``type=node``);
* ``,,`` inside a value stands for one comma (names are taken verbatim);
* any other bare item is a short-form boolean: ``foo`` is ``foo=on`` and
  ``nofoo`` is ``foo=off``, with a deprecation warning on the command line;
  ``help`` and ``?`` ask for the list's help instead when it has descriptors;
* ``id=`` names the option group: it must be well formed and unique in its
  list; lists that merge (``-m``, ``-name``...) refuse an id and collect every
  occurrence into one group;
* repeated names are all kept in order; readers take the last one (a list
  reader, QEMU's OptsVisitor, takes them all);
* a list with descriptors types its options (string, bool, number, size) and
  rejects unknown names; a list without descriptors accepts anything and
  leaves typing to its consumer.

:class:`OptsStore` holds the groups already parsed (QEMU keeps them in each
QemuOptsList), which is where duplicate ids and merging are decided.
"""

from __future__ import annotations

import enum
import errno
from collections.abc import Iterator
from dataclasses import dataclass, field

from qmpnuma.cutils import (
    StrtoxError,
    id_wellformed,
    qapi_bool_parse,
    qemu_strtosz,
    qemu_strtou64,
)
from qmpnuma.errors import GenericError, Reporter

__all__ = [
    "OptType",
    "QemuOptDesc",
    "QemuOptsList",
    "QemuOpt",
    "QemuOpts",
    "OptsStore",
    "HelpRequested",
    "is_help_option",
    "qemu_opts_print_help",
]

#: include/qemu/help_option.h is_help_option
HELP_OPTIONS = ("help", "?")

#: util/qemu-option.c get_opt_name_value: how a short-form flag is spelled off.
FLAG_OFF_PREFIX = "no"

# util/qemu-option.c qemu_opts_create (QERR_INVALID_PARAMETER_VALUE + hint)
ID_HINT = "Identifiers consist of letters, digits, '-', '.', '_', starting with a letter."
# util/qemu-option.c parse_option_size
SIZE_HINT = (
    "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
    "and exabytes, respectively."
)


class OptType(enum.Enum):
    """QemuOptType, with the spelling qemu_opts_print_help uses."""

    STRING = "str"
    BOOL = "bool (on/off)"
    NUMBER = "num"
    SIZE = "size"


@dataclass(frozen=True)
class QemuOptDesc:
    name: str
    type: OptType = OptType.STRING


@dataclass(frozen=True)
class QemuOptsList:
    """One option family (``-numa``, ``-m``...): QEMU's QemuOptsList."""

    name: str
    #: The name a bare first item stands for (``type`` for -numa).
    implied_opt_name: str | None = None
    #: Every occurrence feeds one group, which takes no id (-m, -name...).
    merge_lists: bool = False
    #: Known options; empty means "accept any, the consumer types them".
    desc: tuple[QemuOptDesc, ...] = ()

    @property
    def accepts_any(self) -> bool:
        return not self.desc

    def find_desc(self, name: str) -> QemuOptDesc | None:
        return next((d for d in self.desc if d.name == name), None)


@dataclass(frozen=True)
class QemuOpt:
    """One ``name=value``: the text as given and, for typed lists, its value."""

    name: str
    #: The value as typed (QEMU's opt->str), ``,,`` already unescaped.
    text: str
    value: bool | int | None = None


@dataclass
class QemuOpts:
    """One option group: QEMU's QemuOpts (one ``-numa``, or all ``-m`` merged)."""

    opts_list: QemuOptsList
    id: str | None
    #: The option as typed (``-numa node,nodeid=0``), for error locations;
    #: a merged group keeps its first occurrence, as QEMU's loc_save does.
    location: str
    opts: list[QemuOpt] = field(default_factory=list)

    def __iter__(self) -> Iterator[QemuOpt]:
        return iter(self.opts)

    def items(self) -> list[tuple[str, str]]:
        """Every ``(name, text)`` in command-line order, repeats included."""
        return [(o.name, o.text) for o in self.opts]

    def find(self, name: str) -> QemuOpt | None:
        """qemu_opt_find: the last occurrence wins."""
        return next((o for o in reversed(self.opts) if o.name == name), None)

    def get(self, name: str) -> str | None:
        """qemu_opt_get."""
        opt = self.find(name)
        return opt.text if opt else None

    def get_bool(self, name: str, default: bool) -> bool:
        """qemu_opt_get_bool on a BOOL descriptor."""
        opt = self.find(name)
        return default if opt is None else bool(opt.value)

    def get_number(self, name: str, default: int) -> int:
        """qemu_opt_get_number / qemu_opt_get_size on a typed descriptor."""
        opt = self.find(name)
        if opt is None or isinstance(opt.value, bool) or opt.value is None:
            return default
        return opt.value


class HelpRequested(Exception):
    """``help`` or ``?`` in a list with descriptors: print the help text.

    QEMU prints it on stdout and, the parse having "failed", exits 1.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def is_help_option(name: str) -> bool:
    return name in HELP_OPTIONS


def qemu_opts_print_help(opts_list: QemuOptsList) -> str:
    """qemu_opts_print_help(list, true): the sorted ``name=<type>`` lines."""
    lines = sorted(f"  {d.name}=<{d.type.value}>" for d in opts_list.desc)
    if not lines:
        return f"There are no options for {opts_list.name}.\n"
    return f"{opts_list.name} options:\n" + "".join(line + "\n" for line in lines)


def _get_opt_value(params: str, pos: int) -> tuple[str, int]:
    """get_opt_value: the value up to a single comma; ``,,`` is a comma."""
    out: list[str] = []
    while True:
        comma = params.find(",", pos)
        if comma < 0:
            out.append(params[pos:])
            return "".join(out), len(params)
        if params.startswith(",,", comma):
            out.append(params[pos : comma + 1])
            pos = comma + 2
            continue
        out.append(params[pos:comma])
        return "".join(out), comma


@dataclass(frozen=True)
class _Item:
    name: str
    value: str
    #: A bare non-first item: a short-form flag (or a help request).
    flag: bool = False
    #: What the user typed for a flag (``nofoo``), for the warning.
    typed: str = ""


def _get_opt_name_value(params: str, pos: int, firstname: str | None) -> tuple[_Item, int]:
    """get_opt_name_value: one item starting at ``pos``; returns it and the next position."""
    end = pos
    while end < len(params) and params[end] not in "=,":
        end += 1
    if end < len(params) and params[end] == "=":
        value, nxt = _get_opt_value(params, end + 1)
        item = _Item(params[pos:end], value)
    elif firstname is not None:
        value, nxt = _get_opt_value(params, pos)
        item = _Item(firstname, value)
    else:
        typed = params[pos:end]
        nxt = end
        if typed.startswith(FLAG_OFF_PREFIX):
            item = _Item(typed[len(FLAG_OFF_PREFIX) :], "off", flag=True, typed=typed)
        else:
            item = _Item(typed, "on", flag=True, typed=typed)
    if nxt < len(params):
        nxt += 1  # the separating comma
    return item, nxt


def _split_items(params: str, firstname: str | None) -> list[_Item]:
    items: list[_Item] = []
    pos = 0
    while pos < len(params):
        item, pos = _get_opt_name_value(params, pos, firstname)
        items.append(item)
        firstname = None
    return items


def _opts_parse_id(params: str) -> str | None:
    """opts_parse_id: the first ``id`` item, scanning without an implied name."""
    return next((i.value for i in _split_items(params, None) if i.name == "id"), None)


def _parse_typed(
    desc: QemuOptDesc, value: str, reporter: Reporter | None, store: OptsStore
) -> bool | int | None:
    """qemu_opt_parse: type a value by its descriptor, with QEMU's texts."""
    name = desc.name
    if desc.type is OptType.BOOL:
        return qapi_bool_parse(name, value)
    if desc.type is OptType.NUMBER:
        try:
            return qemu_strtou64(value, 0)
        except StrtoxError as e:
            if e.errno == errno.ERANGE:
                # util/qemu-option.c parse_option_number
                raise GenericError(f"Value '{value}' is too large for parameter '{name}'") from e
            # util/qemu-option.c parse_option_number (QERR_INVALID_PARAMETER_VALUE)
            raise GenericError(f"Parameter '{name}' expects a number") from e
    if desc.type is OptType.SIZE:
        return _parse_size(name, value, reporter, store)
    return None


def _parse_size(name: str, value: str, reporter: Reporter | None, store: OptsStore) -> int:
    try:
        return qemu_strtosz(
            value, reporter, hex_suffix=store.hex_suffix, negative_range=store.negative_range
        )
    except StrtoxError as e:
        if e.errno == errno.ERANGE:
            # util/qemu-option.c parse_option_size
            raise GenericError(f"Value '{value}' is out of range for parameter '{name}'") from e
        # util/qemu-option.c parse_option_size (QERR_INVALID_PARAMETER_VALUE + hint)
        raise GenericError(
            f"Parameter '{name}' expects a non-negative number below 2^64", hint=SIZE_HINT
        ) from e


@dataclass
class OptsStore:
    """The groups parsed so far, per list name (QEMU keeps them in each list)."""

    groups: dict[str, list[QemuOpts]] = field(default_factory=dict)
    #: A size in hex may take a suffix (Profile.hex_size_suffix).
    hex_suffix: bool = True
    #: A negative size is out of range (Profile.negative_size_out_of_range).
    negative_range: bool = False

    def all(self, opts_list: QemuOptsList) -> list[QemuOpts]:
        """qemu_opts_foreach order: command-line order."""
        return list(self.groups.get(opts_list.name, ()))

    def find(self, opts_list: QemuOptsList, id: str | None) -> QemuOpts | None:
        """qemu_opts_find."""
        return next((o for o in self.groups.get(opts_list.name, ()) if o.id == id), None)

    def parse_noisily(
        self,
        opts_list: QemuOptsList,
        params: str,
        location: str,
        reporter: Reporter,
        *,
        permit_abbrev: bool = True,
    ) -> QemuOpts:
        """qemu_opts_parse_noisily: parse one option argument into its group.

        Short-form flags are warned about through ``reporter``.  On failure
        nothing is stored (QEMU deletes the group and exits anyway).

        Raises:
            GenericError: QEMU's text for a malformed option.
            HelpRequested: ``help`` in a list with descriptors.
        """
        firstname = opts_list.implied_opt_name if permit_abbrev else None
        opts, new = self._create(opts_list, _opts_parse_id(params), location)
        added = self._do_parse(opts_list, _split_items(params, firstname), reporter)
        if new:
            self.groups.setdefault(opts_list.name, []).append(opts)
        opts.opts.extend(added)
        return opts

    def do_parse(self, opts: QemuOpts, params: str, firstname: str | None) -> None:
        """qemu_opts_do_parse: add ``params`` to an existing group, silently."""
        opts.opts.extend(self._do_parse(opts.opts_list, _split_items(params, firstname), None))

    def create(self, opts_list: QemuOptsList, id: str | None, location: str) -> QemuOpts:
        """qemu_opts_create(list, id, fail_if_exists=1), for groups built in code."""
        opts, new = self._create(opts_list, id, location)
        if new:
            self.groups.setdefault(opts_list.name, []).append(opts)
        return opts

    def _create(
        self, opts_list: QemuOptsList, id: str | None, location: str
    ) -> tuple[QemuOpts, bool]:
        """qemu_opts_create: the group to fill, checking the id; stores nothing.

        Returns the group and whether it is new, hence still to be stored:
        a merging list reuses its one group.
        """
        if opts_list.merge_lists:
            if id is not None:
                # util/qemu-option.c qemu_opts_create (QERR_INVALID_PARAMETER)
                raise GenericError("Invalid parameter 'id'")
            existing = self.find(opts_list, None)
            if existing is not None:
                return existing, False
            return QemuOpts(opts_list, None, location), True
        if id is not None:
            if not id_wellformed(id):
                # util/qemu-option.c qemu_opts_create
                raise GenericError("Parameter 'id' expects an identifier", hint=ID_HINT)
            if self.find(opts_list, id) is not None:
                # util/qemu-option.c qemu_opts_create
                raise GenericError(f"Duplicate ID '{id}' for {opts_list.name}")
        return QemuOpts(opts_list, id, location), True

    def _do_parse(
        self, opts_list: QemuOptsList, items: list[_Item], reporter: Reporter | None
    ) -> list[QemuOpt]:
        """opts_do_parse + opt_validate, item by item as QEMU goes.

        ``reporter`` None is the silent variant (no flag warnings, no help).
        ``id`` items are skipped: the group's id was taken before.
        """
        out: list[QemuOpt] = []
        for item in items:
            if item.flag and reporter is not None:
                if is_help_option(item.name):
                    if not opts_list.accepts_any:
                        raise HelpRequested(qemu_opts_print_help(opts_list))
                else:
                    reporter.warn(_flag_warning(item))
            if item.name == "id":
                continue
            desc = opts_list.find_desc(item.name)
            if desc is None and not opts_list.accepts_any:
                # util/qemu-option.c opt_validate (QERR_INVALID_PARAMETER)
                raise GenericError(f"Invalid parameter '{item.name}'")
            value = _parse_typed(desc, item.value, reporter, self) if desc else None
            out.append(QemuOpt(item.name, item.value, value))
        return out


def _flag_warning(item: _Item) -> str:
    """get_opt_name_value's warning; the second line is its error_printf()."""
    prefix = FLAG_OFF_PREFIX if item.typed.startswith(FLAG_OFF_PREFIX) else ""
    if item.name == "delay":
        advice = f"nodelay={'on' if prefix else 'off'}"
    else:
        advice = f"{item.name}={item.value}"
    # util/qemu-option.c get_opt_name_value
    return (
        f"short-form boolean option '{prefix}{item.name}' deprecated\nPlease use {advice} instead"
    )
