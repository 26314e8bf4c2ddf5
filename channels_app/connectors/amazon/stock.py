"""Amazon stock: Listings Items `patchListingsItem` per SKU, or one JSON_LISTINGS_FEED.

Below `feed_threshold` updates every SKU is patched on its own (Listings Items 2021-08-01); at or
above it one Feeds 2021-06-30 `JSON_LISTINGS_FEED` carries them all. No Django imports.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from channels_app.connectors.base import ApiError, PushResult, StockUpdate
from common.http import AuthenticationError, classify, send

from .client import AmazonClient, _json

FA_PATCH_OP = "merge"  # keeps lead time and FBA entries; "replace" would drop them
FEED_CONTENT_TYPE = "application/json; charset=UTF-8"
FEED_POLL_DELAYS = (5.0, 10.0, 15.0, 30.0)  # then every 30 s until feed_timeout


class StockMixin(AmazonClient):
    """Stock writes; mixed into AmazonConnector."""

    # -- stock ----------------------------------------------------------------------------------
    def push_stock(self, updates: Sequence[StockUpdate]) -> list[PushResult]:
        """Per-SKU Listings PATCH below feed_threshold updates, one JSON_LISTINGS_FEED above.

        Reference: https://developer-docs.amazon.com/sp-api/docs/listings-items-api-v2021-08-01-reference
        """
        if not updates:
            return []
        if len(updates) >= self.feed_threshold:
            return self._push_feed(updates)
        return [self._push_one(u) for u in updates]

    def _push_one(self, update: StockUpdate) -> PushResult:
        quantity = max(0, update.quantity)
        path = (
            f"/listings/2021-08-01/items/{quote(self.seller_id, safe='')}/"
            f"{quote(update.ref.external_id, safe='')}"
        )
        try:
            resp = self._call(
                "patchListingsItem",
                "PATCH",
                path,
                params={"marketplaceIds": self._market_param(), "issueLocale": "en_US"},
                body={"productType": "PRODUCT", "patches": [_fa_patch(quantity)]},
            )
        except AuthenticationError:
            raise
        except ApiError as exc:
            return PushResult(
                update.ref,
                ok=False,
                quantity=quantity,
                error=exc.for_staff(),
                retriable=exc.retriable,
            )
        data = _json(resp)
        errors = [i for i in data.get("issues", []) if i.get("severity") == "ERROR"]
        ok = data.get("status") == "ACCEPTED" and not errors
        error = "; ".join(f"{i.get('message', '')} [{i.get('code', '')}]" for i in errors)
        return PushResult(
            update.ref,
            ok=ok,
            quantity=quantity,
            error=error or ("" if ok else f"Amazon answered {data.get('status')}"),
            process_id=str(data.get("submissionId", "")),
        )

    def _push_feed(self, updates: Sequence[StockUpdate]) -> list[PushResult]:
        quantities = [max(0, u.quantity) for u in updates]
        document = {
            "header": {"sellerId": self.seller_id, "version": "2.0", "issueLocale": "en_US"},
            "messages": [
                {
                    "messageId": n,
                    "sku": u.ref.external_id,
                    "operationType": "PATCH",
                    "productType": "PRODUCT",
                    "patches": [_fa_patch(q)],
                }
                for n, (u, q) in enumerate(zip(updates, quantities, strict=True), 1)
            ],
        }
        feed_id = ""
        try:
            feed_id = self._submit_feed(document)
            feed = self._wait_for_feed(feed_id)
            status = feed.get("processingStatus", "")
            report = self._read_report(feed) if feed.get("resultFeedDocumentId") else {}
        except AuthenticationError:
            raise
        except ApiError as exc:
            return [
                PushResult(
                    u.ref,
                    ok=False,
                    quantity=q,
                    error=exc.for_staff(),
                    retriable=exc.retriable,
                    process_id=feed_id,
                )
                for u, q in zip(updates, quantities, strict=True)
            ]
        if status != "DONE":
            why = "; ".join(i.get("message", "") for i in report.get("issues", []))
            error = (
                f"Amazon feed {feed_id} ended {status}"
                if status in ("FATAL", "CANCELLED")
                else f"Amazon feed {feed_id} still {status} after {self.feed_timeout:.0f} s"
            )
            return [
                PushResult(
                    u.ref,
                    ok=False,
                    quantity=q,
                    error=f"{error}: {why}" if why else error,
                    retriable=True,
                    process_id=feed_id,
                )
                for u, q in zip(updates, quantities, strict=True)
            ]
        problems: dict[int, list[str]] = {}
        for found in report.get("issues", []):
            if found.get("severity") == "ERROR":
                problems.setdefault(int(found.get("messageId", 0)), []).append(
                    f"{found.get('message', '')} [{found.get('code', '')}]"
                )
        return [
            PushResult(
                u.ref,
                ok=n not in problems,
                quantity=q,
                error="; ".join(problems.get(n, [])),
                process_id=feed_id,
            )
            for n, (u, q) in enumerate(zip(updates, quantities, strict=True), 1)
        ]

    def _submit_feed(self, document: dict[str, Any]) -> str:
        """createFeedDocument, upload, createFeed. Reference: Feeds API 2021-06-30."""
        created = _json(
            self._call(
                "createFeedDocument",
                "POST",
                "/feeds/2021-06-30/documents",
                body={"contentType": FEED_CONTENT_TYPE},
            )
        )
        # The upload url is pre-signed S3: no access token (an unsigned x-amz-* header is refused)
        upload = send(
            self.session,
            "PUT",
            created["url"],
            data=json.dumps(document).encode(),
            headers={"Content-Type": FEED_CONTENT_TYPE},
        )
        if upload.status_code >= 300:
            raise classify(
                upload,
                message=f"Uploading the feed document failed: {upload.text[:300]}",
                method="PUT",
            )
        feed = _json(
            self._call(
                "createFeed",
                "POST",
                "/feeds/2021-06-30/feeds",
                body={
                    "feedType": "JSON_LISTINGS_FEED",
                    "marketplaceIds": list(self.marketplace_ids),
                    "inputFeedDocumentId": created["feedDocumentId"],
                },
                idempotent=False,
            )
        )
        return str(feed["feedId"])

    def _wait_for_feed(self, feed_id: str) -> dict[str, Any]:
        deadline, feed, n = self.clock() + self.feed_timeout, {"processingStatus": "IN_QUEUE"}, 0
        while (remaining := deadline - self.clock()) > 0:
            self.sleep(min(FEED_POLL_DELAYS[min(n, len(FEED_POLL_DELAYS) - 1)], remaining))
            n += 1
            feed = _json(self._call("getFeed", "GET", f"/feeds/2021-06-30/feeds/{feed_id}"))
            if feed.get("processingStatus") in ("DONE", "FATAL", "CANCELLED"):
                break
        return feed

    def _read_report(self, feed: dict[str, Any]) -> dict[str, Any]:
        doc = _json(
            self._call(
                "getFeedDocument",
                "GET",
                f"/feeds/2021-06-30/documents/{feed['resultFeedDocumentId']}",
            )
        )
        resp = send(self.session, "GET", doc["url"])
        if resp.status_code != 200:
            raise classify(resp, message=f"Downloading the feed report failed: {resp.text[:300]}")
        raw = resp.content
        if doc.get("compressionAlgorithm") == "GZIP":
            raw = gzip.decompress(raw)
        report = json.loads(raw)
        return report if isinstance(report, dict) else {}


def _fa_patch(quantity: int) -> dict[str, Any]:
    return {
        "op": FA_PATCH_OP,
        "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}],
    }
