"""A local bol.com Retailer API v10 (plus its token endpoint) for tests and the demo.

One WSGI app serves `POST /token` (production: https://login.bol.com/token) and the API
(`/retailer/...`, `/shared/...`), so a connector only needs `base_url` and `token_url` pointed at
the loopback server. Behaviour follows /work/shared/reference/channel-apis.md section 1:

- Client-credentials grant with HTTP Basic auth, `expires_in: 299`; afterwards 401
  `{"title": "Expired JWT", ...}`. Bad credentials: `{"error": "invalid_client", ...}`.
- `Accept: application/vnd.retailer.v10+json` is required (406 otherwise; the offer export file
  wants `application/vnd.retailer.v10+csv`); bodies must be sent with that Content-Type (415).
- Per-endpoint rate limits with `X-RateLimit-*` on every API response, 429 problem + Retry-After
  (see bol_limits.DEFAULT_LIMITS; change with `throttle(...)`).
- Orders list: 50 per page, newest first, `{}` for an exhausted page; handled items drop out of
  OPEN at once and out of every list 48 h after their last change; FBB items are shipped by bol
  `fbb_handle_after` seconds after the order; unshipped items are cancelled on their expiryDate.
- Every write answers 202 + a PENDING ProcessStatus that turns SUCCESS / FAILURE / TIMEOUT
  `process_delay` seconds later (sandbox clock), or on the `process_polls`-th poll when that is
  set; finished statuses 404 after `process_retention` seconds.
- Errors are RFC 7807 problems (`type/title/status/detail/host/instance[/violations]`); injected
  5xx faults without a body come back as text/html, as bol's edge does.

Choices where the reference is silent: a stock update for an unknown offer is accepted (202) and
its process FAILS; SHIPPED in the orders filter means HANDLED items; empty process-status lists
are `{}` like the orders list; shipments list items carry `transport.transportId` only.

Control surface (Python methods, mirrored as JSON routes under /_control/): reset, place_order,
random_order, request_cancellation, cancel_order, order, offer, offer_stock, offer_for,
shipments, fail_process_next, throttle, expire_tokens, set_account_active, count_status, plus the
shared fail_next / calls.

Layout: this module holds the app (state, auth, limits, media types); bol_api.py the vendor
handlers, bol_control.py the control surface, bol_models.py records and validation,
bol_limits.py the rate limiter, bol_data.py the generated catalogue and buyers.
No Django imports.
"""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from http import HTTPStatus
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from channels_app.sandbox.bol_api import BolApi
from channels_app.sandbox.bol_control import BolControl
from channels_app.sandbox.bol_data import (
    default_products,
    iso_utc,
    local_date,
    money,
    uuid_from,
)
from channels_app.sandbox.bol_limits import RateLimiter
from channels_app.sandbox.bol_models import (
    BAD_REQUEST_TITLE,
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_FAILURE_MESSAGES,
    ENDPOINT_KEYS,
    EXPORT_COLUMNS,
    MEDIA_CSV,
    MEDIA_JSON,
    PROBLEM_TYPE,
    ROUTES,
    ArmedOutcome,
    IdCounters,
    Item,
    Offer,
    Order,
    Process,
    Shipment,
    locked,
)
from common.sandbox import Fault, SandboxApp, json_response

__all__ = [
    "BAD_REQUEST_TITLE",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_FAILURE_MESSAGES",
    "EXPORT_COLUMNS",
    "MEDIA_CSV",
    "MEDIA_JSON",
    "BolSandbox",
]


class BolSandbox(BolApi, BolControl, SandboxApp):
    """The bol.com Retailer API v10 as a stateful WSGI app (see the module docstring)."""

    name = "bol"

    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        clock: Callable[[], float] = time.time,
        seed: int = 1,
        products: Sequence[dict[str, Any]] | None = None,
        token_ttl: int = 299,
        process_delay: float = 0.2,
        process_polls: int | None = None,
        process_retention: float = 48 * 3600,
        fbb_handle_after: float = 900.0,
        handled_visible_for: float = 48 * 3600,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        self.token_ttl = token_ttl
        self._defaults = {
            "process_delay": process_delay,
            "process_polls": process_polls,
            "process_retention": process_retention,
            "fbb_handle_after": fbb_handle_after,
            "handled_visible_for": handled_visible_for,
        }
        self.limiter = RateLimiter(clock)
        super().__init__()
        self.reset(seed=seed, products=products)

    # -- routing --------------------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        return [
            Rule(path, endpoint=endpoint, methods=[method]) for path, endpoint, method, _ in ROUTES
        ]

    # -- state ----------------------------------------------------------------------------------
    def reset(  # type: ignore[override]
        self, seed: int = 1, products: Sequence[dict[str, Any]] | None = None, orders: int = 0
    ) -> BolSandbox:
        """Rebuild the world: a catalogue with one FBR offer per product, no orders (or `orders`
        random ones), no tokens, default limits and timings."""
        super().reset()
        with self.lock:
            self.rng = random.Random(seed)
            for name, value in self._defaults.items():
                setattr(self, name, value)
            self.limiter.reset()
            self.tokens: dict[str, float] = {}
            self.token_requests = 0
            self.account_active = True
            self.ids = IdCounters(item=2_000_000_000 + self.rng.randint(0, 9_999_999))
            now = self.clock()
            if products is None:
                self.products = default_products(self.rng)
            else:
                self.products = [
                    {
                        "code": str(p["code"]),
                        "ean": str(p["ean"]),
                        "title": str(p["title"]),
                        "price": money(p["price"]),
                    }
                    for p in products
                ]
            self.offers: dict[str, Offer] = {}
            self.offer_by_code: dict[tuple[str, str], str] = {}
            for product in self.products:
                self._new_offer(product, "FBR", self.rng.randint(5, 60), now)
            self.orders: dict[str, Order] = {}
            self.items: dict[str, Item] = {}
            self.shipment_list: list[Shipment] = []
            self.processes: dict[str, Process] = {}
            self.armed: list[ArmedOutcome] = []
            self.exports: dict[str, str] = {}
            for _ in range(orders):
                self.random_order(self.rng)
        return self

    def _new_offer(self, product: dict[str, Any], method: str, amount: int, now: float) -> Offer:
        offer = Offer(
            id=uuid_from(self.rng),
            ean=product["ean"],
            reference=product["code"],
            title=product["title"],
            price=product["price"],
            amount=amount,
            mutated=now,
            method=method,
        )
        self.offers[offer.id] = offer
        self.offer_by_code[(product["code"], method)] = offer.id
        return offer

    def _product(self, code_or_ean: str) -> dict[str, Any]:
        for product in self.products:
            if code_or_ean in (product["code"], product["ean"]):
                return product
        raise KeyError(f"unknown product {code_or_ean!r}")

    def _tick(self) -> None:
        """Advance everything that happens by itself: processes, FBB picking, expiry, retention."""
        now = self.clock()
        if self.process_polls is None:
            for process in self.processes.values():
                if process.status == "PENDING" and now >= process.due:
                    self._complete(process)
        for pid in [
            p.id
            for p in self.processes.values()
            if p.finished is not None and now - p.finished > self.process_retention
        ]:
            del self.processes[pid]
        for item in self.items.values():
            if item.open_qty <= 0:
                continue
            order = self.orders[item.order_id]
            if item.method == "FBB" and now >= order.placed + self.fbb_handle_after:
                self._ship(
                    [(item, item.open_qty)],
                    order,
                    None,
                    "TNT",
                    None,
                    at=order.placed + self.fbb_handle_after,
                    method="FBB",
                )
            elif item.method == "FBR" and local_date(now) >= date.fromisoformat(item.expiry):
                item.cancelled += item.open_qty
                item.changed = now

    # -- HTTP plumbing --------------------------------------------------------------------------
    def before_request(self, request: Request) -> Response | None:
        with self.lock:
            endpoint, _ = self.url_map.bind_to_environ(request.environ).match()
            key = ENDPOINT_KEYS[endpoint]
            if endpoint == "api_token":
                self.token_requests += 1
                return self._limit(request, key)
            self._tick()
            denied = self._check_bearer(request)
            if denied is not None:
                return denied
            if not self.account_active:
                return self._problem(request, 403, "Forbidden", "Account is not active")
            denied = self._limit(request, key)
            if denied is not None:
                return denied
            wanted = MEDIA_CSV if endpoint == "api_export_file" else MEDIA_JSON
            accepted = [
                part.split(";")[0].strip() for part in request.headers.get("Accept", "").split(",")
            ]
            if wanted not in accepted:
                return self._problem(
                    request, 406, "Not Acceptable", f"The Accept header must be {wanted}."
                )
            if request.method in ("POST", "PUT"):
                sent = (request.headers.get("Content-Type") or "").split(";")[0].strip()
                if sent != MEDIA_JSON:
                    return self._problem(
                        request,
                        415,
                        "Unsupported Media Type",
                        f"Content type '{sent}' not supported, use {MEDIA_JSON}.",
                    )
        return None

    def _limit(self, request: Request, key: str) -> Response | None:
        verdict = self.limiter.check(key)
        request.environ["bol.ratelimit"] = verdict.headers
        if verdict.allowed:
            return None
        headers = {"Retry-After": str(verdict.retry_after)} if verdict.send_retry_after else {}
        return self._problem(
            request,
            429,
            "Too Many Requests",
            f"Too many requests, retry in {verdict.retry_after} seconds.",
            headers=headers,
        )

    def _check_bearer(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return self._problem(
                request,
                401,
                "Unauthorized",
                "Full authentication is required to access this resource.",
            )
        expires = self.tokens.get(header[len("Bearer ") :].strip())
        if expires is None:
            return self._problem(request, 401, "Invalid JWT", "JWT signature does not match.")
        now = self.clock()
        if now >= expires:
            return self._problem(
                request,
                401,
                "Expired JWT",
                f"JWT expired at {iso_utc(expires)}. Current time: {iso_utc(now)}, a difference of "
                f"{int((now - expires) * 1000)} milliseconds. Allowed clock skew: 0 milliseconds.",
            )
        return None

    def decorate_response(self, request: Request, response: Response) -> Response:
        for name, value in request.environ.get("bol.ratelimit", {}).items():
            response.headers.setdefault(name, value)
        return response

    def not_found(self, request: Request) -> Response:
        return self._problem(request, 404, "Not Found", f"No resource found at {request.path}.")

    def fault_response(self, fault: Fault) -> Response:
        status = fault.status
        if fault.body:
            kind = MEDIA_JSON if fault.body.lstrip().startswith("{") else "text/html"
            return Response(fault.body, status=status, headers=fault.headers, content_type=kind)
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        if status >= 500:
            html = f"<html><body><h1>{status} {phrase}</h1></body></html>"
            return Response(html, status=status, headers=fault.headers, content_type="text/html")
        body = {"type": PROBLEM_TYPE, "title": phrase, "status": status, "detail": phrase}
        return json_response(body, status, dict(fault.headers), content_type=MEDIA_JSON)

    def _problem(
        self,
        request: Request,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        violations: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        body: dict[str, Any] = {"type": PROBLEM_TYPE, "title": title, "status": status}
        if detail:
            body["detail"] = detail
        body.update({"host": "Instance-001", "instance": request.base_url})
        if violations:
            body["violations"] = violations
        return json_response(body, status, headers, content_type=MEDIA_JSON)

    def _invalid(self, request: Request, violations: list[dict[str, str]]) -> Response:
        return self._problem(request, 400, BAD_REQUEST_TITLE, "Bad request", violations=violations)

    def _ok(self, data: Any, status: int = 200) -> Response:
        return json_response(data, status, content_type=MEDIA_JSON)

    def _body(self, request: Request) -> dict[str, Any] | None:
        data = request.get_json(force=True, silent=True)
        return data if isinstance(data, dict) else None

    # -- token ----------------------------------------------------------------------------------
    @locked
    def api_token(self, request: Request) -> Response:
        auth = request.authorization
        if (
            auth is None
            or auth.type != "basic"
            or (auth.username, auth.password) != (self.client_id, self.client_secret)
        ):
            return json_response(
                {"error": "invalid_client", "error_description": "Bad client credentials"},
                401,
                {"WWW-Authenticate": 'Basic realm="login.bol.com"'},
            )
        grant = request.args.get("grant_type") or request.form.get("grant_type")
        if grant != "client_credentials":
            error = "invalid_request" if not grant else "unsupported_grant_type"
            return json_response(
                {"error": error, "error_description": f"Unsupported grant type: {grant}"}, 400
            )
        now = self.clock()
        token = self._jwt(now)
        self.tokens[token] = now + self.token_ttl
        return json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.token_ttl,
                "scope": "RETAILER",
            }
        )

    def _jwt(self, now: float) -> str:
        def part(data: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

        claims = {
            "sub": self.client_id,
            "iss": "https://login.bol.com",
            "scopes": "RETAILER",
            "iat": int(now),
            "exp": int(now) + self.token_ttl,
            "jti": str(uuid.uuid4()),
        }
        return f"{part({'kid': 'sandbox', 'alg': 'RS256'})}.{part(claims)}.c2FuZGJveA"
