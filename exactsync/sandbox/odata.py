"""The OData v2/v3 subset Exact clients use: `$filter`, `$select`, `$top`, `$skip`, `$skiptoken`,
`$inlinecount`, `$orderby`, `$expand` (reference 3.4).

`$filter` supports eq/ne/gt/ge/lt/le on strings, `guid'..'`, numbers (`123L`), booleans, `null`,
`datetime'..'`, `and`/`or`/`not`, parentheses, and the functions `trim`, `tolower`, `toupper`,
`substringof`, `startswith`, `endswith`. Anything else is "Error in query syntax." (reference 7.2).
String comparisons ignore case, as Exact's SQL Server collation does (sandbox choice).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .formats import PayloadError, date_ms, parse_iso

SYNTAX = "Error in query syntax."
Node = tuple[Any, ...]
Getter = Callable[[Mapping[str, Any]], Any]

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<prefixed>(?:guid|datetime|datetimeoffset)'[^']*')"
    r"|(?P<string>'(?:[^']|'')*')"
    r"|(?P<number>-?\d+(?:\.\d+)?[LlMmDdFf]?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<punct>[(),])"
    r")",
    re.IGNORECASE,
)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCS = {"trim": 1, "tolower": 1, "toupper": 1, "substringof": 2, "startswith": 2, "endswith": 2}
_EDM = {
    "g": "Edm.Guid",
    "s": "Edm.String",
    "i": "Edm.Int32",
    "l": "Edm.Int64",
    "d": "Edm.Double",
    "b": "Edm.Boolean",
    "y": "Edm.Byte",
    "t": "Edm.DateTime",
    "num": "Edm.Int64",
    "null": "null",
}
_KIND_OF_LITERAL = {
    "i": "num",
    "l": "num",
    "d": "num",
    "y": "num",
    "s": "s",
    "g": "g",
    "b": "b",
    "t": "t",
}


@dataclass
class Filter:
    """A compiled `$filter`: a predicate plus facts the server needs (fields, Timestamp floor)."""

    predicate: Callable[[Mapping[str, Any]], bool]
    fields: set[str] = field(default_factory=set)
    timestamp_after: int | None = None


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise PayloadError(SYNTAX)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent over the token list; builds tuples ("cmp", op, left, right) etc."""

    def __init__(self, text: str, types: Mapping[str, str], type_name: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0
        self.types = types
        self.type_name = type_name
        self.fields: set[str] = set()

    def peek(self) -> str:
        return self.tokens[self.i][1].lower() if self.i < len(self.tokens) else ""

    def take(self) -> tuple[str, str, int]:
        if self.i >= len(self.tokens):
            raise PayloadError(SYNTAX)
        self.i += 1
        return self.tokens[self.i - 1]

    def expect(self, text: str) -> None:
        if self.take()[1].lower() != text:
            raise PayloadError(SYNTAX)

    def parse(self) -> Node:
        node = self.or_expr()
        if self.i != len(self.tokens):
            raise PayloadError(SYNTAX)
        if self.kind(node) != "b":
            raise PayloadError(SYNTAX)
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.peek() == "or":
            self.take()
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while self.peek() == "and":
            self.take()
            node = ("and", node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == "not":
            self.take()
            return ("not", self.unary())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.operand()
        if self.peek() in _COMPARE:
            _, op, pos = self.take()
            right = self.operand()
            self.check_types(op.lower(), left, right, pos)
            return ("cmp", op.lower(), left, right)
        return left

    def operand(self) -> Node:
        kind, text, pos = self.take()
        low = text.lower()
        if kind == "punct" and text == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        if kind == "string":
            return ("lit", text[1:-1].replace("''", "'"), "s")
        if kind == "prefixed":
            prefix, _, rest = text.partition("'")
            return self.prefixed(prefix.lower(), rest[:-1])
        if kind == "number":
            body = text.rstrip("LlMmDdFf")
            return ("lit", float(body) if "." in body else int(body), "num")
        if kind == "name" and low in ("true", "false"):
            return ("lit", low == "true", "b")
        if kind == "name" and low == "null":
            return ("lit", None, "null")
        if kind == "name" and self.peek() == "(" and low in _FUNCS:
            return self.call(low)
        if kind == "name" and low not in _COMPARE | {"and", "or", "not"}:
            if self.peek() == "(":
                raise PayloadError(SYNTAX)
            if text not in self.types:
                raise PayloadError(
                    f"No property '{text}' exists in type '{self.type_name}' at position {pos}."
                )
            self.fields.add(text)
            return ("field", text)
        raise PayloadError(SYNTAX)

    def prefixed(self, prefix: str, body: str) -> Node:
        if prefix == "guid":
            if not re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", body):
                raise PayloadError(SYNTAX)
            return ("lit", body.lower(), "g")
        try:
            return ("lit", date_ms(parse_iso(body)), "t")
        except ValueError as exc:
            raise PayloadError(SYNTAX) from exc

    def call(self, name: str) -> Node:
        self.expect("(")
        args = [self.or_expr()]
        while self.peek() == ",":
            self.take()
            args.append(self.or_expr())
        self.expect(")")
        if len(args) != _FUNCS[name] or any(self.kind(a) not in ("s", "null") for a in args):
            raise PayloadError(SYNTAX)
        return ("call", name, *args)

    def kind(self, node: Node) -> str:
        tag = node[0]
        if tag == "lit":
            return node[2]
        if tag == "field":
            return _KIND_OF_LITERAL.get(self.types[node[1]], "x")
        if tag == "call":
            return "s" if node[1] in ("trim", "tolower", "toupper") else "b"
        return "b"

    def check_types(self, op: str, left: Node, right: Node, pos: int) -> None:
        a, b = self.kind(left), self.kind(right)
        if a == b or "null" in (a, b):
            return
        edm_a = _EDM.get(self.types.get(left[1], a) if left[0] == "field" else a, a)
        edm_b = _EDM.get(self.types.get(right[1], b) if right[0] == "field" else b, b)
        raise PayloadError(
            f"Operator '{op}' incompatible with operand types '{edm_a}' and '{edm_b}' at position {pos}."
        )


def _fold(value: Any) -> Any:
    if isinstance(value, str):
        if value.startswith("/Date("):
            return date_ms(value)
        return value.lower()
    return value


def _compile(node: Node) -> Getter:
    tag = node[0]
    if tag == "lit":
        value = node[1]
        return lambda row: value
    if tag == "field":
        name = node[1]
        return lambda row: row.get(name)
    if tag == "not":
        inner = _compile(node[1])
        return lambda row: not inner(row)
    if tag in ("and", "or"):
        left, right = _compile(node[1]), _compile(node[2])
        if tag == "and":
            return lambda row: bool(left(row)) and bool(right(row))
        return lambda row: bool(left(row)) or bool(right(row))
    if tag == "call":
        return _compile_call(node)
    return _compile_compare(node[1], _compile(node[2]), _compile(node[3]))


def _compile_call(node: Node) -> Getter:
    name, args = node[1], [_compile(a) for a in node[2:]]
    if name == "trim":
        return lambda row: (args[0](row) or "").strip()
    if name == "tolower":
        return lambda row: (args[0](row) or "").lower()
    if name == "toupper":
        return lambda row: (args[0](row) or "").upper()
    if name == "substringof":  # OData v2 order: substringof(needle, haystack)
        return lambda row: (args[0](row) or "").lower() in (args[1](row) or "").lower()
    if name == "startswith":
        return lambda row: (args[0](row) or "").lower().startswith((args[1](row) or "").lower())
    return lambda row: (args[0](row) or "").lower().endswith((args[1](row) or "").lower())


def _compile_compare(op: str, left: Getter, right: Getter) -> Getter:
    def compare(row: Mapping[str, Any]) -> bool:
        a, b = _fold(left(row)), _fold(right(row))
        if op == "eq":
            return a == b
        if op == "ne":
            return a != b
        if a is None or b is None:
            return False
        if op == "gt":
            return a > b
        if op == "ge":
            return a >= b
        if op == "lt":
            return a < b
        return a <= b

    return compare


def _timestamp_floor(node: Node) -> int | None:
    """The lower bound a top-level `Timestamp gt N` (or ge) puts on a sync read."""
    if node[0] == "and":
        floors = [
            f for f in (_timestamp_floor(node[1]), _timestamp_floor(node[2])) if f is not None
        ]
        return max(floors) if floors else None
    if node[0] == "cmp" and node[2] == ("field", "Timestamp") and node[3][0] == "lit":
        value = node[3][1]
        if isinstance(value, int) and node[1] in ("gt", "ge"):
            return value if node[1] == "gt" else value - 1
    return None


def compile_filter(text: str, types: Mapping[str, str], type_name: str) -> Filter:
    """Parse and compile a `$filter` against an entity's property types."""
    parser = _Parser(text, types, type_name)
    tree = parser.parse()
    getter = _compile(tree)
    return Filter(lambda row: bool(getter(row)), parser.fields, _timestamp_floor(tree))


@dataclass
class Query:
    """The system query options of one request, validated."""

    filter: Filter | None = None
    select: list[str] | None = None
    top: int | None = None
    skip: int = 0
    skiptoken: str | None = None
    inlinecount: bool = False
    orderby: list[tuple[str, bool]] = field(default_factory=list)
    expand: set[str] = field(default_factory=set)


_KNOWN_OPTIONS = {
    "$filter",
    "$select",
    "$top",
    "$skip",
    "$skiptoken",
    "$inlinecount",
    "$orderby",
    "$expand",
    "$format",
}


def parse_query(args: Mapping[str, str], types: Mapping[str, str], type_name: str) -> Query:
    """Validate the `$` options of a collection read (reference 3.4 error texts)."""
    for name in args:
        if name.startswith("$") and name not in _KNOWN_OPTIONS:
            raise PayloadError(
                f"The query parameter '{name}' begins with a system-reserved '$' character but is not recognized."
            )
    query = Query()
    if args.get("$filter", "").strip():
        query.filter = compile_filter(args["$filter"], types, type_name)
    if "$select" in args:
        query.select = _parse_select(args["$select"], types, type_name)
    query.top = _non_negative(args.get("$top"))
    query.skip = _non_negative(args.get("$skip")) or 0
    query.skiptoken = args.get("$skiptoken") or None
    count = args.get("$inlinecount", "none").lower()
    if count not in ("none", "allpages"):
        raise PayloadError(SYNTAX)
    query.inlinecount = count == "allpages"
    for part in filter(None, (p.strip() for p in args.get("$orderby", "").split(","))):
        name, _, direction = part.partition(" ")
        if name not in types or direction.strip().lower() not in ("", "asc", "desc"):
            raise PayloadError(SYNTAX)
        query.orderby.append((name, direction.strip().lower() == "desc"))
    query.expand = {e.strip() for e in args.get("$expand", "").split(",") if e.strip()}
    for name in query.expand:
        if types.get(name) != "c":
            raise PayloadError(f"Could not find a property named '{name}' on type '{type_name}'.")
    return query


def _parse_select(text: str, types: Mapping[str, str], type_name: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names or names == ["*"]:
        return list(types)
    for name in names:
        if name not in types:
            raise PayloadError(f"Type '{type_name}' does not have a property named '{name}'.")
    return names


def _non_negative(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise PayloadError(SYNTAX)
    return int(value)


def parse_key(segment: str) -> str | None:
    """`guid'...'` (key addressing and skiptokens) -> lower-case GUID, else None."""
    match = re.fullmatch(r"guid'([0-9a-fA-F-]{36})'", segment.strip())
    return match.group(1).lower() if match else None


def parse_long(segment: str) -> int | None:
    """`12345L` (sync skiptokens) -> 12345, else None."""
    match = re.fullmatch(r"(\d+)L?", segment.strip())
    return int(match.group(1)) if match else None
