"""A deliberately small GraphQL engine for the Shopify sandbox.

Enough of the language for the Admin API calls our connector and the tests make: operations
with variables (and defaults), aliases, arguments (literals, enums, lists, objects, variables),
field directives, named and inline fragments. Queries are validated against a tiny schema (a
dict: type -> field -> type reference) so unknown fields fail as Shopify fails them, and the
requested cost is computed the way Shopify documents it (scalars 0, objects 1, connections
2 + first x node cost, mutations 10). Data comes from plain dicts whose values may be callables
`fn(args, field)`; the executor projects them onto the selection. No Django imports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# -- AST ---------------------------------------------------------------------------------------


@dataclass
class Var:
    name: str


class EnumValue(str):
    """A bare name in value position (UPDATED_AT, ORDERS_CREATE)."""


@dataclass
class Directive:
    name: str
    args: dict[str, Any]


@dataclass
class Field:
    name: str
    alias: str | None
    args: dict[str, Any]
    directives: list[Directive]
    selections: list[Any] | None
    line: int
    column: int

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class FragmentSpread:
    name: str
    line: int
    column: int


@dataclass
class InlineFragment:
    type_condition: str | None
    selections: list[Any]


@dataclass
class Operation:
    kind: str  # "query" | "mutation"
    name: str | None
    variables: dict[str, tuple[str, Any, bool]]  # name -> (type, default, has_default)
    selections: list[Any]


@dataclass
class Fragment:
    name: str
    type_condition: str
    selections: list[Any]


@dataclass
class Document:
    operations: list[Operation] = field(default_factory=list)
    fragments: dict[str, Fragment] = field(default_factory=dict)


# -- errors ------------------------------------------------------------------------------------


class RequestError(Exception):
    """The request cannot run at all: answer with `errors` only (no `data`)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"] if errors else "error")
        self.errors = errors


class FieldError(Exception):
    """A resolver failed: the field becomes null and the error is listed with its path."""

    def __init__(self, message: str, code: str | None = None, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = {"code": code, **extensions} if code else extensions


def error(
    message: str,
    *,
    code: str | None = None,
    line: int | None = None,
    column: int | None = None,
    path: list[Any] | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    out: dict[str, Any] = {"message": message}
    if line is not None:
        out["locations"] = [{"line": line, "column": column or 1}]
    if path is not None:
        out["path"] = path
    if code or extensions:
        out["extensions"] = {**({"code": code} if code else {}), **extensions}
    return out


# -- lexer and parser --------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<ws>[\s,\ufeff]+|\#[^\n]*)"
    r'|(?P<block>"""(?:\\"""|[^"]|"(?!""))*""")'
    r'|(?P<str>"(?:\\.|[^"\\\n])*")'
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<spread>\.\.\.)"
    r"|(?P<punct>[!$():=@\[\]{}|&])"
    r"|(?P<name>[_A-Za-z][_0-9A-Za-z]*)"
)


@dataclass
class _Tok:
    kind: str
    value: str
    line: int
    column: int


def _tokens(source: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if not m:
            raise RequestError(
                [
                    error(
                        f'Parse error on "{source[pos]}" at [{line}, {pos - line_start + 1}]',
                        line=line,
                        column=pos - line_start + 1,
                    )
                ]
            )
        kind = m.lastgroup or ""
        text = m.group()
        if kind != "ws":
            out.append(_Tok(kind, text, line, pos - line_start + 1))
        newlines = text.count("\n")
        if newlines:
            line += newlines
            line_start = pos + text.rfind("\n") + 1
        pos = m.end()
    out.append(_Tok("eof", "", line, pos - line_start + 1))
    return out


class _Parser:
    def __init__(self, source: str) -> None:
        self.toks = _tokens(source)
        self.i = 0

    # helpers
    def peek(self, value: str | None = None, kind: str | None = None) -> bool:
        tok = self.toks[self.i]
        return (value is None or tok.value == value) and (kind is None or tok.kind == kind)

    def take(self, value: str | None = None, kind: str | None = None) -> _Tok:
        tok = self.toks[self.i]
        if (value is not None and tok.value != value) or (kind is not None and tok.kind != kind):
            shown = tok.value or "end of file"
            raise RequestError(
                [
                    error(
                        f'Parse error on "{shown}" ({tok.kind.upper()}) at '
                        f"[{tok.line}, {tok.column}]",
                        line=tok.line,
                        column=tok.column,
                    )
                ]
            )
        self.i += 1
        return tok

    def name(self) -> str:
        return self.take(kind="name").value

    # grammar
    def document(self) -> Document:
        doc = Document()
        while not self.peek(kind="eof"):
            if self.peek("{"):
                doc.operations.append(Operation("query", None, {}, self.selection_set()))
            elif self.peek("fragment"):
                self.take()
                name = self.name()
                self.take("on")
                frag = Fragment(name, self.name(), [])
                self.directives()
                frag.selections = self.selection_set()
                doc.fragments[name] = frag
            elif self.peek("query") or self.peek("mutation"):
                kind = self.take().value
                name = self.name() if self.peek(kind="name") else None
                variables = self.variable_defs() if self.peek("(") else {}
                self.directives()
                doc.operations.append(Operation(kind, name, variables, self.selection_set()))
            else:
                self.take(kind="eof")  # raises a parse error on the unexpected token
        if not doc.operations:
            raise RequestError([error("No operations in query document")])
        return doc

    def variable_defs(self) -> dict[str, tuple[str, Any, bool]]:
        out: dict[str, tuple[str, Any, bool]] = {}
        self.take("(")
        while not self.peek(")"):
            self.take("$")
            name = self.name()
            self.take(":")
            type_ref = self.type_ref()
            has_default = False
            default = None
            if self.peek("="):
                self.take()
                default, has_default = self.value(const=True), True
            out[name] = (type_ref, default, has_default)
        self.take(")")
        return out

    def type_ref(self) -> str:
        if self.peek("["):
            self.take()
            inner = self.type_ref()
            self.take("]")
            ref = f"[{inner}]"
        else:
            ref = self.name()
        if self.peek("!"):
            self.take()
            ref += "!"
        return ref

    def directives(self) -> list[Directive]:
        out = []
        while self.peek("@"):
            self.take()
            name = self.name()
            out.append(Directive(name, self.arguments() if self.peek("(") else {}))
        return out

    def selection_set(self) -> list[Any]:
        self.take("{")
        out: list[Any] = []
        while not self.peek("}"):
            out.append(self.selection())
        self.take("}")
        if not out:
            tok = self.toks[self.i - 1]
            raise RequestError(
                [
                    error(
                        f'Parse error on "}}" (RCURLY) at [{tok.line}, {tok.column}]',
                        line=tok.line,
                        column=tok.column,
                    )
                ]
            )
        return out

    def selection(self) -> Any:
        if self.peek(kind="spread"):
            tok = self.take()
            if self.peek("on"):
                self.take()
                cond = self.name()
                self.directives()
                return InlineFragment(cond, self.selection_set())
            if self.peek("{") or self.peek("@"):
                self.directives()
                return InlineFragment(None, self.selection_set())
            return FragmentSpread(self.name(), tok.line, tok.column)
        tok = self.take(kind="name")
        alias, name = None, tok.value
        if self.peek(":"):
            self.take()
            alias, name = name, self.name()
        args = self.arguments() if self.peek("(") else {}
        directives = self.directives()
        selections = self.selection_set() if self.peek("{") else None
        return Field(name, alias, args, directives, selections, tok.line, tok.column)

    def arguments(self) -> dict[str, Any]:
        self.take("(")
        out: dict[str, Any] = {}
        while not self.peek(")"):
            name = self.name()
            self.take(":")
            out[name] = self.value()
        self.take(")")
        return out

    def value(self, const: bool = False) -> Any:
        tok = self.toks[self.i]
        if tok.value == "$" and not const:
            self.take()
            return Var(self.name())
        if tok.kind == "num":
            self.take()
            return float(tok.value) if any(c in tok.value for c in ".eE") else int(tok.value)
        if tok.kind == "str":
            self.take()
            return json.loads(tok.value)
        if tok.kind == "block":
            self.take()
            return tok.value[3:-3].replace('\\"""', '"""').strip()
        if tok.value == "[":
            self.take()
            items = []
            while not self.peek("]"):
                items.append(self.value(const))
            self.take("]")
            return items
        if tok.value == "{":
            self.take()
            obj = {}
            while not self.peek("}"):
                key = self.name()
                self.take(":")
                obj[key] = self.value(const)
            self.take("}")
            return obj
        if tok.kind == "name":
            self.take()
            return {"true": True, "false": False, "null": None}.get(tok.value, EnumValue(tok.value))
        return self.take(kind="name")  # raises


def parse(source: str) -> Document:
    return _Parser(source).document()


# -- schema ------------------------------------------------------------------------------------


class Schema:
    """Types as {type: {field: type_ref}}; `XConnection`/`XEdge` are derived automatically.

    A type reference is a type name, optionally wrapped as `[Name]`. Names absent from `types`
    (and not a connection or edge) are scalars or enums.
    """

    def __init__(
        self,
        types: dict[str, dict[str, str]],
        *,
        query: str = "QueryRoot",
        mutation: str = "Mutation",
        interfaces: dict[str, set[str]] | None = None,
    ) -> None:
        self.types = dict(types)
        self.types.setdefault(
            "PageInfo",
            {
                "hasNextPage": "Boolean",
                "hasPreviousPage": "Boolean",
                "startCursor": "String",
                "endCursor": "String",
            },
        )
        self.query = query
        self.mutation = mutation
        self.interfaces = interfaces or {}  # interface name -> concrete type names

    def fields(self, type_name: str) -> dict[str, str] | None:
        if type_name in self.types:
            return self.types[type_name]
        if type_name.endswith("Connection"):
            base = type_name[: -len("Connection")]
            return {"nodes": f"[{base}]", "edges": f"[{base}Edge]", "pageInfo": "PageInfo"}
        if type_name.endswith("Edge"):
            return {"node": type_name[: -len("Edge")], "cursor": "String"}
        return None

    def is_object(self, type_name: str) -> bool:
        return self.fields(type_name) is not None

    def matches(self, condition: str | None, type_name: str) -> bool:
        return (
            condition is None
            or condition == type_name
            or type_name in self.interfaces.get(condition, set())
        )


def unwrap(type_ref: str) -> tuple[bool, str]:
    ref = type_ref.rstrip("!")
    if ref.startswith("["):
        return True, ref[1:-1].rstrip("!")
    return False, ref


# -- validation, variables and requested cost ----------------------------------------------------

MAX_PAGE = 250
MUTATION_COST = 10


@dataclass
class Prepared:
    operation: Operation
    document: Document
    variables: dict[str, Any]
    root_type: str
    requested_cost: int

    @property
    def root_fields(self) -> list[str]:
        return [f.name for f in self.operation.selections if isinstance(f, Field)]


class _Validator:
    def __init__(
        self, schema: Schema, doc: Document, op: Operation, variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.doc = doc
        self.op = op
        self.variables = variables
        self.errors: list[dict[str, Any]] = []
        self.op_label = f"{op.kind} {op.name}" if op.name else op.kind

    def args(self, f: Field) -> dict[str, Any]:
        return resolve_value(f.args, self.variables)

    def check_vars(self, value: Any, f: Field) -> None:
        if isinstance(value, Var):
            if value.name not in self.op.variables:
                self.errors.append(
                    error(
                        f"Variable ${value.name} is used by {self.op.name or 'anonymous query'} "
                        "but not declared",
                        code="variableNotDefined",
                        line=f.line,
                        column=f.column,
                        path=[self.op_label],
                        variableName=value.name,
                    )
                )
        elif isinstance(value, list):
            for v in value:
                self.check_vars(v, f)
        elif isinstance(value, dict):
            for v in value.values():
                self.check_vars(v, f)

    def walk(
        self,
        type_name: str,
        selections: list[Any],
        path: list[str],
        seen: frozenset[str] = frozenset(),
    ) -> int:
        """Validate the selection on type_name; return its requested cost (children only)."""
        cost = 0
        for sel in selections:
            if isinstance(sel, FragmentSpread):
                frag = self.doc.fragments.get(sel.name)
                if frag is None or sel.name in seen:
                    self.errors.append(
                        error(
                            f"Fragment {sel.name} was used, but not defined",
                            code="useAndDefineFragment",
                            line=sel.line,
                            column=sel.column,
                            path=path,
                            fragmentName=sel.name,
                        )
                    )
                    continue
                cost += self.walk(frag.type_condition, frag.selections, path, seen | {sel.name})
            elif isinstance(sel, InlineFragment):
                cost += self.walk(sel.type_condition or type_name, sel.selections, path, seen)
            else:
                cost += self.field(type_name, sel, path, seen)
        return cost

    def field(self, type_name: str, f: Field, path: list[str], seen: frozenset[str]) -> int:
        fpath = [*path, f.key]
        if f.name == "__typename":
            return 0
        fields = self.schema.fields(type_name) or {}
        if f.name not in fields:
            self.errors.append(
                error(
                    f"Field '{f.name}' doesn't exist on type '{type_name}'",
                    code="undefinedField",
                    line=f.line,
                    column=f.column,
                    path=fpath,
                    typeName=type_name,
                    fieldName=f.name,
                )
            )
            return 0
        self.check_vars(f.args, f)
        for d in f.directives:
            self.check_vars(d.args, f)
        is_list, base = unwrap(fields[f.name])
        if not self.schema.is_object(base):
            if f.selections:
                self.errors.append(
                    error(
                        f"Selections can't be made on scalars (field '{f.name}' returns {base} but "
                        "has selections [...])",
                        code="selectionMismatch",
                        line=f.line,
                        column=f.column,
                        path=fpath,
                        nodeName=f"field '{f.name}'",
                        typeName=base,
                    )
                )
            return 0
        if not f.selections:
            self.errors.append(
                error(
                    f"Field must have selections (field '{f.name}' returns {base} but has no "
                    f"selections. Did you mean '{f.name} {{ ... }}'?)",
                    code="selectionMismatch",
                    line=f.line,
                    column=f.column,
                    path=fpath,
                    nodeName=f"field '{f.name}'",
                    typeName=base,
                )
            )
            return 0
        if base.endswith("Connection"):
            return self.connection(base, f, fpath, seen)
        child = 1 + self.walk(base, f.selections, fpath, seen)
        ids = self.args(f).get("ids") if is_list else None
        if isinstance(ids, list):
            return max(1, len(ids)) * child
        return child

    def connection(self, base: str, f: Field, fpath: list[str], seen: frozenset[str]) -> int:
        args = self.args(f)
        size = args.get("first") if args.get("first") is not None else args.get("last")
        if size is None:
            self.errors.append(
                error(
                    "you must provide one of first or last",
                    line=f.line,
                    column=f.column,
                    path=fpath,
                )
            )
            return 0
        if not isinstance(size, int) or not 0 <= size <= MAX_PAGE:
            self.errors.append(
                error(
                    f"Argument '{'first' if 'first' in args else 'last'}' on Field '{f.name}' must be "
                    f"in the range 0..{MAX_PAGE}",
                    code="argumentLiteralsIncompatible",
                    line=f.line,
                    column=f.column,
                    path=fpath,
                )
            )
            return 0
        node_type = base[: -len("Connection")]
        node_cost = 0
        for sel in self._flatten(f.selections or []):
            if sel.name == "nodes" and sel.selections:
                node_cost = max(
                    node_cost, 1 + self.walk(node_type, sel.selections, [*fpath, "nodes"], seen)
                )
            elif sel.name == "edges" and sel.selections:
                for inner in self._flatten(sel.selections):
                    if inner.name == "node" and inner.selections:
                        node_cost = max(
                            node_cost,
                            1
                            + self.walk(
                                node_type, inner.selections, [*fpath, "edges", "node"], seen
                            ),
                        )
                    elif inner.name not in ("cursor", "__typename"):
                        self.field(f"{node_type}Edge", inner, [*fpath, "edges"], seen)
            elif sel.name not in ("nodes", "edges"):
                self.field(base, sel, fpath, seen)
        return 2 + size * node_cost

    def _flatten(self, selections: list[Any]) -> Iterator[Field]:
        for sel in selections:
            if isinstance(sel, Field):
                yield sel
            elif isinstance(sel, InlineFragment):
                yield from self._flatten(sel.selections)
            elif isinstance(sel, FragmentSpread) and sel.name in self.doc.fragments:
                yield from self._flatten(self.doc.fragments[sel.name].selections)


def resolve_value(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, Var):
        return variables.get(value.name)
    if isinstance(value, list):
        return [resolve_value(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: resolve_value(v, variables) for k, v in value.items()}
    return value


def prepare(
    schema: Schema,
    source: str,
    *,
    operation_name: str | None = None,
    variables: dict[str, Any] | None = None,
) -> Prepared:
    """Parse, pick the operation, coerce variables, validate and price; RequestError if not."""
    doc = parse(source)
    if operation_name:
        ops = [o for o in doc.operations if o.name == operation_name]
        if not ops:
            raise RequestError([error(f'No operation named "{operation_name}"')])
        op = ops[0]
    elif len(doc.operations) > 1:
        raise RequestError([error("An operation name is required")])
    else:
        op = doc.operations[0]
    given = dict(variables or {})
    values: dict[str, Any] = {}
    problems = []
    for name, (type_ref, default, has_default) in op.variables.items():
        if name in given:
            values[name] = given[name]
        elif has_default:
            values[name] = default
        if type_ref.endswith("!") and values.get(name) is None:
            problems.append(
                error(
                    f"Variable ${name} of type {type_ref} was provided invalid value",
                    code="INVALID_VARIABLE",
                    value=None,
                    problems=[{"path": [], "explanation": "Expected value to not be null"}],
                )
            )
    if problems:
        raise RequestError(problems)
    root = schema.mutation if op.kind == "mutation" else schema.query
    validator = _Validator(schema, doc, op, values)
    cost = validator.walk(root, op.selections, [validator.op_label])
    if validator.errors:
        raise RequestError(validator.errors)
    if op.kind == "mutation":
        cost = MUTATION_COST * sum(1 for s in op.selections if isinstance(s, Field))
    return Prepared(op, doc, values, root, cost)


# -- execution ---------------------------------------------------------------------------------


@dataclass
class Info:
    """What a resolver learns about the field it resolves."""

    field: Field
    directives: dict[str, dict[str, Any]]  # directive name -> resolved arguments
    path: list[Any]


Resolver = Callable[[dict[str, Any], Info], Any]


class _Executor:
    def __init__(self, schema: Schema, prepared: Prepared) -> None:
        self.schema = schema
        self.prepared = prepared
        self.errors: list[dict[str, Any]] = []

    def collect(self, selections: list[Any], type_name: str) -> Iterator[Field]:
        for sel in selections:
            if isinstance(sel, Field):
                yield sel
            elif isinstance(sel, InlineFragment):
                if self.schema.matches(sel.type_condition, type_name):
                    yield from self.collect(sel.selections, type_name)
            else:
                frag = self.prepared.document.fragments[sel.name]
                if self.schema.matches(frag.type_condition, type_name):
                    yield from self.collect(frag.selections, type_name)

    def object(
        self, obj: dict[str, Any], type_name: str, selections: list[Any], path: list[Any]
    ) -> tuple[dict[str, Any], int]:
        type_name = obj.get("__typename", type_name)
        fields = self.schema.fields(type_name) or {}
        out: dict[str, Any] = {}
        cost = 0
        for f in self.collect(selections, type_name):
            if f.name == "__typename":
                out[f.key] = type_name
                continue
            raw = obj.get(f.name)
            if callable(raw):
                info = Info(
                    f,
                    {d.name: resolve_value(d.args, self.prepared.variables) for d in f.directives},
                    [*path, f.key],
                )
                try:
                    raw = raw(resolve_value(f.args, self.prepared.variables), info)
                except FieldError as exc:
                    self.errors.append(
                        error(
                            exc.message,
                            line=f.line,
                            column=f.column,
                            path=[*path, f.key],
                            **exc.extensions,
                        )
                    )
                    out[f.key] = None
                    continue
            value, c = self.complete(raw, fields.get(f.name, "String"), f, [*path, f.key])
            out[f.key] = value
            cost += c
        return out, cost

    def complete(self, raw: Any, type_ref: str, f: Field, path: list[Any]) -> tuple[Any, int]:
        if raw is None:
            return None, 0
        is_list, base = unwrap(type_ref)
        if not self.schema.is_object(base):
            if isinstance(raw, Decimal):
                return str(raw), 0
            return raw, 0
        if is_list:
            items, costs = [], []
            for i, item in enumerate(raw):
                value, c = self.complete(item, base, f, [*path, i])
                items.append(value)
                costs.append(c)
            # connection pages and nodes(ids:) are paid per item; other lists once
            per_item = f.name in ("nodes", "edges") or "ids" in f.args
            return items, (sum(costs) if per_item else max(costs, default=0))
        value, c = self.object(raw, base, f.selections or [], path)
        return value, (2 if base.endswith("Connection") else 1) + c


def execute(
    schema: Schema, prepared: Prepared, root: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """Run a prepared operation against root; return (data, errors, actual cost)."""
    ex = _Executor(schema, prepared)
    data, cost = ex.object(root, prepared.root_type, prepared.operation.selections, [])
    if prepared.operation.kind == "mutation":
        cost = prepared.requested_cost
    return data, ex.errors, min(cost, prepared.requested_cost)
