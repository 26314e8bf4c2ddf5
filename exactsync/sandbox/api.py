"""The REST surface under `/api/v1/{division}`: collection reads with paging and envelopes, key
addressing, and writes dispatched to the domain mixins (reference 2, 3; system.py has the rest).

Envelopes (reference 3.2): `{"d":{"results":[...],"__next":"<absolute url>"}}`; with `$top` and
no `$inlinecount` the bare array `{"d":[...]}` (sandbox choice for the unverified trigger);
`$inlinecount=allpages` adds `__count` (a string). `__next` is absent on the last page.
Paging order: insertion order for normal/bulk reads (`$skiptoken=guid'<last key>'`), Timestamp
order for sync reads (`$skiptoken=<last Timestamp>L`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from .endpoints import BY_PATH, Endpoint
from .formats import (
    BusinessError,
    EntityNotFound,
    PayloadError,
    api_response,
    error_body,
    wants_json,
)
from .odata import SYNTAX, Query, parse_key, parse_long, parse_query
from .store import DivisionState, Row

_RESOURCE = re.compile(r"^(?P<path>[^()]+?)(?:\((?P<key>[^)]*)\))?$")
MANDATORY = (
    "This endpoint has mandatory filtering applied. A GET request for this endpoint must have a "
    "$filter parameter with one of the following fields in the url:"
)
SELECT_OR_TOP = "Please add a $select or a $top=1 statement to the query string."


def _quote(value: str) -> str:
    return quote(value, safe="$'(),:=/@*")


def next_url(request: Request, **changes: str | None) -> str:
    """The absolute URL of the next page: the request's own URL with options replaced."""
    params = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    params += [(k, v) for k, v in changes.items() if v is not None]
    query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in params)
    return f"{request.host_url.rstrip('/')}{request.path}?{query}"


class ApiMixin:
    """GET/POST/PUT/DELETE on `/api/v1/{division}/...` plus `current/Me`."""

    lock: Any
    divisions: dict[int, DivisionState]
    state: DivisionState
    client_id: str
    user_id: str
    bare_array_on_top: bool
    create_handlers: dict[str, Callable[[Any], Row]]
    # provided by other parts of ExactSandbox
    _special_read: Callable[[Request, DivisionState, str], Response | None]
    update_handler: Callable[[str, str, Any], None]
    delete_handler: Callable[[str, str], None]

    now: Callable[[], float]  # provided by ExactSandbox

    def respond(
        self, request: Request, data: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        """JSON when the client sent `Accept: application/json`, Atom-like XML otherwise."""
        return api_response(
            data,
            status=status,
            json_format=wants_json(request.headers.get("Accept")),
            headers=headers,
        )

    def api_error(
        self, request: Request, message: str, status: int, headers: dict[str, str] | None = None
    ) -> Response:
        """Exact's error envelope with `message.value` (reference 7.1)."""
        return self.respond(request, error_body(message), status, headers)

    # -- routing -------------------------------------------------------------------------------
    def api_resource(self, request: Request, division: int, resource: str) -> Response:
        """Everything under `/api/v1/{division}/`."""
        with self.lock:
            return self._api_resource(request, self.divisions[division], resource)

    def _api_resource(self, request: Request, state: DivisionState, resource: str) -> Response:
        try:
            special = self._special_read(request, state, resource)
            if special is not None:
                return special
            match = _RESOURCE.match(resource)
            endpoint = BY_PATH.get(match.group("path").lower()) if match else None
            if endpoint is None or match is None:
                return self.api_error(
                    request, f"Resource not found for the segment '{resource.split('/')[-1]}'.", 404
                )
            if request.method not in endpoint.methods:
                return self.api_error(
                    request,
                    f"The requested resource does not support http method '{request.method}'.",
                    405,
                )
            raw_key = match.group("key")
            key = parse_key(raw_key) if raw_key is not None else None
            if raw_key is not None and key is None:
                raise PayloadError(SYNTAX)
            return self._handle(request, state, endpoint, key)
        except PayloadError as exc:
            return self.api_error(request, str(exc), 400)
        except BusinessError as exc:
            return self.api_error(request, str(exc), 500)
        except EntityNotFound as exc:
            return self.api_error(
                request, f"Resource not found for the segment '{exc.args[0]}'.", 404
            )

    def _handle(
        self, request: Request, state: DivisionState, ep: Endpoint, key: str | None
    ) -> Response:
        segment = ep.path.split("/")[-1]
        if request.method == "GET":
            if key is None:
                return self.respond(request, self.read_collection(request, state, ep))
            row = state[ep.table].get(key)
            if row is None or ep.kind == "sync" or not self._visible(ep, row):
                raise EntityNotFound(segment)
            query = parse_query(request.args, ep.fields, ep.type_name)
            return self.respond(request, {"d": self.serialize(request, state, ep, row, query)})
        if state is not self.state:
            raise BusinessError("Deze administratie is alleen-lezen in de sandbox")
        if request.method == "POST" and key is None:
            body = request.get_json(force=True, silent=True)
            if not isinstance(body, dict):
                raise PayloadError(
                    "Error processing request stream. The request should be a valid top-level resource object."
                )
            row = self.create_handlers[ep.table](body)
            representation = "return=representation" in request.headers.get("Prefer", "")
            return self.respond(
                request, {"d": self._created(request, state, ep, row, body, representation)}, 201
            )
        if key is None:
            return self.api_error(
                request,
                f"The requested resource does not support http method '{request.method}'.",
                405,
            )
        if request.method == "PUT":
            body = request.get_json(force=True, silent=True)
            self.update_handler(ep.table, key, body)
        else:
            self.delete_handler(ep.table, key)
        return Response(status=204)

    def _created(
        self, request: Request, state: DivisionState, ep: Endpoint, row: Row, body: Row, full: bool
    ) -> Row:
        """With `Prefer: return=representation` the full entity; without it only what was posted
        plus the key, the rest null (reference 3.1: "mostly nulls")."""
        out = self.serialize(request, state, ep, row, Query(expand=set(ep.collections)))
        if full:
            return out
        return {
            k: (v if k in body or k in (ep.key, "__metadata") else None) for k, v in out.items()
        }

    def _visible(self, ep: Endpoint, row: Row) -> bool:
        return ep.table != "webhook_subscriptions" or row.get("ClientID") == self.client_id

    # -- reads ---------------------------------------------------------------------------------
    def read_collection(
        self, request: Request, state: DivisionState, ep: Endpoint
    ) -> dict[str, Any]:
        """One page of a collection read, in the right envelope."""
        query = parse_query(request.args, ep.fields, ep.type_name)
        self._check_restrictions(ep, query)
        predicate = self._predicate(state, ep, query)
        page = ep.page_size if query.top is None else min(ep.page_size, query.top)
        if ep.kind == "sync":
            after = max(
                query.filter.timestamp_after or 0 if query.filter else 0,
                parse_long(query.skiptoken or "0") or 0,
            )
            rows, more = state[ep.table].since(after, page, predicate)
            token = f"{rows[-1]['Timestamp']}L" if rows else None
        else:
            rows, more, token = self._normal_page(state, ep, query, predicate, page)
        next_link = None
        if more and token is not None and (query.top is None or query.top > page):
            top = None if query.top is None else str(query.top - page)
            next_link = (
                next_url(request, **{"$skiptoken": token, "$skip": None, "$top": top})
                if not query.orderby
                else next_url(request, **{"$skip": str(query.skip + page), "$top": top})
            )
        results = [self.serialize(request, state, ep, row, query) for row in rows]
        if query.top is not None and not query.inlinecount and self.bare_array_on_top:
            return {"d": results}
        d: dict[str, Any] = {"results": results}
        if query.inlinecount:
            d["__count"] = str(
                sum(1 for row in state[ep.table].values() if predicate is None or predicate(row))
            )
        if next_link:
            d["__next"] = next_link
        return {"d": d}

    def _check_restrictions(self, ep: Endpoint, query: Query) -> None:
        used = query.filter.fields if query.filter else set()
        if ep.filterable is not None and used - set(ep.filterable):
            if ep.kind == "sync":
                raise PayloadError(
                    "Filtering on these fields is not supported: "
                    + ",".join(sorted(used - set(ep.filterable)))
                )
            raise PayloadError("This $filter parameter is not supported for this resource")
        if ep.mandatory and not used & set(ep.mandatory):
            raise PayloadError(MANDATORY + ",".join(ep.mandatory))
        if ep.kind == "bulk" and query.select is None and query.top != 1:
            raise PayloadError(SELECT_OR_TOP)

    def _predicate(
        self, state: DivisionState, ep: Endpoint, query: Query
    ) -> Callable[[Row], bool] | None:
        base = query.filter.predicate if query.filter else None
        view = ep.view
        if base is not None and ep.filter_on_view and view is not None:
            inner = base

            def base(row: Row) -> bool:
                return inner(view(state, row))

        if ep.table == "webhook_subscriptions":
            filtered = base
            return lambda row: (
                row.get("ClientID") == self.client_id and (filtered is None or filtered(row))
            )
        return base

    def _normal_page(
        self,
        state: DivisionState,
        ep: Endpoint,
        query: Query,
        predicate: Callable[[Row], bool] | None,
        page: int,
    ) -> tuple[list[Row], bool, str | None]:
        table = state[ep.table]
        if query.orderby:
            matches = [row for row in table.values() if predicate is None or predicate(row)]
            for name, desc in reversed(query.orderby):
                matches.sort(
                    key=lambda row, n=name: (row.get(n) is not None, row.get(n)), reverse=desc
                )
            chunk = matches[query.skip : query.skip + page + 1]
            return chunk[:page], len(chunk) > page, "orderby"
        start = 0
        if query.skiptoken:
            key = parse_key(query.skiptoken)
            position = table.position(key) if key else None
            if position is None:
                raise PayloadError(SYNTAX)
            start = position + 1
        out: list[Row] = []
        skip = query.skip
        for row in table.iter_from(start):
            if predicate is not None and not predicate(row):
                continue
            if skip:
                skip -= 1
                continue
            if len(out) == page:
                return out, True, f"guid'{out[-1][ep.key]}'"
            out.append(row)
        return out, False, None

    def serialize(
        self, request: Request, state: DivisionState, ep: Endpoint, row: Row, query: Query
    ) -> Row:
        """A row with `__metadata` and exactly the selected properties (collections deferred
        unless expanded)."""
        src = ep.view(state, row) if ep.view is not None else row
        base = f"{request.host_url.rstrip('/')}/api/v1/{state.code}/{ep.path}"
        uri = (
            f"{base}({row['Timestamp']}L)" if ep.kind == "sync" else f"{base}(guid'{row[ep.key]}')"
        )
        out: Row = {"__metadata": {"uri": uri, "type": ep.type_name}}
        for name in query.select or ep.fields:
            if ep.fields[name] != "c":
                out[name] = src.get(name)
                continue
            table, child_path = ep.collections[name]
            if name in query.expand:
                child = BY_PATH[child_path.lower()]
                out[name] = {
                    "results": [
                        self.serialize(request, state, child, c, Query())
                        for c in state.child_rows(table, row[ep.key])
                    ]
                }
            else:
                out[name] = {"__deferred": {"uri": f"{uri}/{name}"}}
        return out
