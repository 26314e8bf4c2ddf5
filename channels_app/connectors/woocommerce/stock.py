"""WooCommerce stock and catalogue: batch stock updates, simple products and variations.

Stock goes through the batch endpoints (products, and variations per parent), 100 per call;
quantities are absolute, so a retried batch is harmless. No Django imports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from channels_app.connectors.base import CatalogueEntry, ListingRef, PushResult, StockUpdate
from common.http import ApiError, AuthenticationError

from .client import WooCommerceClient, _int, _json
from .orders import _meta

# Where GTIN/EAN plugins keep the barcode when the core field (9.2+) is empty.
EAN_META_KEYS = (
    "_global_unique_id",
    "_ean",
    "ean",
    "_alg_ean",
    "_wpm_gtin_code",
    "hwp_product_gtin",
)


class StockMixin(WooCommerceClient):
    """Stock writes and the catalogue; mixed into WooCommerceConnector."""

    batch_limit = 100

    # -- stock --------------------------------------------------------------------------------------
    def push_stock(self, updates: Sequence[StockUpdate]) -> list[PushResult]:
        """Absolute stock through the batch endpoints, variations grouped per parent.

        Reference: https://woocommerce.github.io/woocommerce-rest-api-docs/#batch-update-products
        """
        results: list[PushResult | None] = [None] * len(updates)
        groups: dict[str, list[int]] = defaultdict(list)  # batch path -> indexes into updates
        for i, update in enumerate(updates):
            if not update.ref.external_id.isdigit() or (
                update.ref.parent_id and not update.ref.parent_id.isdigit()
            ):
                results[i] = PushResult(
                    update.ref, False, update.quantity, error="Not a WooCommerce id"
                )
                continue
            parent = update.ref.parent_id
            groups[
                f"/products/{int(parent)}/variations/batch" if parent else "/products/batch"
            ].append(i)
        for path, indexes in groups.items():
            for start in range(0, len(indexes), self.batch_limit):
                chunk = indexes[start : start + self.batch_limit]
                for i, result in zip(
                    chunk, self._push_batch(path, [updates[i] for i in chunk]), strict=True
                ):
                    results[i] = result
        return [r for r in results if r is not None]

    def _push_batch(self, path: str, updates: Sequence[StockUpdate]) -> list[PushResult]:
        body = {
            "update": [
                {"id": int(u.ref.external_id), "manage_stock": True, "stock_quantity": u.quantity}
                for u in updates
            ]
        }
        try:
            data = _json(self._request("POST", path, body=body))
        except AuthenticationError:
            raise
        except ApiError as exc:
            return [
                PushResult(u.ref, False, u.quantity, exc.for_staff(), exc.retriable)
                for u in updates
            ]
        answer = (data.get("update") if isinstance(data, dict) else None) or []
        results = []
        for i, update in enumerate(updates):
            row = answer[i] if i < len(answer) and isinstance(answer[i], dict) else {}
            results.append(_push_result(update, row))
        return results

    # -- catalogue ----------------------------------------------------------------------------------
    def iter_catalogue(self) -> Iterator[CatalogueEntry]:
        """Simple products and every variation (variable parents hold no stock of their own).

        Reference: https://woocommerce.github.io/woocommerce-rest-api-docs/#list-all-products
        """
        for rows, _total in self._pages("/products", {"orderby": "id", "order": "asc"}):
            for product in rows:
                if product.get("type") == "variable":
                    yield from self._variations(product)
                elif product.get("type") != "variation":
                    yield _catalogue_entry(product, parent=None)

    def _variations(self, parent: dict[str, Any]) -> Iterator[CatalogueEntry]:
        for rows, _total in self._pages(f"/products/{parent['id']}/variations", {}):
            for variation in rows:
                yield _catalogue_entry(variation, parent=parent)


def _catalogue_entry(
    item: Mapping[str, Any], *, parent: Mapping[str, Any] | None
) -> CatalogueEntry:
    sku = str(item.get("sku") or "")
    ean = str(item.get("global_unique_id") or "") or _meta(item, EAN_META_KEYS)
    ref = ListingRef(
        external_id=str(item["id"]), parent_id=str(parent["id"]) if parent else "", sku=sku, ean=ean
    )
    title = str(item.get("name") or "")
    if parent and not title:
        options = " ".join(str(a.get("option", "")) for a in item.get("attributes") or [])
        title = f"{parent.get('name', '')} - {options}".strip(" -")
    managed = item.get("manage_stock") is True and item.get("stock_quantity") is not None
    return CatalogueEntry(
        ref=ref,
        title=title,
        sku=sku,
        ean=ean,
        quantity=int(item["stock_quantity"]) if managed else None,
    )


def _push_result(update: StockUpdate, row: Mapping[str, Any]) -> PushResult:
    error = row.get("error")
    if isinstance(error, dict):
        status = _int((error.get("data") or {}).get("status"), 400)
        text = f"{error.get('message', 'Failed')} ({error.get('code', '')})"
        return PushResult(
            update.ref, False, update.quantity, text, retriable=status >= 500 or status == 429
        )
    if str(row.get("id")) != update.ref.external_id:
        return PushResult(
            update.ref,
            False,
            update.quantity,
            "WooCommerce answered for another id",
            retriable=True,
        )
    if row.get("stock_quantity") != update.quantity:
        return PushResult(
            update.ref,
            False,
            update.quantity,
            "WooCommerce did not keep the quantity (stock management off?)",
        )
    return PushResult(update.ref, True, update.quantity)
