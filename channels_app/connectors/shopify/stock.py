"""Shopify stock and catalogue: `available` per inventory item at our location.

Stock is written with `inventorySetQuantities` carrying `changeFromQuantity: null` (we are the
source of truth) and an `@idempotent(key:)` directive, so a stock batch whose response was lost
can be re-sent with the same key and is applied once. Older versions (2025-10:
`ignoreCompareQuantity`) still work. No Django imports.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from channels_app.connectors.base import CatalogueEntry, ListingRef, PushResult, StockUpdate
from common.http import ApiError, AuthenticationError, FatalApiError

from .client import ShopifyClient, _user_errors_text
from .queries import (
    CATALOGUE_QUERY,
    LOCATIONS_QUERY,
    STOCK_BATCH,
    STOCK_READ_BATCH,
    STOCK_READ_QUERY,
)

STOCK_ROUNDS = 3  # re-sends of a stock batch without the listings Shopify rejected


class StockMixin(ShopifyClient):
    """Locations, stock writes and reads, and the catalogue; mixed into ShopifyConnector."""

    stock_reason = "correction"

    # -- stock --------------------------------------------------------------------------------------
    def default_location(self) -> str:
        """The location we stock from: the configured one, else the shop's first active one."""
        if not self.location_id:
            nodes = self.graphql(LOCATIONS_QUERY, operation="Locations")["locations"]["nodes"]
            active = [n for n in nodes if n.get("isActive", True)]
            if not active:
                raise FatalApiError("The Shopify shop has no active location", url=self.endpoint)
            self.location_id = active[0]["id"]
        return self.location_id

    def push_stock(self, updates: Sequence[StockUpdate]) -> list[PushResult]:
        """Set `available` per inventory item and location, 250 per inventorySetQuantities.

        Reference: https://shopify.dev/docs/api/admin-graphql/latest/mutations/inventorySetQuantities
        """
        results: dict[int, PushResult] = {}
        indexed = list(enumerate(updates))
        for start in range(0, len(indexed), STOCK_BATCH):
            chunk = indexed[start : start + STOCK_BATCH]
            if any(not u.ref.location_id for _, u in chunk):
                self.default_location()
            results.update(self._push_chunk(chunk))
        return [results[i] for i in range(len(updates))]

    def _stock_mutation(self, key: str) -> str:
        directive = f' @idempotent(key: "{key}")' if self.api_version >= "2026-01" else ""
        return (
            "mutation SetStock($input: InventorySetQuantitiesInput!) {\n"
            f"  inventorySetQuantities(input: $input){directive} {{\n"
            "    inventoryAdjustmentGroup { id }\n"
            "    userErrors { code field message }\n  }\n}"
        )

    def _stock_input(self, chunk: list[tuple[int, StockUpdate]], key: str) -> dict[str, Any]:
        quantities = []
        for _, u in chunk:
            q: dict[str, Any] = {
                "inventoryItemId": u.ref.external_id,
                "locationId": u.ref.location_id or self.location_id,
                "quantity": max(0, int(u.quantity)),
            }
            if self.api_version >= "2026-01":
                q["changeFromQuantity"] = None  # we are the source of truth: no CAS check
            quantities.append(q)
        data: dict[str, Any] = {
            "name": "available",
            "reason": self.stock_reason,
            "referenceDocumentUri": f"gid://exact-backoffice/StockPush/{key}",
            "quantities": quantities,
        }
        if self.api_version < "2026-04":
            data["ignoreCompareQuantity"] = True
        return data

    def _push_chunk(self, chunk: list[tuple[int, StockUpdate]]) -> dict[int, PushResult]:
        """One batch; listings Shopify rejects fail alone and the rest is sent again."""
        results: dict[int, PushResult] = {}
        pending = chunk
        for _ in range(STOCK_ROUNDS):
            if not pending:
                return results
            key = str(uuid.uuid4())  # kept across transport retries of this exact batch
            try:
                payload = self.graphql(
                    self._stock_mutation(key),
                    {"input": self._stock_input(pending, key)},
                    operation="SetStock",
                )["inventorySetQuantities"]
            except AuthenticationError:
                raise
            except ApiError as exc:
                for i, u in pending:
                    results[i] = PushResult(
                        u.ref, False, u.quantity, error=exc.for_staff(), retriable=exc.retriable
                    )
                return results
            errors = payload.get("userErrors") or []
            if not errors:
                for i, u in pending:
                    results[i] = PushResult(u.ref, True, u.quantity)
                return results
            per_item: dict[int, list[dict[str, Any]]] = {}
            general = []
            for e in errors:
                pos = _quantity_index(e.get("field"))
                if pos is not None and pos < len(pending):
                    per_item.setdefault(pos, []).append(e)
                else:
                    general.append(e)
            if general or not per_item:
                retriable = any(e.get("code") == "IDEMPOTENCY_CONCURRENT_REQUEST" for e in general)
                for i, u in pending:
                    results[i] = PushResult(
                        u.ref,
                        False,
                        u.quantity,
                        error=_user_errors_text(general or errors),
                        retriable=retriable,
                    )
                return results
            for pos, errs in per_item.items():
                i, u = pending[pos]
                results[i] = PushResult(u.ref, False, u.quantity, error=_user_errors_text(errs))
            rest = [p for pos, p in enumerate(pending) if pos not in per_item]
            if payload.get("inventoryAdjustmentGroup"):  # applied what it could
                for i, u in rest:
                    results[i] = PushResult(u.ref, True, u.quantity)
                return results
            pending = rest  # Shopify rejected the whole call: send the valid ones again
        for i, u in pending:
            results[i] = PushResult(
                u.ref,
                False,
                u.quantity,
                retriable=True,
                error="Shopify kept rejecting this stock batch",
            )
        return results

    def read_stock(self, refs: Sequence[ListingRef]) -> dict[str, int]:
        """`available` per inventory item (by GID), 250 items per query."""
        out: dict[str, int] = {}
        by_location: dict[str, list[str]] = {}
        for ref in refs:
            by_location.setdefault(ref.location_id or self.default_location(), []).append(
                ref.external_id
            )
        for location, ids in by_location.items():
            for start in range(0, len(ids), STOCK_READ_BATCH):
                nodes = self.graphql(
                    STOCK_READ_QUERY,
                    {"ids": ids[start : start + STOCK_READ_BATCH], "locationId": location},
                    operation="StockLevels",
                )["nodes"]
                for node in nodes:
                    quantity = _available(node) if node else None
                    if quantity is not None:
                        out[node["id"]] = quantity
        return out

    def iter_catalogue(self) -> Iterator[CatalogueEntry]:
        """Every product variant, with its inventory item and `available` at our location.

        Reference: https://shopify.dev/docs/api/admin-graphql/latest/queries/productVariants
        """
        location = self.default_location()
        variables: dict[str, Any] = {"cursor": None, "locationId": location}
        seen: set[str] = set()
        while True:
            conn = self.graphql(CATALOGUE_QUERY, variables, operation="Catalogue")[
                "productVariants"
            ]
            for node in conn["nodes"]:
                item = node.get("inventoryItem") or {}
                sku, ean = node.get("sku") or "", node.get("barcode") or ""
                yield CatalogueEntry(
                    ref=ListingRef(
                        external_id=item.get("id", ""), location_id=location, sku=sku, ean=ean
                    ),
                    title=node.get("displayName") or "",
                    sku=sku,
                    ean=ean,
                    quantity=_available(item),
                )
            info = conn["pageInfo"]
            if not info["hasNextPage"]:
                return
            if not info["endCursor"] or info["endCursor"] in seen:
                raise FatalApiError(
                    "Shopify repeated the productVariants cursor; stopping", url=self.endpoint
                )
            seen.add(info["endCursor"])
            variables["cursor"] = info["endCursor"]


def _available(item: dict[str, Any] | None) -> int | None:
    level = (item or {}).get("inventoryLevel")
    if not level:
        return None
    for q in level.get("quantities") or []:
        if q.get("name") == "available":
            return int(q["quantity"])
    return None


def _quantity_index(field: Any) -> int | None:
    """The quantities[] position a userError's field path points at (["input","quantities","3",...])."""
    if isinstance(field, list) and len(field) >= 3 and field[1] == "quantities":
        try:
            return int(field[2])
        except (TypeError, ValueError):
            return None
    return None
