"""bol.com Retailer API v10 connector.

Reference: https://api.bol.com/retailer/public/redoc/v10/retailer.html (and /shared.html for the
process status); our notes in /work/shared/reference/channel-apis.md section 1.

- Auth: client-credentials token from login.bol.com (HTTP Basic), cached in memory and renewed
  30 s before `expires_in` runs out, or once when the API answers 401 anyway.
- Rate limits: bol limits per endpoint and reports the budget on every response. When
  X-RateLimit-Remaining reaches 0 we wait for X-RateLimit-Reset (seconds, or an epoch when the
  number is that large) before calling that endpoint again. A 429 waits Retry-After (else the
  Reset header, else 1-2-4-8 s) and is retried at most MAX_TRIES times in all.
- Writes are asynchronous: 202 + ProcessStatus. We poll the statuses in bulk
  (POST /shared/process-status) until SUCCESS / FAILURE / TIMEOUT or `process_timeout`.
- Orders: the list only has reduced orders, so every listed order is fetched in detail (bol's own
  advice). See iter_order_pages for the cursor.
No Django imports.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests

from channels_app.connectors.base import (
    Address,
    CatalogueEntry,
    ChannelConnector,
    ChannelOrderData,
    ListingRef,
    OrderLineData,
    OrderPage,
    PushResult,
    ShipmentRequest,
    ShipmentResult,
    StockUpdate,
)
from common.http import (
    ApiError,
    AuthenticationError,
    Backoff,
    FatalApiError,
    OutcomeUnknownError,
    RetriableApiError,
    build_session,
    classify,
    send,
)

MEDIA_JSON = "application/vnd.retailer.v10+json"
MEDIA_CSV = "application/vnd.retailer.v10+csv"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

TOKEN_MARGIN = 30.0  # renew this long before the token expires
MAX_TRIES = 5  # attempts per request when bol answers 429 (then RetriableApiError)
MAX_5XX_TRIES = 3  # attempts for reads (and idempotent writes) on 5xx / dropped connections
MAX_WAIT = 120.0  # never sleep longer than this for one rate-limit wait
POLL_FIRST, POLL_MAX = 0.25, 5.0  # process-status polling interval, doubling
EXPORT_TIMEOUT = 300.0  # offer exports take minutes on busy days
MAX_PAGES = 1000  # 50 000 orders: a safety stop for a paging loop
BULK_STATUS_MAX = 1000
TERMINAL = ("SUCCESS", "FAILURE", "TIMEOUT")

# transporterCode values from the last v10 spec that carried the enum (2023-10). The current spec
# takes any string, so new codes may exist; these are the ones bol is known to accept.
TRANSPORTER_CODES: tuple[str, ...] = (
    "AMPERE",
    "BPOST_BE",
    "BPOST_BRIEF",
    "BRIEFPOST",
    "BUDBEE",
    "COURIER",
    "CYCLOON",
    "DHL",
    "DHL-GLOBAL-MAIL",
    "DHL-SD",
    "DHLFORYOU",
    "DHL_DE",
    "DPD-BE",
    "DPD-NL",
    "DYL",
    "FEDEX_BE",
    "FEDEX_NL",
    "GLS",
    "OTHER",
    "PACKS",
    "PARCEL-NL",
    "PES",
    "TNT",
    "TNT-EXPRESS",
    "TNT-EXTRA",
    "TNT_BRIEF",
    "TRANSMISSION",
    "TRUNKRS",
    "TSN",
    "UPS",
)
TRANSPORTER_LABELS: dict[str, str] = {
    "TNT": "PostNL parcel (TNT)",
    "TNT_BRIEF": "PostNL mailbox parcel",
    "TNT-EXTRA": "PostNL extra at home",
    "TNT-EXPRESS": "PostNL express",
    "DHLFORYOU": "DHL Parcel NL (DHLFORYOU)",
    "DHL": "DHL Express",
    "DHL_DE": "DHL Paket (Germany)",
    "DHL-SD": "DHL same day",
    "DPD-NL": "DPD Netherlands",
    "DPD-BE": "DPD Belgium",
    "BPOST_BE": "bpost parcel",
    "BPOST_BRIEF": "bpost letter",
    "FEDEX_NL": "FedEx Netherlands",
    "FEDEX_BE": "FedEx Belgium",
    "OTHER": "Other / own courier",
}

_HINTS = {
    401: "bol.com refused the credentials or token; check the client id and secret "
    "(seller dashboard > Settings > API settings).",
    403: "The bol.com account is not active or has no access to this API.",
    406: "bol.com did not accept the requested media type (API version).",
    429: "bol.com's rate limit was reached; the request will be retried later.",
}


class BolConnector(ChannelConnector):
    """Orders, stock, shipments and the offer list of one bol.com retailer account."""

    kind = "bol"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = "https://api.bol.com",
        token_url: str = "https://login.bol.com/token",  # noqa: S107 - a URL, not a secret
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        process_timeout: float = 30.0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.base_url = base_url.rstrip("/")
        self.token_url = token_url
        self.session = session or build_session()
        self.sleep = sleep
        self.clock = clock
        self.process_timeout = process_timeout
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._blocked_until: dict[str, float] = {}  # rate-limit key -> when budget returns

    # -- interface ------------------------------------------------------------------------------
    def test_connection(self) -> str:
        """Get a token and read the first page of open orders."""
        payload = self._get_json(
            "/retailer/orders", params={"status": "OPEN", "fulfilment-method": "ALL"}
        )
        count = len(payload.get("orders") or [])
        shown = f"{count}+" if count >= 50 else str(count)
        return f"bol.com Retailer API v10: credentials accepted; {shown} open order(s) on the first page."

    def iter_order_pages(self, *, cursor: str | None) -> Iterator[OrderPage]:
        """Open and recently changed orders (FBR and FBB), one OrderPage per list page that
        held such orders (fulfilment-method=ALL; every listed order is fetched in detail).

        cursor None (or ""): every OPEN order. cursor = ISO time T (the newest
        latestChangedDateTime seen before): status=ALL orders with an item changed at or after T,
        asked as change-interval-minute when T is under an hour ago (plus a minute of margin),
        else one latest-change-date query per day since T (bol keeps three months).
        bol sorts by order date, not change date, so intermediate pages carry the old cursor and
        only the last page carries the new one: a crash mid-run resumes instead of skipping.
        Reference: GET /retailer/orders, GET /retailer/orders/{order-id}.
        """
        since = _parse_dt(cursor) if cursor else None
        start_cursor = cursor or ""
        newest = since
        seen: set[str] = set()
        held: list[ChannelOrderData] | None = None
        for orders in self._changed_order_batches(since, seen):
            for order in orders:
                newest = max(newest, order.updated_at) if newest else order.updated_at
            if held is not None:
                yield OrderPage(orders=held, cursor=start_cursor)
            held = orders
        if held is not None:
            yield OrderPage(orders=held, cursor=newest.isoformat() if newest else start_cursor)

    def fetch_order(self, external_id: str) -> ChannelOrderData:
        """One order in full. Reference: GET /retailer/orders/{order-id}."""
        payload = self._get_json(
            f"/retailer/orders/{quote(external_id, safe='')}", key="GET /retailer/orders/{id}"
        )
        return map_order(payload)

    def push_stock(self, updates: Sequence[StockUpdate]) -> list[PushResult]:
        """PUT each offer's stock (0..999, managedByRetailer), then poll the processes in bulk.

        Reference: PUT /retailer/offers/{offer-id}/stock, POST /shared/process-status.
        """
        results: list[PushResult] = []
        pending: dict[str, PushResult] = {}
        for update in updates:
            amount = min(999, max(0, int(update.quantity)))
            result = PushResult(ref=update.ref, ok=False, quantity=amount)
            results.append(result)
            if not update.ref.external_id:
                result.error = "No bol.com offer id for this listing."
                continue
            try:
                process = self._json(
                    self._request(
                        "PUT",
                        f"/retailer/offers/{quote(update.ref.external_id, safe='')}/stock",
                        key="PUT /retailer/offers/{id}/stock",
                        body={"amount": amount, "managedByRetailer": True},
                        idempotent=True,
                    )
                )
            except AuthenticationError:
                raise
            except ApiError as exc:
                result.error, result.retriable = exc.for_staff(), exc.retriable
                continue
            result.process_id = str(process.get("processStatusId", ""))
            pending[result.process_id] = result
            _apply_process(result, process)
        waiting = [p for p, r in pending.items() if not r.ok and not r.error]
        statuses = self._await_processes(waiting, timeout=self.process_timeout)
        for process_id in waiting:
            status = statuses.get(process_id, {"status": "PENDING"})
            _apply_process(pending[process_id], status, self.process_timeout)
        return results

    def confirm_shipment(self, shipment: ShipmentRequest) -> ShipmentResult:
        """POST the shipment with transport {transporterCode, trackAndTrace}; wait for the process.

        external_id is bol's shipmentId once the shipment exists (else the processStatusId).
        bol's refusals (400, FAILURE, TIMEOUT, still PENDING) come back as ok=False; rate limits,
        5xx and auth errors are raised.
        Reference: POST /retailer/shipments, GET /retailer/shipments?order-id=.
        """
        if not 1 <= len(shipment.lines) <= 100:
            return ShipmentResult(ok=False, error="A bol.com shipment holds 1 to 100 order items.")
        transport = {"transporterCode": shipment.carrier_code}
        if shipment.tracking_number:
            transport["trackAndTrace"] = shipment.tracking_number
        body: dict[str, Any] = {
            "orderItems": [
                {"orderItemId": line.external_line_id, "quantity": line.quantity}
                for line in shipment.lines
            ],
            "transport": transport,
        }
        if shipment.reference:
            body["shipmentReference"] = shipment.reference[:90]
        try:
            process = self._json(self._request("POST", "/retailer/shipments", body=body))
        except (AuthenticationError, RetriableApiError):
            raise
        except FatalApiError as exc:
            return ShipmentResult(ok=False, error=exc.for_staff())
        process_id = str(process.get("processStatusId", ""))
        if process.get("status") not in TERMINAL:
            process = self._await_processes([process_id], timeout=self.process_timeout).get(
                process_id, process
            )
        status = process.get("status")
        if status == "SUCCESS":
            found = self._find_shipment_id(shipment)
            return ShipmentResult(ok=True, external_id=found or process_id)
        if status == "FAILURE":
            return ShipmentResult(
                ok=False,
                external_id=process_id,
                error=process.get("errorMessage") or "bol.com reported FAILURE.",
            )
        if status == "TIMEOUT":
            return ShipmentResult(
                ok=False,
                external_id=process_id,
                retriable=True,
                error=process.get("errorMessage") or "bol.com timed out processing the shipment.",
            )
        return ShipmentResult(
            ok=False,
            external_id=process_id,
            retriable=True,
            error=f"bol.com was still processing the shipment after "
            f"{self.process_timeout:g} s (process {process_id}); "
            "check the process status before sending it again.",
        )

    def iter_catalogue(self) -> Iterator[CatalogueEntry]:
        """Every FBR offer, from the offer export CSV (FBB stock is bol's, so FBB rows are skipped).

        Reference: POST /retailer/offers/export, GET /retailer/offers/export/{report-id}.
        """
        process = self._json(
            self._request(
                "POST", "/retailer/offers/export", body={"format": "CSV"}, idempotent=True
            )
        )
        process_id = str(process.get("processStatusId", ""))
        if process.get("status") not in TERMINAL:
            timeout = max(self.process_timeout, EXPORT_TIMEOUT)
            process = self._await_processes([process_id], timeout=timeout).get(process_id, process)
        status = process.get("status")
        if status == "FAILURE":
            raise FatalApiError(
                process.get("errorMessage") or "bol.com could not create the offer export."
            )
        if status != "SUCCESS" or not process.get("entityId"):
            raise RetriableApiError(
                f"bol.com offer export not ready (process {process_id}: {status})."
            )
        response = self._request(
            "GET",
            f"/retailer/offers/export/{quote(str(process['entityId']), safe='')}",
            key="GET /retailer/offers/export/{id}",
            accept=MEDIA_CSV,
        )
        reader = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
        for row in reader:
            if (row.get("fulfilmentType") or "FBR").upper() == "FBB":
                continue
            sku, ean = row.get("referenceCode") or "", row.get("ean") or ""
            yield CatalogueEntry(
                ref=ListingRef(external_id=row["offerId"], sku=sku, ean=ean),
                title=row.get("productTitle") or row.get("unknownProductTitle") or "",
                sku=sku,
                ean=ean,
                quantity=_int_or_none(row.get("stockAmount")),
            )

    # -- orders ---------------------------------------------------------------------------------
    def _order_queries(self, since: datetime | None) -> list[dict[str, Any]]:
        base = {"fulfilment-method": "ALL"}
        if since is None:
            return [{**base, "status": "OPEN"}]
        now = datetime.fromtimestamp(self.clock(), UTC)
        minutes = math.ceil((now - since).total_seconds() / 60) + 1
        if minutes <= 60:
            return [{**base, "status": "ALL", "change-interval-minute": max(1, minutes)}]
        first = max(
            since.astimezone(AMSTERDAM).date(),
            now.astimezone(AMSTERDAM).date() - timedelta(days=90),
        )
        today = now.astimezone(AMSTERDAM).date()
        days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
        return [{**base, "status": "ALL", "latest-change-date": day.isoformat()} for day in days]

    def _changed_order_batches(
        self, since: datetime | None, seen: set[str]
    ) -> Iterator[list[ChannelOrderData]]:
        for params in self._order_queries(since):
            pages = yield from self._list_pass(params, since, seen)
            if since is None and pages > 1:
                # The open orders once more. An order shipped or cancelled while we paged left
                # the list, every order behind it moved one place forward, and the first one of
                # the next page was never seen; its change time is older than the cursor we end
                # with, so no later poll would ask for it. List calls only: seen orders are not
                # fetched again. First poll only; the change-date queries don't shrink.
                yield from self._list_pass(params, since, seen)

    def _list_pass(
        self, params: dict[str, Any], since: datetime | None, seen: set[str]
    ) -> Generator[list[ChannelOrderData], None, int]:
        """One query's pages, fetching each order not yet seen; returns the pages that held orders."""
        previous: list[str] | None = None
        for page in range(1, MAX_PAGES + 1):
            payload = self._get_json("/retailer/orders", params={**params, "page": page})
            listed = payload.get("orders") or []
            if not listed:
                return page - 1  # bol answers an exhausted page with {}
            ids = [str(o.get("orderId")) for o in listed]
            if ids == previous:
                raise FatalApiError(
                    f"bol.com returned the same orders for page {page} and {page - 1}."
                )
            previous = ids
            batch = []
            for reduced in listed:
                order_id = str(reduced.get("orderId"))
                if order_id in seen or not _changed_since(reduced, since):
                    continue
                seen.add(order_id)
                batch.append(self.fetch_order(order_id))
            if batch:
                yield batch
        raise FatalApiError(f"bol.com orders list did not end after {MAX_PAGES} pages.")

    # -- process status -------------------------------------------------------------------------
    def _await_processes(
        self, process_ids: Sequence[str], *, timeout: float
    ) -> dict[str, dict[str, Any]]:
        """Poll until every process is final or `timeout` passes; returns the last status seen."""
        last: dict[str, dict[str, Any]] = {}
        open_ids = [p for p in process_ids if p]
        deadline = self.clock() + timeout
        interval = POLL_FIRST
        while open_ids:
            remaining = deadline - self.clock()
            if remaining <= 0:
                break
            self.sleep(min(interval, remaining))
            interval = min(POLL_MAX, interval * 2)
            for n in range(0, len(open_ids), BULK_STATUS_MAX):
                chunk = open_ids[n : n + BULK_STATUS_MAX]
                payload = self._json(
                    self._request(
                        "POST",
                        "/shared/process-status",
                        idempotent=True,
                        body={"processStatusQueries": [{"processStatusId": p} for p in chunk]},
                    )
                )
                for status in payload.get("processStatuses") or []:
                    last[str(status.get("processStatusId"))] = status
            open_ids = [p for p in open_ids if last.get(p, {}).get("status") not in TERMINAL]
        return last

    def _find_shipment_id(self, shipment: ShipmentRequest) -> str:
        """The newest bol shipment of the order holding exactly our order items ("" if none)."""
        wanted = {line.external_line_id for line in shipment.lines}
        try:
            payload = self._get_json(
                "/retailer/shipments",
                params={"order-id": shipment.order_external_id, "fulfilment-method": "FBR"},
            )
        except FatalApiError:
            return ""
        for row in payload.get("shipments") or []:  # newest first
            items = {str(i.get("orderItemId")) for i in row.get("shipmentItems") or []}
            if items == wanted and (
                not shipment.reference
                or row.get("shipmentReference") in (None, shipment.reference[:90])
            ):
                return str(row.get("shipmentId", ""))
        return ""

    # -- HTTP -----------------------------------------------------------------------------------
    def _get_json(
        self, path: str, *, params: dict[str, Any] | None = None, key: str | None = None
    ) -> dict[str, Any]:
        return self._json(self._request("GET", path, params=params, key=key))

    def _json(self, response: requests.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as exc:
            raise RetriableApiError(
                f"bol.com sent a response that is not JSON (HTTP {response.status_code}).",
                status=response.status_code,
                body=response.text,
                url=response.url,
            ) from exc
        return data if isinstance(data, dict) else {}

    def _request(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        params: dict[str, Any] | None = None,
        body: Any = None,
        accept: str = MEDIA_JSON,
        idempotent: bool = False,
    ) -> requests.Response:
        """One API call with token, budget waits, one token renewal, bounded 429/5xx retries."""
        key = key or f"{method} {path}"
        url = self.base_url + path
        safe_to_repeat = method == "GET" or idempotent
        renewed, throttled, failures = False, 0, 0
        while True:
            self._wait_for_budget(key)
            headers = {"Accept": accept, "Authorization": f"Bearer {self._access_token()}"}
            data = None
            if body is not None:
                headers["Content-Type"] = MEDIA_JSON
                data = json.dumps(body)
            try:
                response = send(
                    self.session, method, url, params=params, data=data, headers=headers
                )
            except RetriableApiError as exc:
                failures += 1
                if failures >= MAX_5XX_TRIES or (
                    isinstance(exc, OutcomeUnknownError) and not safe_to_repeat
                ):
                    raise
                self.sleep(0.5 * 2 ** (failures - 1))
                continue
            self._note_budget(key, response)
            status = response.status_code
            if status < 400:
                return response
            if status == 401 and not renewed:
                renewed = True
                self._token = None
                continue
            if status == 429:
                throttled += 1
                if throttled >= MAX_TRIES:
                    raise self._error(response, method)
                self.sleep(self._throttle_wait(response, throttled))
                continue
            if status >= 500 and safe_to_repeat:
                failures += 1
                if failures < MAX_5XX_TRIES:
                    self.sleep(0.5 * 2 ** (failures - 1))
                    continue
            raise self._error(response, method)

    def _error(self, response: requests.Response, method: str) -> ApiError:
        return classify(
            response,
            message=_problem_text(response),
            hint=_HINTS.get(response.status_code, ""),
            method=method,
        )

    def _throttle_wait(self, response: requests.Response, attempt: int) -> float:
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            try:
                return min(MAX_WAIT, max(0.0, float(retry_after)))
            except ValueError:
                pass
        reset = self._reset_seconds(response.headers.get("X-RateLimit-Reset"))
        if reset is not None:
            return min(MAX_WAIT, max(reset, 0.5))
        return min(MAX_WAIT, 2.0 ** (attempt - 1))

    def _reset_seconds(self, value: str | None) -> float | None:
        """X-RateLimit-Reset as seconds from now: seen as a delta and as an epoch (s or ms)."""
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            return None
        if number > 1e12:
            number = number / 1000 - self.clock()
        elif number > 1e9:
            number -= self.clock()
        return max(0.0, number)

    def _note_budget(self, key: str, response: requests.Response) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining")
        if remaining is None or response.status_code == 429:
            return
        try:
            exhausted = int(float(remaining)) <= 0
        except ValueError:
            return
        if exhausted:
            reset = self._reset_seconds(response.headers.get("X-RateLimit-Reset"))
            self._blocked_until[key] = self.clock() + (1.0 if reset is None else reset)
        else:
            self._blocked_until.pop(key, None)

    def _wait_for_budget(self, key: str) -> None:
        until = self._blocked_until.pop(key, None)
        if until is not None:
            wait = until - self.clock()
            if wait > 0:
                self.sleep(min(wait, MAX_WAIT))

    # -- token ----------------------------------------------------------------------------------
    def _access_token(self) -> str:
        if self._token is None or self.clock() >= self._token_expires_at - TOKEN_MARGIN:
            return self._renew_token()
        return self._token

    def _renew_token(self) -> str:
        """Client-credentials grant. Reference: https://api.bol.com/retailer/public/Retailer-API/authentication.html"""

        def fetch() -> dict[str, Any]:
            response = send(
                self.session,
                "POST",
                self.token_url,
                params={"grant_type": "client_credentials"},
                auth=(self.client_id, self.client_secret),
                headers={"Accept": "application/json"},
            )
            if response.status_code == 200:
                return self._json(response)
            if response.status_code in (400, 401):
                text = _oauth_error(response)
                common = {
                    "status": response.status_code,
                    "body": response.text,
                    "url": response.url,
                }
                if response.status_code == 401 or "invalid_client" in response.text:
                    raise AuthenticationError(text, hint=_HINTS[401], **common)
                raise FatalApiError(text, **common)
            raise classify(response, message=_problem_text(response), method="POST")

        started = self.clock()
        data = Backoff(tries=3, sleep=self.sleep).run(fetch)
        self._token = str(data["access_token"])
        self._token_expires_at = started + float(data.get("expires_in") or 299)
        return self._token


# -- mapping --------------------------------------------------------------------------------------
def map_order(payload: dict[str, Any]) -> ChannelOrderData:
    """bol's Order (detail) as ChannelOrderData. Prices are VAT-inclusive EUR; bol gives no rate."""
    items = payload.get("orderItems") or []
    placed = _parse_dt(payload.get("orderPlacedDateTime"))
    lines = [_map_line(item) for item in items]
    changes = [
        _parse_dt(i["latestChangedDateTime"]) for i in items if i.get("latestChangedDateTime")
    ]
    open_items = [
        i
        for i, line in zip(items, lines, strict=True)
        if line.quantity - line.quantity_shipped - line.quantity_cancelled > 0
    ]
    deadlines = [_deadline(i) for i in (open_items or items)]
    billing = payload.get("billingDetails") or {}
    return ChannelOrderData(
        external_id=str(payload["orderId"]),
        number=str(payload["orderId"]),
        status="OPEN" if open_items else "HANDLED",
        placed_at=placed,
        updated_at=max([placed, *changes]),
        currency="EUR",
        lines=lines,
        buyer=_address(billing),
        delivery=_address(payload.get("shipmentDetails") or {}),
        billing=_address(billing),
        buyer_vat_number=billing.get("vatNumber") or "",
        buyer_coc_number=billing.get("kvkNumber") or "",
        buyer_reference=billing.get("orderReference") or "",
        cancelled=bool(lines) and all(line.quantity_cancelled >= line.quantity for line in lines),
        cancellation_requested=any(line.cancellation_requested for line in lines),
        marketplace_fulfilled=bool(lines) and all(line.marketplace_fulfilled for line in lines),
        ship_by=min([d for d in deadlines if d is not None], default=None),
        raw=payload,
    )


def _map_line(item: dict[str, Any]) -> OrderLineData:
    offer, product = item.get("offer") or {}, item.get("product") or {}
    return OrderLineData(
        external_line_id=str(item["orderItemId"]),
        quantity=int(item.get("quantity") or 0),
        sku=offer.get("reference") or "",
        ean=product.get("ean") or item.get("ean") or "",
        listing_external_id=offer.get("offerId") or "",
        title=product.get("title") or "",
        unit_price_incl=Decimal(str(item.get("unitPrice") or 0)),
        vat_rate=None,
        quantity_cancelled=int(item.get("quantityCancelled") or 0),
        quantity_shipped=int(item.get("quantityShipped") or 0),
        cancellation_requested=bool(item.get("cancellationRequest")),
        marketplace_fulfilled=(item.get("fulfilment") or {}).get("method") == "FBB",
    )


def _address(details: dict[str, Any]) -> Address:
    number = " ".join(
        str(p) for p in (details.get("houseNumber"), details.get("houseNumberExtension")) if p
    )
    extra = [details.get("pickupPointName"), details.get("extraAddressInformation")]
    return Address(
        name=" ".join(p for p in (details.get("firstName"), details.get("surname")) if p),
        company=details.get("company") or "",
        street=" ".join(p for p in (details.get("streetName"), number) if p),
        address2=", ".join(p for p in extra if p),
        postcode=details.get("zipCode") or "",
        city=details.get("city") or "",
        country=(details.get("countryCode") or "").upper(),
        email=details.get("email") or "",
        phone=details.get("deliveryPhoneNumber") or "",
    )


def _deadline(item: dict[str, Any]) -> datetime | None:
    """The start (Amsterdam time) of the day the item must be delivered: ship before that."""
    fulfilment = item.get("fulfilment") or {}
    raw = fulfilment.get("exactDeliveryDate") or fulfilment.get("latestDeliveryDate")
    if not raw:
        return None
    day = date.fromisoformat(str(raw)[:10])
    return datetime(day.year, day.month, day.day, tzinfo=AMSTERDAM).astimezone(UTC)


def _parse_dt(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=AMSTERDAM)
    return parsed.astimezone(UTC)


def _changed_since(reduced: dict[str, Any], since: datetime | None) -> bool:
    if since is None:
        return True
    stamps = [i.get("latestChangedDateTime") for i in reduced.get("orderItems") or []]
    return any(_parse_dt(s) >= since for s in stamps if s) or not any(stamps)


def _apply_process(
    result: PushResult, status: dict[str, Any], timeout: float | None = None
) -> None:
    """Fold a process status into a push result (PENDING only counts once we stop waiting)."""
    state = status.get("status")
    if state == "SUCCESS":
        result.ok, result.error, result.retriable = True, "", False
    elif state == "FAILURE":
        result.ok, result.retriable = False, False
        result.error = status.get("errorMessage") or "bol.com reported FAILURE."
    elif state == "TIMEOUT":
        result.ok, result.retriable = False, True
        result.error = status.get("errorMessage") or "bol.com timed out processing the update."
    elif timeout is not None:
        result.ok, result.retriable = False, True
        result.error = (
            f"bol.com was still processing the update after {timeout:g} s "
            f"(process {result.process_id})."
        )


def _problem_text(response: requests.Response) -> str:
    """bol's own words: the problem's detail (or title) plus every violation."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return f"bol.com answered HTTP {response.status_code} {response.reason or ''}".strip()
    text = str(data.get("detail") or data.get("title") or f"HTTP {response.status_code}")
    violations = [
        f"{v.get('name')}: {v.get('reason')}"
        for v in data.get("violations") or []
        if isinstance(v, dict)
    ]
    return f"{text} ({'; '.join(violations)})" if violations else text


def _oauth_error(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return f"bol.com login answered HTTP {response.status_code}"
    return str(data.get("error_description") or data.get("error") or f"HTTP {response.status_code}")


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
