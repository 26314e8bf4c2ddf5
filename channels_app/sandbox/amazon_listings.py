"""Listings Items API 2021-08-01 in the Amazon sandbox: patch, get and search listings.

A PATCH is checked at once (400 for a malformed request, status INVALID with issues for a
valid request Amazon would refuse) and otherwise ACCEPTED as a submission that is applied
`listing_apply_delay` seconds later on the sandbox clock (0 = at once). An issue armed with
`arm_listing_issue` is attached to the listing when the next submission for it is processed,
and that submission is not applied: ACCEPTED followed by an asynchronous issue.

`unknown_sku_policy` decides a PATCH on a SKU the seller does not have: "invalid" (default)
answers INVALID with a missing-attribute issue; "accept" answers ACCEPTED and creates an
incomplete, unbuyable offer fragment, which is what selling-partner-api-models #2797 and #4402
report for pricing patches and JSON_LISTINGS_FEED.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from werkzeug.wrappers import Request, Response

from channels_app.sandbox.amazon_data import (
    MARKETPLACES,
    Listing,
    decode_token,
    encode_token,
    invalid,
    iso,
    list_param,
    not_found,
    signature,
    sp_error,
)
from common.sandbox import json_response

PATCH_OPS = ("add", "replace", "merge", "delete")
INCLUDED = frozenset(
    {
        "summaries",
        "attributes",
        "issues",
        "offers",
        "fulfillmentAvailability",
        "procurement",
        "relationships",
        "productTypes",
    }
)
FA = "fulfillment_availability"
UNPARSEABLE = "Request has missing or invalid parameters and cannot be parsed."


def issue(
    code: str,
    message: str,
    attribute: str = "",
    category: str = "INVALID_ATTRIBUTE",
    severity: str = "ERROR",
) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "severity": severity,
        "attributeNames": [attribute] if attribute else [],
        "categories": [category],
    }


MISSING_NAME = issue(
    "90220", "'item_name' is required but not supplied.", "item_name", "MISSING_ATTRIBUTE"
)
FA_SELECTOR = issue(
    "90220",
    "The field 'fulfillment_channel_code' for the attribute "
    "'fulfillment_availability' does not have enough values. The required "
    "minimum is '1' value(s).",
    FA,
    "MISSING_ATTRIBUTE",
)
FA_INVALID = issue("90000900", "The attributes are invalid.", FA)


@dataclass
class Submission:
    submission_id: str
    sku: str
    patches: list[dict[str, Any]]
    due: float


def patch_problem(body: Any) -> str | None:
    """Why a patch request is malformed (400), or None."""
    if not isinstance(body, dict) or not isinstance(body.get("productType"), str):
        return UNPARSEABLE
    patches = body.get("patches")
    if not isinstance(patches, list) or not patches:
        return UNPARSEABLE
    for index, patch in enumerate(patches):
        if (
            not isinstance(patch, dict)
            or patch.get("op") not in PATCH_OPS
            or not str(patch.get("path", "")).startswith("/attributes/")
        ):
            return UNPARSEABLE
        if patch["op"] != "delete" and not isinstance(patch.get("value"), list):
            return f"Value is missing for patch at index of {index}."
    return None


def value_issues(patches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issues Amazon reports for fulfillment_availability values it cannot use."""
    out: list[dict[str, Any]] = []
    for patch in patches:
        if patch["path"] != f"/attributes/{FA}" or patch["op"] == "delete":
            continue
        for entry in patch["value"]:
            if not isinstance(entry, dict) or not entry.get("fulfillment_channel_code"):
                out.append(FA_SELECTOR)
            elif "quantity" in entry and (
                not isinstance(entry["quantity"], int)
                or isinstance(entry["quantity"], bool)
                or not 0 <= entry["quantity"] <= 99_999_999
            ):
                out.append(FA_INVALID)
    return out


def apply_patches(listing: Listing, patches: list[dict[str, Any]], now: float) -> None:
    for patch in patches:
        name = patch["path"].split("/")[2]
        op, value = patch["op"], patch.get("value") or []
        if name != FA:
            if op == "delete":
                listing.attributes.pop(name, None)
            else:
                listing.attributes[name] = value
            continue
        if op in ("add", "replace"):  # replaces the whole list: other channels are dropped
            listing.fulfillment = [dict(v) for v in value]
        elif op == "delete":
            codes = {v.get("fulfillment_channel_code") for v in value}
            listing.fulfillment = (
                []
                if not value
                else [
                    e for e in listing.fulfillment if e.get("fulfillment_channel_code") not in codes
                ]
            )
        else:  # merge: update the entry with the same fulfillment_channel_code, keep the rest
            for v in value:
                match = next(
                    (
                        e
                        for e in listing.fulfillment
                        if e.get("fulfillment_channel_code") == v["fulfillment_channel_code"]
                    ),
                    None,
                )
                if match is None:
                    listing.fulfillment.append(dict(v))
                else:
                    match.update(v)
    listing.updated = now


class ListingsMixin:
    """Listings state and routes; mixed into AmazonSandbox."""

    lock: Any
    clock: Callable[[], float]
    rng: random.Random
    seller_id: str
    marketplace_ids: tuple[str, ...]
    listings: dict[str, Listing]
    submissions: list[Submission]
    unknown_sku_policy: str
    listing_apply_delay: float

    # -- control ---------------------------------------------------------------------------------
    def listing_quantity(self, sku: str) -> int | None:
        """The merchant-fulfilled (DEFAULT) quantity Amazon holds for a SKU."""
        with self.lock:
            self._process_submissions()
            listing = self.listings.get(sku)
            return None if listing is None else listing.quantity()

    def listing_issues(self, sku: str) -> list[dict[str, Any]]:
        with self.lock:
            self._process_submissions()
            return list(self.listings[sku].issues)

    def arm_listing_issue(self, sku: str, message: str, code: str = "99300") -> None:
        """The next accepted submission for sku fails later with this issue (not applied)."""
        with self.lock:
            if sku not in self.listings:
                raise KeyError(f"no listing {sku}")
            self.listings[sku].armed_issue = f"{code}|{message}"

    # -- processing ------------------------------------------------------------------------------
    def _process_submissions(self) -> None:
        now = self.clock()
        due = [s for s in self.submissions if s.due <= now]
        self.submissions = [s for s in self.submissions if s.due > now]
        for sub in due:
            listing = self.listings.get(sub.sku)
            if listing is not None:
                self._apply_or_fail(listing, sub.patches, now)

    def _apply_or_fail(
        self, listing: Listing, patches: list[dict[str, Any]], now: float
    ) -> dict[str, Any] | None:
        """Apply patches unless an issue is armed; returns the issue that stopped it."""
        if listing.armed_issue:
            code, message = listing.armed_issue.split("|", 1)
            listing.armed_issue = None
            found = issue(code, message, FA)
            listing.issues.append(found)
            listing.updated = now
            return found
        apply_patches(listing, patches, now)
        return None

    def _fragment(self, sku: str, product_type: str, now: float) -> Listing:
        """An offer-only listing created by patching an unknown SKU (policy "accept")."""
        listing = Listing(
            sku=sku,
            ean="",
            title="",
            price=Decimal("0"),
            asin="",
            product_type=product_type,
            created=now,
            updated=now,
            complete=False,
        )
        listing.issues.append(MISSING_NAME)
        self.listings[sku] = listing
        return listing

    def _refusals(
        self, listing: Listing | None, sku: str, product_type: str, patches: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if listing is None and self.unknown_sku_policy == "invalid":
            out.append(MISSING_NAME)
        if listing is not None and product_type not in ("PRODUCT", listing.product_type):
            out.append(
                issue(
                    "4000003",
                    f"The product type '{product_type}' does not match "
                    f"the product type '{listing.product_type}' of SKU '{sku}'.",
                )
            )
        return out + value_issues(patches)

    # -- routes ----------------------------------------------------------------------------------
    def _marketplaces(self, request: Request) -> list[str] | Response:
        markets = list_param(request.args.getlist("marketplaceIds"))
        if not markets:
            return invalid("Missing required parameter 'marketplaceIds'.")
        unknown = [m for m in markets if m not in self.marketplace_ids]
        if unknown:
            return invalid(
                f"Invalid marketplaceIds: {', '.join(unknown)}.",
                "The seller does not participate in these marketplaces.",
            )
        return markets

    def _seller_ok(self, seller_id: str) -> Response | None:
        if seller_id != self.seller_id:
            return sp_error(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The selling partner id does not match the authorisation.",
            )
        return None

    def api_patch_listing(self, request: Request, seller_id: str, sku: str) -> Response:
        refused = self._seller_ok(seller_id)
        markets = self._marketplaces(request)
        if refused or isinstance(markets, Response):
            return refused or markets  # type: ignore[return-value]
        body = request.get_json(silent=True)
        problem = patch_problem(body)
        if problem:
            return invalid(problem)
        preview = request.args.get("mode") == "VALIDATION_PREVIEW"
        with self.lock:
            now = self.clock()
            sub_id = f"{self.rng.getrandbits(128):032x}"
            listing = self.listings.get(sku)
            issues = self._refusals(listing, sku, body["productType"], body["patches"])
            status = "INVALID" if issues else ("VALID" if preview else "ACCEPTED")
            if status == "ACCEPTED":
                if listing is None:
                    self._fragment(sku, body["productType"], now)
                self.submissions.append(
                    Submission(sub_id, sku, body["patches"], now + self.listing_apply_delay)
                )
                self._process_submissions()
        return json_response(
            {"sku": sku, "status": status, "submissionId": sub_id, "issues": issues}
        )

    def api_get_listing(self, request: Request, seller_id: str, sku: str) -> Response:
        refused = self._seller_ok(seller_id)
        markets = self._marketplaces(request)
        if refused or isinstance(markets, Response):
            return refused or markets  # type: ignore[return-value]
        included = self._included(request)
        if isinstance(included, Response):
            return included
        with self.lock:
            listing = self.listings.get(sku)
            if listing is None:
                return not_found(f"SKU '{sku}' not found in marketplace {markets[0]}.")
            return json_response(self._render_listing(listing, included, markets))

    def api_search_listings(self, request: Request, seller_id: str) -> Response:
        refused = self._seller_ok(seller_id)
        markets = self._marketplaces(request)
        if refused or isinstance(markets, Response):
            return refused or markets  # type: ignore[return-value]
        included = self._included(request)
        if isinstance(included, Response):
            return included
        args = request.args
        identifiers = list_param(args.getlist("identifiers"))
        id_type = args.get("identifiersType", "")
        if (identifiers and not id_type) or len(identifiers) > 20:
            return invalid("identifiers needs identifiersType and at most 20 values.")
        try:
            size = int(args.get("pageSize", "10"))
        except ValueError:
            size = 0
        if not 1 <= size <= 20:
            return invalid("pageSize must be between 1 and 20.")
        filters = {
            k: args.getlist(k)
            for k in sorted(args)
            if k not in ("pageToken", "pageSize", "includedData")
        }
        start = 0
        if args.get("pageToken"):
            data = decode_token(args["pageToken"])
            if not data or data.get("v") != "listings" or data.get("s") != signature(filters):
                return invalid("Invalid pageToken.")
            start = int(data["o"])
        with self.lock:
            self._process_submissions()
            rows = sorted(self.listings.values(), key=lambda x: x.sku)
            if identifiers:
                attr = {"SKU": "sku", "ASIN": "asin", "EAN": "ean", "GTIN": "ean"}.get(id_type)
                rows = [x for x in rows if attr and getattr(x, attr) in identifiers]
            page = rows[start : start + size]
            body: dict[str, Any] = {
                "numberOfResults": len(rows),
                "items": [self._render_listing(x, included, markets) for x in page],
            }
        pagination: dict[str, str] = {}
        if start + size < len(rows):
            pagination["nextToken"] = encode_token(
                {"v": "listings", "s": signature(filters), "o": start + size}
            )
        if start:
            pagination["previousToken"] = encode_token(
                {"v": "listings", "s": signature(filters), "o": max(0, start - size)}
            )
        if pagination:
            body["pagination"] = pagination
        return json_response(body)

    @staticmethod
    def _included(request: Request) -> frozenset[str] | Response:
        included = frozenset(list_param(request.args.getlist("includedData"))) or frozenset(
            {"summaries"}
        )
        if included - INCLUDED:
            return invalid(f"Invalid includedData: {', '.join(sorted(included - INCLUDED))}.")
        return included

    def _render_listing(
        self, listing: Listing, included: frozenset[str], markets: list[str]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"sku": listing.sku}
        qty = listing.quantity() or 0
        blocked = any(i["severity"] == "ERROR" for i in listing.issues)
        if "summaries" in included:
            status = (
                []
                if not listing.complete
                else (["BUYABLE", "DISCOVERABLE"] if qty > 0 and not blocked else ["DISCOVERABLE"])
            )
            out["summaries"] = [
                {
                    "marketplaceId": m,
                    "asin": listing.asin,
                    "productType": listing.product_type,
                    "conditionType": "new_new",
                    "status": status,
                    "itemName": listing.title,
                    "createdDate": iso(listing.created),
                    "lastUpdatedDate": iso(listing.updated),
                }
                for m in markets
            ]
        if "attributes" in included:
            out["attributes"] = self._attributes(listing, markets)
        if "issues" in included:
            out["issues"] = list(listing.issues)
        if "offers" in included and listing.complete:
            out["offers"] = [
                {
                    "marketplaceId": m,
                    "offerType": "B2C",
                    "price": {"currencyCode": MARKETPLACES[m][2], "amount": f"{listing.price:.2f}"},
                }
                for m in markets
            ]
        if "fulfillmentAvailability" in included:
            out["fulfillmentAvailability"] = [
                {
                    "fulfillmentChannelCode": e["fulfillment_channel_code"],
                    "quantity": int(e.get("quantity", 0)),
                }
                for e in listing.fulfillment
            ]
        return out

    @staticmethod
    def _attributes(listing: Listing, markets: list[str]) -> dict[str, Any]:
        attrs: dict[str, Any] = dict(listing.attributes)
        mp = markets[0]
        if listing.complete:
            attrs.update(
                {
                    "item_name": [
                        {
                            "value": listing.title,
                            "language_tag": MARKETPLACES[mp][3],
                            "marketplace_id": mp,
                        }
                    ],
                    "externally_assigned_product_identifier": [
                        {"type": "ean", "value": listing.ean, "marketplace_id": mp}
                    ],
                    "condition_type": [{"value": "new_new", "marketplace_id": mp}],
                    "purchasable_offer": [
                        {
                            "currency": MARKETPLACES[mp][2],
                            "marketplace_id": mp,
                            "our_price": [{"schedule": [{"value_with_tax": float(listing.price)}]}],
                        }
                    ],
                }
            )
        attrs[FA] = [dict(e) for e in listing.fulfillment]
        return attrs
