"""What Amazon lists for the seller: the catalogue, and current quantities for reconcile.

Listings Items 2021-08-01 `searchListingsItems` (20 per call), and `getListingsItem` for SKUs
that contain a comma. No Django imports.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

from channels_app.connectors.base import CatalogueEntry, FatalApiError, ListingRef

from .client import AmazonClient, _json


class CatalogueMixin(AmazonClient):
    """Listing reads; mixed into AmazonConnector."""

    def read_stock(self, refs: Sequence[ListingRef]) -> dict[str, int]:
        """Current DEFAULT quantities, 20 SKUs per searchListingsItems call."""
        skus = list(dict.fromkeys(r.external_id for r in refs))
        out: dict[str, int] = {}
        plain = [s for s in skus if "," not in s]  # identifiers are comma-separated
        for start in range(0, len(plain), 20):
            chunk = plain[start : start + 20]
            data = self._search_listings(
                {
                    "identifiers": ",".join(chunk),
                    "identifiersType": "SKU",
                    "pageSize": 20,
                    "includedData": "fulfillmentAvailability",
                }
            )
            for item in data.get("items", []):
                qty = _default_quantity(item)
                if item.get("sku") in chunk and qty is not None:
                    out[item["sku"]] = qty
        for sku in (s for s in skus if "," in s):
            try:
                item = _json(
                    self._call(
                        "getListingsItem",
                        "GET",
                        self._item_path(sku),
                        params={
                            "marketplaceIds": self._market_param(),
                            "includedData": "fulfillmentAvailability",
                        },
                    )
                )
            except FatalApiError as exc:
                if exc.status == 404:
                    continue
                raise
            qty = _default_quantity(item)
            if qty is not None:
                out[sku] = qty
        return out

    def _item_path(self, sku: str) -> str:
        return f"/listings/2021-08-01/items/{quote(self.seller_id, safe='')}/{quote(sku, safe='')}"

    def _search_listings(self, params: dict[str, Any]) -> dict[str, Any]:
        return _json(
            self._call(
                "searchListingsItems",
                "GET",
                f"/listings/2021-08-01/items/{quote(self.seller_id, safe='')}",
                params={"marketplaceIds": self._market_param(), **params},
            )
        )

    def iter_catalogue(self) -> Iterator[CatalogueEntry]:
        """Every listing via searchListingsItems (20 per page, pageToken)."""
        params: dict[str, Any] = {
            "pageSize": 20,
            "includedData": "summaries,attributes,fulfillmentAvailability",
        }
        seen: set[str] = set()
        while True:
            data = self._search_listings(params)
            for item in data.get("items", []):
                yield _catalogue_entry(item)
            token = (data.get("pagination") or {}).get("nextToken")
            if not token:
                return
            if token in seen:
                raise FatalApiError("Amazon searchListingsItems repeated a page token")
            seen.add(token)
            params = {**params, "pageToken": token}


def _default_quantity(item: dict[str, Any]) -> int | None:
    for entry in item.get("fulfillmentAvailability") or []:
        if entry.get("fulfillmentChannelCode") == "DEFAULT":
            return int(entry.get("quantity", 0))
    return None


def _catalogue_entry(item: dict[str, Any]) -> CatalogueEntry:
    sku = str(item["sku"])
    summary = (item.get("summaries") or [{}])[0]
    attrs = item.get("attributes") or {}
    ean = next(
        (
            str(x.get("value", ""))
            for x in attrs.get("externally_assigned_product_identifier", [])
            if x.get("type") in ("ean", "gtin")
        ),
        "",
    )
    title = summary.get("itemName") or next(
        (x.get("value", "") for x in attrs.get("item_name", [])), ""
    )
    return CatalogueEntry(
        ref=ListingRef(external_id=sku, sku=sku, ean=ean),
        title=title or "",
        sku=sku,
        ean=ean,
        quantity=_default_quantity(item),
    )
