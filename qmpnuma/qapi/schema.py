"""The QAPI schema: parse ``schema/*.json`` into a checked model.

QEMU's counterparts are scripts/qapi/parser.py (the dialect: JSON with
single-quoted strings, ``#`` comments and ``##`` documentation blocks),
scripts/qapi/expr.py and scripts/qapi/schema.py (the entities and their
checks).  QEMU generates C from the schema at build time; we load it once
at run time and derive validation, introspection and dispatch from it.

Invariants of a loaded :class:`Schema`: every type reference resolves; a
union's discriminator is a mandatory enum member of its base and every
value of that enum has a variant (those not written get the empty object,
as QEMU 7.2 does); entities keep QEMU's order: modules in the order they
are first included, definitions in file order within a module.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "SchemaError",
    "SourceInfo",
    "Member",
    "BuiltinType",
    "EnumType",
    "ArrayType",
    "ObjectType",
    "AlternateType",
    "SchemaType",
    "Command",
    "Event",
    "Schema",
    "BUILTIN_JSON_TYPES",
    "EMPTY_OBJECT",
    "DEFAULT_SCHEMA_PATH",
    "SCHEMA_DIR",
    "load_profile_schema",
    "load_schema",
    "parse_schema",
]

#: The builtin types and their JSON type (scripts/qapi/schema.py
#: _def_predefineds); every integer type, and size, is a JSON 'int'.
BUILTIN_JSON_TYPES: Mapping[str, str] = {
    "str": "string",
    "number": "number",
    "int": "int",
    "int8": "int",
    "int16": "int",
    "int32": "int",
    "int64": "int",
    "uint8": "int",
    "uint16": "int",
    "uint32": "int",
    "uint64": "int",
    "size": "int",
    "bool": "boolean",
    "null": "null",
    "any": "value",
}

#: The object type without members, QEMU's ``q_empty``: the argument type
#: of commands without arguments and the variant of unlisted union cases.
EMPTY_OBJECT = "q_empty"

#: The schema ships as the data package ``qmpnuma.schema``: the repository's
#: schema/ directory (see pyproject.toml).  Installs are unpacked, so it is a
#: real file in a checkout, an editable install and a wheel alike.
SCHEMA_DIR = Path(str(importlib.resources.files("qmpnuma.schema")))
#: The main file of the schema that machines serve.
DEFAULT_SCHEMA_PATH = SCHEMA_DIR / "qapi-schema.json"

#: Suffix of array type names (QEMU names the array of T ``TList``).
_LIST_SUFFIX = "List"

_ALLOWED_KEYS: Mapping[str, frozenset[str]] = {
    "include": frozenset({"include"}),
    "pragma": frozenset({"pragma"}),
    "enum": frozenset({"enum", "data", "prefix", "features"}),
    "struct": frozenset({"struct", "data", "base", "features"}),
    "union": frozenset({"union", "base", "discriminator", "data", "features"}),
    "alternate": frozenset({"alternate", "data", "features"}),
    "command": frozenset(
        {
            "command",
            "data",
            "returns",
            "boxed",
            "gen",
            "success-response",
            "allow-oob",
            "allow-preconfig",
            "coroutine",
            "features",
        }
    ),
    "event": frozenset({"event", "data", "boxed", "features"}),
}


class SchemaError(Exception):
    """A mistake in the schema files, located as ``file:line: message``."""

    def __init__(self, info: SourceInfo | None, msg: str) -> None:
        super().__init__(f"{info}: {msg}" if info else msg)
        self.info = info


@dataclass(frozen=True)
class SourceInfo:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Member:
    """A member of an object type."""

    name: str
    #: The member's type name (``uint16List`` for ``['uint16']``).
    type: str
    optional: bool = False
    features: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuiltinType:
    name: str
    json_type: str


@dataclass(frozen=True)
class EnumType:
    name: str
    values: tuple[str, ...]
    #: Features of single values, by value.
    value_features: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    features: tuple[str, ...] = ()
    info: SourceInfo | None = None


@dataclass(frozen=True)
class ArrayType:
    name: str
    element: str


@dataclass(frozen=True)
class ObjectType:
    """A struct or a union (QEMU's QAPISchemaObjectType covers both).

    ``members`` is the flat list that the wire sees: base members first.
    A union's ``variants`` map every value of its ``tag`` member to the
    object type holding that case's members, in introspection order
    (written cases first, then the remaining enum values).
    """

    name: str
    members: tuple[Member, ...]
    base: str | None = None
    tag: str | None = None
    variants: tuple[tuple[str, str], ...] = ()
    features: tuple[str, ...] = ()
    info: SourceInfo | None = None
    #: Defined inline (a command's 'data' dict, a union's 'base' dict).
    implicit: bool = False

    def member(self, name: str) -> Member | None:
        for m in self.members:
            if m.name == name:
                return m
        return None

    def variant(self, case: str) -> str | None:
        for c, t in self.variants:
            if c == case:
                return t
        return None


@dataclass(frozen=True)
class AlternateType:
    name: str
    #: (branch name, type name), in schema order.
    alternatives: tuple[tuple[str, str], ...]
    features: tuple[str, ...] = ()
    info: SourceInfo | None = None


SchemaType = BuiltinType | EnumType | ArrayType | ObjectType | AlternateType


@dataclass(frozen=True)
class Command:
    name: str
    #: Argument object type; None for a command without arguments.
    arg_type: str | None
    #: Return type; None for a command that returns ``{}``.
    ret_type: str | None
    boxed: bool = False
    allow_oob: bool = False
    allow_preconfig: bool = False
    #: False for commands whose marshaller QEMU writes by hand
    #: (query-qmp-schema); the interface is the same.
    gen: bool = True
    success_response: bool = True
    coroutine: bool = False
    features: tuple[str, ...] = ()
    info: SourceInfo | None = None


@dataclass(frozen=True)
class Event:
    name: str
    arg_type: str | None
    boxed: bool = False
    features: tuple[str, ...] = ()
    info: SourceInfo | None = None


@dataclass(frozen=True, eq=False)
class Schema:
    """A loaded, checked schema (hashed and compared by identity)."""

    #: Every named type, builtins and implicit types included.
    types: Mapping[str, SchemaType]
    #: Commands in definition order.
    commands: Mapping[str, Command]
    #: Events in definition order.
    events: Mapping[str, Event]
    #: Commands and events interleaved in definition order (what
    #: query-qmp-schema lists first).
    entities: tuple[Command | Event, ...]
    pragma: Mapping[str, object] = field(default_factory=dict)

    def lookup_type(self, name: str) -> SchemaType:
        try:
            return self.types[name]
        except KeyError:
            raise KeyError(f"no QAPI type {name!r}") from None

    def object_type(self, name: str) -> ObjectType:
        typ = self.lookup_type(name)
        if not isinstance(typ, ObjectType):
            raise TypeError(f"QAPI type {name!r} is not an object type")
        return typ

    def variant_members(self, obj: ObjectType, case: object) -> tuple[Member, ...]:
        """The members of ``obj``'s variant for tag value ``case`` (none if invalid)."""
        if obj.tag is None or not isinstance(case, str):
            return ()
        variant = obj.variant(case)
        return self.object_type(variant).members if variant else ()


# ---------------------------------------------------------------------------
# The dialect (scripts/qapi/parser.py)


@dataclass
class _Expr:
    value: dict[str, object]
    info: SourceInfo
    doc: str | None


#: One step of the lexer: the blanks before it, where lines are counted,
#: then a comment, a token, the end of the file or a stray character.
#: Exotic white space (form feed...) is skipped before a token but is not
#: counted, as the parser has always done.  The whole file is scanned by
#: this one expression, since stepping through it in Python was most of
#: the time load_schema() takes.
_LEXEME = re.compile(
    r"""(?P<blanks>[ \t\r\n]*)
    (?: (?P<comment>\#[^\n]*)
      | \s*(?: (?P<punct>[{}\[\],:]) | '(?P<str>(?:[^'\\\n]|\\.)*)' | (?P<word>\w+) )
      | (?P<eof>\Z)
      | (?P<stray>.) )""",
    re.VERBOSE | re.DOTALL,
)
#: A backslash escape in a string: the escaped character stands for itself.
_ESCAPE = re.compile(r"\\(.)")

#: A token: its kind (punct, str, bool or eof), its text and its line.
_Token = tuple[str, str, int]


class _Parser:
    """Turns one schema file into top-level expressions."""

    def __init__(self, path: Path) -> None:
        self.file = path.name
        self.text = path.read_text(encoding="utf-8")
        self.line = 1
        #: The lines of the last ``##`` block, and whether it is still open.
        self.pending_doc: list[str] | None = None
        self.doc_open = False
        self.tokens = self._lex()

    def _lex(self) -> Iterator[_Token]:
        """The file's tokens, then eof for ever.

        Comments are read as the parser asks for the token after them, so a
        ``##`` block attaches to the expression read next.
        """
        text = self.text
        for m in _LEXEME.finditer(text):
            self.line += text.count("\n", m.start(), m.end("blanks"))
            kind = m.lastgroup
            assert kind is not None  # each alternative is a named group
            if kind == "comment":
                self._collect_doc(m.group(kind))
                continue
            if kind == "eof":
                break
            if kind == "stray":
                raise SchemaError(self.at(self.line), f"stray {m.group(kind)!r}")
            if kind == "str":
                string = m.group(kind)
                # Most strings have no escape: spare them the substitution.
                yield ("str", _ESCAPE.sub(r"\1", string) if "\\" in string else string, self.line)
            elif kind == "word":
                word = m.group(kind)
                if word not in ("true", "false"):
                    raise SchemaError(self.at(self.line), f"invalid literal {word!r}")
                yield ("bool", word, self.line)
            else:
                yield ("punct", m.group(kind), self.line)
        while True:
            yield ("eof", "", self.line)

    def at(self, line: int) -> SourceInfo:
        """``file:line``; tokens carry a bare line, as few ever need more."""
        return SourceInfo(self.file, line)

    def _collect_doc(self, comment: str) -> None:
        if comment == "##":
            # '##' opens a documentation block, and the next '##' closes it.
            if not self.doc_open:
                self.pending_doc = []
            self.doc_open = not self.doc_open
        elif self.doc_open and self.pending_doc is not None:
            self.pending_doc.append(comment[2:] if comment.startswith("# ") else comment[1:])

    def _value(self, tok: _Token) -> object:
        kind, text, line = tok
        if kind == "str":
            return text
        if kind == "bool":
            return text == "true"
        if (kind, text) == ("punct", "{"):
            return self._object()
        if (kind, text) == ("punct", "["):
            return self._array()
        raise SchemaError(self.at(line), f"expected a value, got {text or 'end of file'!r}")

    def _object(self) -> dict[str, object]:
        result: dict[str, object] = {}
        tok = next(self.tokens)
        if tok[:2] == ("punct", "}"):
            return result
        while True:
            kind, key, line = tok
            if kind != "str":
                raise SchemaError(self.at(line), "expected a string key")
            if key in result:
                raise SchemaError(self.at(line), f"duplicate key {key!r}")
            if next(self.tokens)[:2] != ("punct", ":"):
                raise SchemaError(self.at(line), "expected ':'")
            result[key] = self._value(next(self.tokens))
            tok = next(self.tokens)
            if tok[:2] == ("punct", "}"):
                return result
            if tok[:2] != ("punct", ","):
                raise SchemaError(self.at(tok[2]), "expected ',' or '}'")
            tok = next(self.tokens)

    def _array(self) -> list[object]:
        result: list[object] = []
        tok = next(self.tokens)
        if tok[:2] == ("punct", "]"):
            return result
        while True:
            result.append(self._value(tok))
            tok = next(self.tokens)
            if tok[:2] == ("punct", "]"):
                return result
            if tok[:2] != ("punct", ","):
                raise SchemaError(self.at(tok[2]), "expected ',' or ']'")
            tok = next(self.tokens)

    def expressions(self) -> Iterator[_Expr]:
        while True:
            self.pending_doc = None
            tok = next(self.tokens)
            if tok[0] == "eof":
                return
            doc = "\n".join(self.pending_doc) if self.pending_doc is not None else None
            if tok[:2] != ("punct", "{"):
                raise SchemaError(self.at(tok[2]), "expected '{' at top level")
            yield _Expr(self._object(), self.at(tok[2]), doc)


# ---------------------------------------------------------------------------
# Definitions (scripts/qapi/expr.py and schema.py)


def _list_type(element: str) -> str:
    return element + _LIST_SUFFIX


class _Builder:
    """Collects the definitions of every module, then checks them."""

    def __init__(self) -> None:
        self.types: dict[str, SchemaType] = {
            name: BuiltinType(name, json) for name, json in BUILTIN_JSON_TYPES.items()
        }
        self.types[EMPTY_OBJECT] = ObjectType(EMPTY_OBJECT, (), implicit=True)
        self.infos: dict[str, SourceInfo] = {}
        #: Per module, in first-include order: commands and events.
        self.modules: dict[Path, list[Command | Event]] = {}
        self.pragma: dict[str, object] = {}
        #: Unions and structs wait for their bases: raw definitions.
        self.pending_objects: list[tuple[dict[str, object], SourceInfo, bool]] = []
        self.type_refs: list[tuple[str, SourceInfo]] = []

    # -- reading ------------------------------------------------------------

    def include(self, path: Path, info: SourceInfo | None) -> None:
        path = path.resolve()
        if path in self.modules:
            return  # QEMU includes a module once
        if not path.is_file():
            raise SchemaError(info, f"can't read include file '{path.name}'")
        self.modules[path] = []
        for expr in _Parser(path).expressions():
            self.definition(path, expr)

    def definition(self, module: Path, expr: _Expr) -> None:
        value, info = expr.value, expr.info
        kinds = [k for k in _ALLOWED_KEYS if k in value]
        if len(kinds) != 1:
            raise SchemaError(
                info, "expression must have exactly one of " + ", ".join(_ALLOWED_KEYS)
            )
        kind = kinds[0]
        unknown = set(value) - _ALLOWED_KEYS[kind]
        if unknown:
            raise SchemaError(info, f"'{kind}' has unknown key(s) {', '.join(sorted(unknown))}")
        if kind == "include":
            self.include(module.parent / _str(value, "include", info), info)
            return
        if kind == "pragma":
            self.pragma.update(_dict(value, "pragma", info))
            return
        name = _str(value, kind, info)
        if self.pragma.get("doc-required") and not expr.doc:
            raise SchemaError(info, f"documentation for '{name}' is missing")
        if kind == "enum":
            self.define_enum(name, value, info)
        elif kind in ("struct", "union"):
            self.reserve(name, info)
            self.pending_objects.append((value, info, kind == "union"))
        elif kind == "alternate":
            self.define_alternate(name, value, info)
        elif kind == "command":
            self.modules[module].append(self.define_command(name, value, info))
        else:
            self.modules[module].append(self.define_event(name, value, info))

    def reserve(self, name: str, info: SourceInfo) -> None:
        if name in self.types or name in self.infos:
            raise SchemaError(info, f"'{name}' is already defined")
        self.infos[name] = info

    def define_enum(self, name: str, value: dict[str, object], info: SourceInfo) -> None:
        self.reserve(name, info)
        values: list[str] = []
        value_features: dict[str, tuple[str, ...]] = {}
        for item in _list(value, "data", info):
            if isinstance(item, dict):
                v = _str(item, "name", info)
                value_features[v] = _features(item, info)
            elif isinstance(item, str):
                v = item
            else:
                raise SchemaError(info, f"enum '{name}' has a value that is not a string")
            if v in values:
                raise SchemaError(info, f"enum '{name}' has value '{v}' twice")
            values.append(v)
        self.types[name] = EnumType(
            name, tuple(values), value_features, _features(value, info), info
        )

    def define_alternate(self, name: str, value: dict[str, object], info: SourceInfo) -> None:
        self.reserve(name, info)
        alternatives = tuple(
            (branch, self.type_ref(typ, info)) for branch, typ in _dict(value, "data", info).items()
        )
        self.types[name] = AlternateType(name, alternatives, _features(value, info), info)

    def define_command(self, name: str, value: dict[str, object], info: SourceInfo) -> Command:
        boxed = _flag(value, "boxed", info)
        returns = value.get("returns")
        return Command(
            name,
            self.arg_type(name, value, boxed, info),
            None if returns is None else self.type_ref(returns, info),
            boxed=boxed,
            allow_oob=_flag(value, "allow-oob", info),
            allow_preconfig=_flag(value, "allow-preconfig", info),
            gen=_flag(value, "gen", info, default=True),
            success_response=_flag(value, "success-response", info, default=True),
            coroutine=_flag(value, "coroutine", info),
            features=_features(value, info),
            info=info,
        )

    def define_event(self, name: str, value: dict[str, object], info: SourceInfo) -> Event:
        boxed = _flag(value, "boxed", info)
        return Event(
            name,
            self.arg_type(name, value, boxed, info),
            boxed=boxed,
            features=_features(value, info),
            info=info,
        )

    def arg_type(
        self, name: str, value: dict[str, object], boxed: bool, info: SourceInfo
    ) -> str | None:
        data = value.get("data")
        if data is None:
            if boxed:
                raise SchemaError(info, f"'{name}': 'boxed': true requires 'data'")
            return None
        if isinstance(data, str):
            # A named type, boxed or not: its members are the arguments.
            return self.type_ref(data, info)
        if boxed:
            raise SchemaError(info, f"'{name}': 'boxed': true requires a type name as 'data'")
        implicit = f"q_obj_{name}-arg"
        self.reserve(implicit, info)
        self.pending_objects.append(({"struct": implicit, "data": data}, info, False))
        return implicit

    def type_ref(self, ref: object, info: SourceInfo) -> str:
        """A reference 'T' or ['T'] as a type name; resolved in check()."""
        if isinstance(ref, list):
            if len(ref) != 1 or not isinstance(ref[0], str):
                raise SchemaError(info, "an array type must be written ['TYPE']")
            element = ref[0]
            self.type_refs.append((element, info))
            name = _list_type(element)
            self.types.setdefault(name, ArrayType(name, element))
            return name
        if not isinstance(ref, str):
            raise SchemaError(info, f"invalid type reference {ref!r}")
        self.type_refs.append((ref, info))
        return ref

    def members(self, data: object, info: SourceInfo) -> tuple[Member, ...]:
        if not isinstance(data, dict):
            raise SchemaError(info, "'data' must be an object")
        result = []
        for key, typ in data.items():
            optional = key.startswith("*")
            name = key[1:] if optional else key
            features: tuple[str, ...] = ()
            if isinstance(typ, dict):
                unknown = set(typ) - {"type", "features"}
                if unknown:
                    raise SchemaError(info, f"member '{name}' has unknown key(s) {sorted(unknown)}")
                features = _features(typ, info)
                typ = typ.get("type")
            result.append(Member(name, self.type_ref(typ, info), optional, features))
        return tuple(result)

    # -- checking -----------------------------------------------------------

    def build_objects(self) -> None:
        """Define structs and unions, bases before the types using them."""
        raw = {
            _str(v, "union" if u else "struct", i): (v, i, u) for v, i, u in self.pending_objects
        }
        for name in raw:
            self.build_object(name, raw, ())

    def build_object(
        self,
        name: str,
        raw: Mapping[str, tuple[dict[str, object], SourceInfo, bool]],
        chain: tuple[str, ...],
    ) -> ObjectType:
        done = self.types.get(name)
        if isinstance(done, ObjectType):
            return done
        value, info, is_union = raw[name]
        if name in chain:
            raise SchemaError(info, f"object '{name}' is its own base")
        base_name: str | None = None
        base_members: tuple[Member, ...] = ()
        base = value.get("base")
        if isinstance(base, dict):
            base_name = f"q_obj_{name}-base"
            self.reserve(base_name, info)
            self.types[base_name] = ObjectType(
                base_name, self.members(base, info), info=info, implicit=True
            )
        elif isinstance(base, str):
            base_name = base
        elif base is not None:
            raise SchemaError(info, f"'{name}': 'base' must be a type name or an object")
        if base_name is not None:
            if base_name in raw:
                base_obj = self.build_object(base_name, raw, (*chain, name))
            else:
                found = self.types.get(base_name)
                if not isinstance(found, ObjectType):
                    raise SchemaError(info, f"'{name}': base '{base_name}' is not a struct")
                base_obj = found
            if base_obj.tag is not None:
                raise SchemaError(info, f"'{name}': base '{base_name}' is a union")
            base_members = base_obj.members
        if is_union:
            obj = self.union(name, value, info, base_name, base_members)
        else:
            own = self.members(value.get("data", {}), info)
            obj = ObjectType(
                name,
                _no_clash(name, base_members + own, info),
                base_name,
                features=_features(value, info),
                info=info,
                implicit=name.startswith("q_obj_"),
            )
        self.types[name] = obj
        return obj

    def union(
        self,
        name: str,
        value: dict[str, object],
        info: SourceInfo,
        base_name: str | None,
        members: tuple[Member, ...],
    ) -> ObjectType:
        tag = _str(value, "discriminator", info)
        tag_member = next((m for m in members if m.name == tag), None)
        if base_name is None or tag_member is None:
            raise SchemaError(info, f"union '{name}': discriminator '{tag}' is not a base member")
        enum = self.types.get(tag_member.type)
        if tag_member.optional or not isinstance(enum, EnumType):
            raise SchemaError(
                info, f"union '{name}': discriminator '{tag}' must be a mandatory enum"
            )
        written: list[tuple[str, str]] = []
        for case, typ in _dict(value, "data", info).items():
            if case not in enum.values:
                raise SchemaError(info, f"union '{name}': '{case}' is not a value of '{enum.name}'")
            written.append((case, self.type_ref(typ, info)))
        cases = {c for c, _ in written}
        implicit = [(v, EMPTY_OBJECT) for v in enum.values if v not in cases]
        return ObjectType(
            name,
            members,
            base_name,
            tag,
            tuple(written + implicit),
            _features(value, info),
            info,
        )

    def check(self) -> None:
        for ref, info in self.type_refs:
            if ref not in self.types:
                raise SchemaError(info, f"undefined type '{ref}'")
        for typ in self.types.values():
            if isinstance(typ, ObjectType):
                for _, variant in typ.variants:
                    if not isinstance(self.types[variant], ObjectType):
                        raise SchemaError(
                            typ.info, f"union '{typ.name}': '{variant}' is not a struct"
                        )
        for entity in self.entities():
            if entity.arg_type is not None:
                arg = self.types[entity.arg_type]
                if not isinstance(arg, ObjectType):
                    raise SchemaError(
                        entity.info, f"'{entity.name}': 'data' must be an object type"
                    )
                if arg.tag is not None and not entity.boxed:
                    raise SchemaError(entity.info, f"'{entity.name}': a union needs 'boxed': true")

    def entities(self) -> list[Command | Event]:
        return [e for module in self.modules.values() for e in module]

    def schema(self) -> Schema:
        self.build_objects()
        self.check()
        entities = self.entities()
        names = [e.name for e in entities]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            first = next(e for e in entities if e.name in duplicates)
            raise SchemaError(first.info, f"'{first.name}' is already defined")
        return Schema(
            types=dict(self.types),
            commands={e.name: e for e in entities if isinstance(e, Command)},
            events={e.name: e for e in entities if isinstance(e, Event)},
            entities=tuple(entities),
            pragma=dict(self.pragma),
        )


def _no_clash(name: str, members: tuple[Member, ...], info: SourceInfo) -> tuple[Member, ...]:
    seen = set()
    for m in members:
        if m.name in seen:
            raise SchemaError(info, f"'{name}': member '{m.name}' is defined twice")
        seen.add(m.name)
    return members


def _str(value: Mapping[str, object], key: str, info: SourceInfo) -> str:
    got = value.get(key)
    if not isinstance(got, str):
        raise SchemaError(info, f"'{key}' must be a string")
    return got


def _dict(value: Mapping[str, object], key: str, info: SourceInfo) -> dict[str, object]:
    got = value.get(key)
    if not isinstance(got, dict):
        raise SchemaError(info, f"'{key}' must be an object")
    return got


def _list(value: Mapping[str, object], key: str, info: SourceInfo) -> list[object]:
    got = value.get(key)
    if not isinstance(got, list):
        raise SchemaError(info, f"'{key}' must be an array")
    return got


def _flag(value: Mapping[str, object], key: str, info: SourceInfo, default: bool = False) -> bool:
    got = value.get(key, default)
    if not isinstance(got, bool):
        raise SchemaError(info, f"flag '{key}' must be a boolean")
    return got


def _features(value: Mapping[str, object], info: SourceInfo) -> tuple[str, ...]:
    features = value.get("features", [])
    if not isinstance(features, list):
        raise SchemaError(info, "'features' must be a list of names")
    result = []
    for f in features:
        name = f.get("name") if isinstance(f, dict) else f
        if not isinstance(name, str):
            raise SchemaError(info, "'features' must be a list of names")
        result.append(name)
    return tuple(result)


def parse_schema(path: Path) -> Schema:
    """Load and check the schema whose main file is ``path``.

    Raises:
        SchemaError: with ``file:line`` of the offending definition.
    """
    builder = _Builder()
    builder.include(path, None)
    return builder.schema()


@functools.cache
def _load_cached(path: Path) -> Schema:
    return parse_schema(path)


def load_schema(path: Path | None = None) -> Schema:
    """The schema at ``path`` (default: the repository's), loaded once per path."""
    return _load_cached((path or DEFAULT_SCHEMA_PATH).resolve())


def load_profile_schema(schema_dir: str) -> Schema:
    """A profile's schema: ``qapi-schema.json`` of ``schema_dir`` under schema/."""
    return load_schema(DEFAULT_SCHEMA_PATH.parent / schema_dir / DEFAULT_SCHEMA_PATH.name)
