"""The write side of the Shopify sandbox: the mutations our connector sends.

- `inventorySetQuantities`, with the rules of the API version the request used:
  2025-10 compareQuantity / ignoreCompareQuantity (COMPARE_QUANTITY_REQUIRED/STALE);
  2026-01 adds changeFromQuantity and an optional `@idempotent(key:)`;
  2026-04+ requires changeFromQuantity on every quantity (null skips the check) and the
  `@idempotent` directive, and no longer accepts compareQuantity / ignoreCompareQuantity.
  Any userError rejects the whole call (nothing applied). Same key + same input returns the
  stored result; same key + other input is IDEMPOTENCY_KEY_PARAMETER_MISMATCH.
- `fulfillmentCreate`: remaining-quantity checks, ON_HOLD/closed fulfillment orders refused, one
  order and one location per call, tracking URL generated for carriers on Shopify's list.
- `webhookSubscriptionCreate` / `webhookSubscriptionDelete`.
No Django imports.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from channels_app.sandbox.shopify_graph import Obj, ShopifyGraph
from channels_app.sandbox.shopify_graphql import FieldError, Info, RequestError, error
from channels_app.sandbox.shopify_store import Fulfillment, Order, gid, iso, parse_gid

MAX_INPUT = 250
QUANTITY_LIMIT = 1_000_000_000
INVENTORY_REASONS = {
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_created",
    "movement_updated",
    "movement_received",
    "movement_canceled",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
}
WEBHOOK_TOPICS = {
    "ORDERS_CREATE": "orders/create",
    "ORDERS_UPDATED": "orders/updated",
    "ORDERS_CANCELLED": "orders/cancelled",
    "ORDERS_PAID": "orders/paid",
    "ORDERS_FULFILLED": "orders/fulfilled",
    "APP_UNINSTALLED": "app/uninstalled",
}

# Shopify generates tracking URLs only for companies on its list, spelled exactly (case matters).
TRACKING_URLS: dict[str, str] = {
    "PostNL": "https://jouw.postnl.nl/track-and-trace/{n}",
    "DHL Parcel": "https://my.dhlparcel.nl/home/tracktrace/{n}",
    "DHL Express": "https://www.dhl.com/en/express/tracking.html?AWB={n}",
    "DHL eCommerce": "https://webtrack.dhlecs.com/?trackingnumber={n}",
    "DHL": "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={n}",
    "Deutsche Post": "https://www.deutschepost.de/sendung/simpleQuery.html?form.sendungsnummer={n}",
    "DPD": "https://tracking.dpd.de/status/en_US/parcel/{n}",
    "GLS": "https://gls-group.eu/EU/en/parcel-tracking?match={n}",
    "UPS": "https://www.ups.com/WebTracking?tracknum={n}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={n}",
    "TNT": "https://www.tnt.com/express/en_gb/site/shipping-tools/tracking.html?cons={n}",
    "BPost": "https://track.bpost.cloud/btr/web/#/search?itemCode={n}",
}
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def _not_accepted(input_type: str, arg: str, path: list[Any]) -> RequestError:
    return RequestError(
        [
            error(
                f"InputObject '{input_type}' doesn't accept argument '{arg}'",
                code="argumentNotAccepted",
                path=path,
                name=input_type,
                typeName="InputObject",
                argumentName=arg,
            )
        ]
    )


class ShopifyMutations(ShopifyGraph):
    """Mutation resolvers (mixed into ShopifySandbox, which provides the hooks below)."""

    clock: Callable[[], float]
    api_version_in_use: str
    idempotency: dict[str, tuple[str, Obj]]
    adjustment_groups: list[Obj]

    def emit(self, topic: str, order: Order) -> None:  # pragma: no cover - provided by sandbox
        raise NotImplementedError

    def mutation_root(self) -> Obj:
        return {
            "__typename": "Mutation",
            "inventorySetQuantities": self.m_inventory_set_quantities,
            "fulfillmentCreate": self.m_fulfillment_create,
            "webhookSubscriptionCreate": self.m_webhook_subscription_create,
            "webhookSubscriptionDelete": self.m_webhook_subscription_delete,
        }

    # -- inventorySetQuantities -------------------------------------------------------------------
    def _check_inventory_shape(self, data: Obj, info: Info) -> None:
        """Version rules that fail the whole request (GraphQL errors, not userErrors)."""
        version = self.api_version_in_use
        path = ["inventorySetQuantities", "input"]
        quantities = data.get("quantities") or []
        if len(quantities) > MAX_INPUT:
            raise RequestError(
                [
                    error(
                        f"The input array size of {len(quantities)} is greater than the maximum allowed "
                        f"of {MAX_INPUT}.",
                        code="MAX_INPUT_SIZE_EXCEEDED",
                        path=[*path, "quantities"],
                    )
                ]
            )
        if version < "2026-01":
            if "idempotent" in info.directives:
                raise RequestError(
                    [
                        error(
                            "Directive 'idempotent' is not defined",
                            code="undefinedDirective",
                            path=path[:1],
                            directiveName="idempotent",
                        )
                    ]
                )
            for q in quantities:
                if "changeFromQuantity" in q:
                    raise _not_accepted("InventoryQuantityInput", "changeFromQuantity", path)
        if version >= "2026-04":
            if "ignoreCompareQuantity" in data:
                raise _not_accepted("InventorySetQuantitiesInput", "ignoreCompareQuantity", path)
            for i, q in enumerate(quantities):
                if "compareQuantity" in q:
                    raise _not_accepted("InventoryQuantityInput", "compareQuantity", path)
                if "changeFromQuantity" not in q:
                    raise RequestError(
                        [
                            error(
                                "changeFromQuantity is required for every quantity as of API version "
                                "2026-04; pass null to skip the compare-and-swap check.",
                                code="BAD_REQUEST",
                                path=[*path, "quantities", i],
                            )
                        ]
                    )
            if not (info.directives.get("idempotent") or {}).get("key"):
                raise RequestError(
                    [
                        error(
                            "The @idempotent directive with a key is required for this mutation.",
                            code="BAD_REQUEST",
                            path=path[:1],
                        )
                    ]
                )

    def _inventory_user_errors(self, data: Obj) -> list[Obj]:
        version = self.api_version_in_use
        errs: list[Obj] = []

        def add(code: str, field: list[str], message: str) -> None:
            errs.append(
                {
                    "__typename": "InventorySetQuantitiesUserError",
                    "code": code,
                    "field": field,
                    "message": message,
                }
            )

        name = data.get("name")
        if name not in ("available", "on_hand"):
            add(
                "INVALID_NAME",
                ["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
            )
        if data.get("reason") not in INVENTORY_REASONS:
            add("INVALID_REASON", ["input", "reason"], "The specified reason is invalid.")
        uri = data.get("referenceDocumentUri")
        if uri is not None and not _URI.match(str(uri)):
            add(
                "INVALID_REFERENCE_DOCUMENT",
                ["input", "referenceDocumentUri"],
                "The specified reference document is invalid.",
            )
        seen: set[tuple[int, int]] = set()
        for i, q in enumerate(data.get("quantities") or []):
            at = ["input", "quantities", str(i)]
            item = parse_gid(q.get("inventoryItemId"), "InventoryItem")
            loc = parse_gid(q.get("locationId"), "Location")
            if item not in self.state.items:
                add(
                    "INVALID_INVENTORY_ITEM",
                    [*at, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                )
                continue
            if loc not in self.state.locations:
                add(
                    "INVALID_LOCATION",
                    [*at, "locationId"],
                    "The specified location could not be found.",
                )
                continue
            level = self.state.levels.get((item, loc))
            if level is None:
                add(
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                    [*at, "locationId"],
                    "The specified inventory item is not stocked at the location.",
                )
                continue
            if (item, loc) in seen:
                add(
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    [*at, "inventoryItemId"],
                    "The combination of inventoryItemId and locationId must be unique.",
                )
            seen.add((item, loc))
            quantity = q.get("quantity")
            if not isinstance(quantity, int) or quantity > QUANTITY_LIMIT:
                add(
                    "INVALID_QUANTITY_TOO_HIGH",
                    [*at, "quantity"],
                    "The quantity can't be higher than 1,000,000,000.",
                )
            elif quantity < -QUANTITY_LIMIT:
                add(
                    "INVALID_QUANTITY_TOO_LOW",
                    [*at, "quantity"],
                    "The quantity can't be lower than -1,000,000,000.",
                )
            elif quantity < 0 and name == "on_hand":
                add(
                    "INVALID_QUANTITY_NEGATIVE",
                    [*at, "quantity"],
                    "The quantity can't be negative.",
                )
            current = level.available if name == "available" else level.on_hand
            if "changeFromQuantity" in q and version >= "2026-01":
                if q["changeFromQuantity"] is not None and q["changeFromQuantity"] != current:
                    add(
                        "CHANGE_FROM_QUANTITY_STALE",
                        [*at, "changeFromQuantity"],
                        "The changeFromQuantity value does not match persisted value.",
                    )
            elif version < "2026-04" and not data.get("ignoreCompareQuantity"):
                if q.get("compareQuantity") is None:
                    add(
                        "COMPARE_QUANTITY_REQUIRED",
                        [*at, "compareQuantity"],
                        "The compareQuantity argument must be given to each quantity or "
                        "ignored using ignoreCompareQuantity.",
                    )
                elif q["compareQuantity"] != current:
                    add(
                        "COMPARE_QUANTITY_STALE",
                        [*at, "compareQuantity"],
                        "The compareQuantity value does not match persisted value.",
                    )
        return errs

    def _apply_inventory(self, data: Obj) -> Obj:
        now = self.clock()
        changes = []
        for q in data["quantities"]:
            item = parse_gid(q["inventoryItemId"], "InventoryItem") or 0
            loc = parse_gid(q["locationId"], "Location") or 0
            level = self.state.levels[(item, loc)]
            before = level.available if data["name"] == "available" else level.on_hand
            delta = int(q["quantity"]) - before
            level.available += delta
            level.updated_at = now
            variant = self.state.items[item]
            for name, after in (("available", level.available), ("on_hand", level.on_hand)):
                changes.append(
                    {
                        "__typename": "InventoryChange",
                        "name": name,
                        "delta": delta,
                        "quantityAfterChange": after,
                        "item": lambda a, i, v=variant: self.g_item(v),
                        "location": self.g_location(self.state.locations[loc]),
                    }
                )
        group = {
            "__typename": "InventoryAdjustmentGroup",
            "id": gid("InventoryAdjustmentGroup", self.state.next_id("InventoryAdjustmentGroup")),
            "createdAt": iso(now),
            "reason": data["reason"],
            "referenceDocumentUri": data.get("referenceDocumentUri"),
            "changes": changes,
        }
        self.adjustment_groups.append(group)
        return group

    def m_inventory_set_quantities(self, args: Obj, info: Info) -> Obj:
        data = args.get("input") or {}
        self._check_inventory_shape(data, info)
        key = (info.directives.get("idempotent") or {}).get("key")
        fingerprint = json.dumps(data, sort_keys=True, default=str)
        if key and key in self.idempotency:
            stored_fingerprint, result = self.idempotency[key]
            if stored_fingerprint == fingerprint:
                return result
            return {
                "__typename": "InventorySetQuantitiesPayload",
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    {
                        "__typename": "InventorySetQuantitiesUserError",
                        "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                        "field": None,
                        "message": "The same idempotency key cannot be used with "
                        "different operation parameters.",
                    }
                ],
            }
        errors = self._inventory_user_errors(data)
        group = None if errors else self._apply_inventory(data)
        result = {
            "__typename": "InventorySetQuantitiesPayload",
            "inventoryAdjustmentGroup": group,
            "userErrors": errors,
        }
        if key:
            self.idempotency[key] = (fingerprint, result)
        return result

    # -- fulfillmentCreate ----------------------------------------------------------------------
    def m_fulfillment_create(self, args: Obj, info: Info) -> Obj:
        data = args.get("fulfillment") or args.get("input") or {}
        groups = data.get("lineItemsByFulfillmentOrder") or []
        if len(groups) > MAX_INPUT:
            raise RequestError(
                [
                    error(
                        f"The input array size of {len(groups)} is greater than the maximum allowed of "
                        f"{MAX_INPUT}.",
                        code="MAX_INPUT_SIZE_EXCEEDED",
                        path=["fulfillmentCreate", "fulfillment", "lineItemsByFulfillmentOrder"],
                    )
                ]
            )
        errors: list[Obj] = []

        def fail(message: str, field: list[str] | None = None) -> Obj:
            errors.append(
                {"__typename": "UserError", "field": field or ["fulfillment"], "message": message}
            )
            return {
                "__typename": "FulfillmentCreatePayload",
                "fulfillment": None,
                "userErrors": errors,
            }

        if not groups:
            return fail(
                "Line items by fulfillment order can't be blank.",
                ["fulfillment", "lineItemsByFulfillmentOrder"],
            )
        plan: list[tuple[Any, Any, int]] = []  # (fulfillment order, its line, quantity)
        orders, locations = set(), set()
        for gi, g in enumerate(groups):
            at = ["fulfillment", "lineItemsByFulfillmentOrder", str(gi)]
            found = self.state.find_fulfillment_order(
                parse_gid(g.get("fulfillmentOrderId"), "FulfillmentOrder") or 0
            )
            if found is None:
                return fail("Fulfillment order does not exist.", [*at, "fulfillmentOrderId"])
            order, fo = found
            if fo.status not in ("OPEN", "IN_PROGRESS"):
                return fail(
                    f"Fulfillment order {gid('FulfillmentOrder', fo.id)} has an "
                    f"unfulfillable status= {fo.status.lower()}."
                )
            orders.add(order.id)
            locations.add(fo.location_id)
            wanted = g.get("fulfillmentOrderLineItems") or []
            if not wanted:
                plan.extend((fo, fol, fol.remaining) for fol in fo.lines if fol.remaining > 0)
            for wi, w in enumerate(wanted):
                fol_id = parse_gid(w.get("id"), "FulfillmentOrderLineItem")
                fol = next((x for x in fo.lines if x.id == fol_id), None)
                if fol is None:
                    return fail(
                        "Invalid fulfillment order line item id.",
                        [*at, "fulfillmentOrderLineItems", str(wi), "id"],
                    )
                qty = w.get("quantity")
                if not isinstance(qty, int) or qty <= 0 or qty > fol.remaining:
                    return fail("Invalid fulfillment order line item quantity requested.")
                plan.append((fo, fol, qty))
        if len(orders) > 1:
            return fail("All fulfillment orders must belong to the same order.")
        if len(locations) > 1:
            return fail("All fulfillment orders must be assigned to the same location.")
        if not plan:
            return fail("Invalid fulfillment order line item quantity requested.")
        order = self.state.orders[orders.pop()]
        return {
            "__typename": "FulfillmentCreatePayload",
            "userErrors": [],
            "fulfillment": self.g_fulfillment(order, self._fulfil(order, plan, data)),
        }

    def _fulfil(self, order: Order, plan: list[tuple[Any, Any, int]], data: Obj) -> Fulfillment:
        now = self.clock()
        tracking = data.get("trackingInfo") or {}
        number = tracking.get("number") or (tracking.get("numbers") or [None])[0]
        url = tracking.get("url") or (tracking.get("urls") or [None])[0]
        company = tracking.get("company")
        if url is None and number and company in TRACKING_URLS:
            url = TRACKING_URLS[company].format(n=number)
        f = Fulfillment(
            self.state.next_id("Fulfillment"),
            order.id,
            company,
            number,
            url,
            [],
            bool(data.get("notifyCustomer")),
            now,
        )
        for fo, fol, qty in plan:
            fol.remaining -= qty
            f.lines.append((fol.id, fol.line_id, qty))
            level = self.state.levels.get((self._item_of(order, fol.line_id), fo.location_id))
            if level is not None:
                level.committed = max(0, level.committed - qty)
                level.updated_at = now
        for fo in {id(p[0]): p[0] for p in plan}.values():
            fo.status = "CLOSED" if all(x.remaining == 0 for x in fo.lines) else "IN_PROGRESS"
            fo.updated_at = now
        order.fulfillments.append(f)
        order.updated_at = now
        self.emit("orders/updated", order)
        if order.display_fulfillment_status == "FULFILLED":
            self.emit("orders/fulfilled", order)
        return f

    def _item_of(self, order: Order, line_id: int) -> int:
        li = next(x for x in order.lines if x.id == line_id)
        return li.variant.inventory_item_id if li.variant else 0

    # -- webhook subscriptions ------------------------------------------------------------------
    def m_webhook_subscription_create(self, args: Obj, info: Info) -> Obj:
        topic = str(args.get("topic") or "")
        if topic not in WEBHOOK_TOPICS:
            raise RequestError(
                [
                    error(
                        f"Argument 'topic' on Field 'webhookSubscriptionCreate' has an invalid value "
                        f"({topic}). Expected type 'WebhookSubscriptionTopic!'.",
                        code="argumentLiteralsIncompatible",
                        path=["webhookSubscriptionCreate", "topic"],
                    )
                ]
            )
        sub_in = args.get("webhookSubscription") or {}
        uri = sub_in.get("uri") or sub_in.get("callbackUrl") or ""
        field = ["webhookSubscription", "uri" if "uri" in sub_in else "callbackUrl"]
        problem = None
        if not re.match(r"^https?://[^\s/]+", uri):
            problem = "Address is invalid"
        elif any(
            s["topic"] == topic and s["uri"] == uri for s in self.state.subscriptions.values()
        ):
            problem = "Address for this topic has already been taken"
        if problem:
            return {
                "__typename": "WebhookSubscriptionCreatePayload",
                "webhookSubscription": None,
                "userErrors": [{"__typename": "UserError", "field": field, "message": problem}],
            }
        sub_id = self.state.next_id("WebhookSubscription")
        self.state.subscriptions[sub_id] = {
            "id": sub_id,
            "topic": topic,
            "uri": uri,
            "created_at": self.clock(),
        }
        return {
            "__typename": "WebhookSubscriptionCreatePayload",
            "userErrors": [],
            "webhookSubscription": self.g_subscription(self.state.subscriptions[sub_id]),
        }

    def m_webhook_subscription_delete(self, args: Obj, info: Info) -> Obj:
        sub_id = parse_gid(args.get("id"), "WebhookSubscription")
        if sub_id not in self.state.subscriptions:
            raise FieldError("Webhook subscription does not exist", "NOT_FOUND")
        del self.state.subscriptions[sub_id]
        return {
            "__typename": "WebhookSubscriptionDeletePayload",
            "userErrors": [],
            "deletedWebhookSubscriptionId": gid("WebhookSubscription", sub_id),
        }
