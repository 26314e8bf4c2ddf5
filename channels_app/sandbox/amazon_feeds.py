"""Feeds API 2021-06-30 in the Amazon sandbox, for JSON_LISTINGS_FEED.

Flow: createFeedDocument -> PUT the body to the pre-signed "S3" url (served here under /_s3/,
no access token, the content type given at creation, valid 5 minutes) -> createFeed -> getFeed
shows IN_QUEUE for `feed_queue_seconds`, IN_PROGRESS for `feed_processing_seconds`, then DONE
or FATAL (sandbox clock) -> getFeedDocument(resultFeedDocumentId) -> GET the processing report.
The report shape follows selling-partner-api-models #4554: header {sellerId, version, feedId},
issues [{messageId, code, severity, message}], summary {errors, warnings, messagesProcessed,
messagesAccepted, messagesInvalid}. Reports are gzip-compressed when `compress_reports`
(getFeedDocument then says compressionAlgorithm GZIP).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from channels_app.sandbox.amazon_data import Document, Feed, Listing, invalid, iso, not_found
from channels_app.sandbox.amazon_listings import (
    MISSING_NAME,
    patch_problem,
    value_issues,
)
from common.sandbox import json_response

FEED_TYPES = ("JSON_LISTINGS_FEED",)
OPERATIONS = ("UPDATE", "PARTIAL_UPDATE", "PATCH", "DELETE")
URL_TTL = 300.0
_SECRET = "sandbox-s3"


def s3_error(status: int, code: str, message: str) -> Response:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error>"
    )
    return Response(body, status=status, content_type="application/xml")


def _norm_type(value: str) -> str:
    return value.replace(" ", "").lower()


class FeedsMixin:
    """Feed state and routes; mixed into AmazonSandbox."""

    lock: Any
    clock: Callable[[], float]
    rng: random.Random
    seller_id: str
    marketplace_ids: tuple[str, ...]
    base_url: str
    listings: dict[str, Listing]
    feeds: dict[str, Feed]
    documents: dict[str, Document]
    unknown_sku_policy: str
    feed_queue_seconds: float
    feed_processing_seconds: float
    compress_reports: bool
    _fatal_next: bool

    def feed_fatal_next(self) -> None:
        """The next feed created ends FATAL (with a report saying why)."""
        with self.lock:
            self._fatal_next = True

    def feed_status(self, feed_id: str) -> str:
        with self.lock:
            self._advance_feeds()
            return self.feeds[feed_id].status

    # -- pre-signed urls -------------------------------------------------------------------------
    def _signed_url(self, kind: str, doc_id: str) -> str:
        date = f"{self.clock():.0f}"
        sig = hashlib.sha256(f"{kind}|{doc_id}|{date}|{_SECRET}".encode()).hexdigest()
        query = urlencode(
            {
                "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Date": date,
                "X-Amz-Expires": int(URL_TTL),
                "X-Amz-SignedHeaders": "content-type;host",
                "X-Amz-Signature": sig,
            }
        )
        return f"{self.base_url}/_s3/{kind}/{doc_id}?{query}"

    def _check_url(self, request: Request, kind: str, doc_id: str) -> Response | None:
        date = request.args.get("X-Amz-Date", "")
        sig = hashlib.sha256(f"{kind}|{doc_id}|{date}|{_SECRET}".encode()).hexdigest()
        if request.args.get("X-Amz-Signature") != sig:
            return s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if self.clock() > float(date or 0) + URL_TTL:
            return s3_error(403, "AccessDenied", "Request has expired")
        names = (name.lower() for name, _ in request.headers.items())  # Headers iterate pairs
        unsigned = sorted(n for n in names if n.startswith("x-amz-"))
        if unsigned:
            return s3_error(
                403,
                "AccessDenied",
                "There were headers present in the request "
                f"which were not signed: {', '.join(unsigned)}",
            )
        return None

    def s3_upload(self, request: Request, doc_id: str) -> Response:
        with self.lock:
            doc = self.documents.get(doc_id)
            if doc is None or doc.is_result:
                return s3_error(404, "NoSuchKey", "The specified key does not exist.")
            refused = self._check_url(request, "upload", doc_id)
            if refused:
                return refused
            if _norm_type(request.headers.get("Content-Type", "")) != _norm_type(doc.content_type):
                return s3_error(
                    403,
                    "SignatureDoesNotMatch",
                    "The Content-Type does not match the one the document was created with.",
                )
            doc.body = request.get_data()
        return Response(status=200)

    def s3_download(self, request: Request, doc_id: str) -> Response:
        with self.lock:
            doc = self.documents.get(doc_id)
            if doc is None or doc.body is None:
                return s3_error(404, "NoSuchKey", "The specified key does not exist.")
            refused = self._check_url(request, "download", doc_id)
            if refused:
                return refused
            return Response(doc.body, status=200, content_type=doc.content_type)

    # -- routes ----------------------------------------------------------------------------------
    def api_create_feed_document(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("contentType"), str):
            return invalid("contentType is required.")
        with self.lock:
            doc_id = f"amzn1.tortuga.4.eu.{self.rng.getrandbits(128):032x}"
            self.documents[doc_id] = Document(doc_id, body["contentType"], self.clock())
            url = self._signed_url("upload", doc_id)
        return json_response({"feedDocumentId": doc_id, "url": url}, status=201)

    def api_create_feed(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return invalid("Request has missing or invalid parameters and cannot be parsed.")
        markets = body.get("marketplaceIds")
        if body.get("feedType") not in FEED_TYPES:
            return invalid(
                f"Invalid feedType {body.get('feedType')!r}.",
                "This sandbox processes JSON_LISTINGS_FEED.",
            )
        if not isinstance(markets, list) or not markets or set(markets) - set(self.marketplace_ids):
            return invalid("Invalid marketplaceIds.")
        with self.lock:
            if body.get("inputFeedDocumentId") not in self.documents:
                return invalid("Invalid inputFeedDocumentId.")
            feed_id = str(self.rng.randrange(10**10, 10**11))
            self.feeds[feed_id] = Feed(
                feed_id,
                body["feedType"],
                list(markets),
                body["inputFeedDocumentId"],
                self.clock(),
                fatal=self._fatal_next,
            )
            self._fatal_next = False
        return json_response({"feedId": feed_id}, status=202)

    def api_get_feed(self, request: Request, feed_id: str) -> Response:
        with self.lock:
            self._advance_feeds()
            feed = self.feeds.get(feed_id)
            if feed is None:
                return not_found(f"Feed {feed_id} was not found.")
            out: dict[str, Any] = {
                "feedId": feed.feed_id,
                "feedType": feed.feed_type,
                "marketplaceIds": feed.marketplace_ids,
                "createdTime": iso(feed.created),
                "processingStatus": feed.status,
            }
            if feed.started is not None:
                out["processingStartTime"] = iso(feed.started)
            if feed.ended is not None:
                out["processingEndTime"] = iso(feed.ended)
            if feed.result_document_id:
                out["resultFeedDocumentId"] = feed.result_document_id
        return json_response(out)

    def api_cancel_feed(self, request: Request, feed_id: str) -> Response:
        with self.lock:
            self._advance_feeds()
            feed = self.feeds.get(feed_id)
            if feed is None:
                return not_found(f"Feed {feed_id} was not found.")
            if feed.status != "IN_QUEUE":
                return invalid(f"The feed is {feed.status} and can no longer be cancelled.")
            feed.status, feed.ended = "CANCELLED", self.clock()
        return Response(status=200)

    def api_get_feed_document(self, request: Request, doc_id: str) -> Response:
        with self.lock:
            doc = self.documents.get(doc_id)
            if doc is None:
                return not_found(f"Feed document {doc_id} was not found.")
            out: dict[str, Any] = {
                "feedDocumentId": doc_id,
                "url": self._signed_url("download", doc_id),
            }
            if doc.compressed:
                out["compressionAlgorithm"] = "GZIP"
        return json_response(out)

    # -- processing ------------------------------------------------------------------------------
    def _advance_feeds(self) -> None:
        now = self.clock()
        for feed in self.feeds.values():
            start = feed.created + self.feed_queue_seconds
            end = start + self.feed_processing_seconds
            if feed.status == "IN_QUEUE" and now >= start:
                feed.status, feed.started = "IN_PROGRESS", start
            if feed.status == "IN_PROGRESS" and now >= end:
                self._finish_feed(feed, end)

    def _finish_feed(self, feed: Feed, end: float) -> None:
        header = {"sellerId": self.seller_id, "version": "2.0", "feedId": feed.feed_id}
        doc = self.documents.get(feed.input_document_id)
        fatal = "The feed could not be processed because of an internal error. Resubmit it."
        if not feed.fatal:
            fatal = self._fatal_reason(doc.body if doc else None)
        if fatal:
            issues = [{"messageId": 0, "code": "4000004", "severity": "ERROR", "message": fatal}]
            summary = {
                "errors": 1,
                "warnings": 0,
                "messagesProcessed": 0,
                "messagesAccepted": 0,
                "messagesInvalid": 0,
            }
            feed.status = "FATAL"
        else:
            messages = json.loads(doc.body)["messages"]  # type: ignore[union-attr,arg-type]
            issues, summary = self._process_messages(messages, end)
            feed.status = "DONE"
        report = json.dumps({"header": header, "issues": issues, "summary": summary}).encode()
        result_id = f"amzn1.tortuga.4.eu.{self.rng.getrandbits(128):032x}"
        compressed = self.compress_reports
        self.documents[result_id] = Document(
            result_id,
            "application/json",
            end,
            body=gzip.compress(report) if compressed else report,
            compressed=compressed,
            is_result=True,
        )
        feed.result_document_id, feed.ended = result_id, end

    def _fatal_reason(self, body: bytes | None) -> str:
        if body is None:
            return "The feed document was never uploaded."
        try:
            data = json.loads(body)
        except ValueError:
            return "The feed document is not valid JSON."
        header = data.get("header") if isinstance(data, dict) else None
        if not isinstance(header, dict) or header.get("sellerId") != self.seller_id:
            return "The feed header is missing or names another seller."
        if header.get("version") != "2.0" or not isinstance(data.get("messages"), list):
            return "The feed must have header.version 2.0 and a messages list."
        return ""

    def _process_messages(
        self, messages: list[Any], now: float
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        issues: list[dict[str, Any]] = []
        invalid_ids: set[Any] = set()
        for msg in messages:
            mid = msg.get("messageId") if isinstance(msg, dict) else None
            found = (
                self._message_issues(msg, now)
                if isinstance(mid, int)
                else [
                    {
                        "code": "BAD_REQUEST",
                        "severity": "ERROR",
                        "message": "messageId is required.",
                    }
                ]
            )
            for item in found:
                issues.append({"messageId": mid if isinstance(mid, int) else 0, **item})
                if item["severity"] == "ERROR":
                    invalid_ids.add(mid)
        errors = sum(1 for i in issues if i["severity"] == "ERROR")
        return issues, {
            "errors": errors,
            "warnings": len(issues) - errors,
            "messagesProcessed": len(messages),
            "messagesAccepted": len(messages) - len(invalid_ids),
            "messagesInvalid": len(invalid_ids),
        }

    def _message_issues(self, msg: dict[str, Any], now: float) -> list[dict[str, Any]]:
        sku, op = msg.get("sku"), msg.get("operationType")
        bad = [
            {"code": "BAD_REQUEST", "severity": "ERROR", "message": "Invalid parameters provided."}
        ]
        if not isinstance(sku, str) or not sku or op not in OPERATIONS:
            return bad
        listing = self.listings.get(sku)
        if op == "DELETE":
            self.listings.pop(sku, None)
            return []
        patches = (
            msg.get("patches")
            if op == "PATCH"
            else [
                {"op": "replace", "path": f"/attributes/{k}", "value": v}
                for k, v in (msg.get("attributes") or {}).items()
            ]
        )
        if patch_problem(
            {"productType": msg.get("productType"), "patches": patches}
        ) or value_issues(patches):  # type: ignore[arg-type]
            return bad
        if listing is None and self.unknown_sku_policy == "invalid":
            return [_feed_issue(MISSING_NAME)]
        if listing is not None and msg["productType"] not in ("PRODUCT", listing.product_type):
            return [
                {
                    "code": "4000003",
                    "severity": "ERROR",
                    "message": (
                        f"The product type '{msg['productType']}' does not match the product type "
                        f"'{listing.product_type}' of SKU '{sku}'."
                    ),
                }
            ]
        if listing is None:
            listing = self._fragment(sku, msg["productType"], now)  # type: ignore[attr-defined]
        stopped = self._apply_or_fail(listing, patches, now)  # type: ignore[attr-defined]
        return [_feed_issue(stopped)] if stopped else []


def _feed_issue(listing_issue: dict[str, Any]) -> dict[str, Any]:
    out = {
        "code": listing_issue["code"],
        "severity": listing_issue["severity"],
        "message": listing_issue["message"],
    }
    if listing_issue.get("attributeNames"):
        out["attributeName"] = listing_issue["attributeNames"][0]
    return out


__all__ = ["FeedsMixin"]
