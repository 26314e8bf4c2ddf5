"""Sales orders, goods deliveries (with tracking numbers) and a line-grain invoice mirror
(reference 5.7, 5.8, 5.10).

Status codes (Status/DeliveryStatus): 12 open, 20 partial, 21 complete, 45 cancelled.
Creating an order raises PlanningOut (and so lowers FreeStock) on the order's warehouse (main by
default); kits with an assembly BOM explode into their parts for stock. A delivery lowers
CurrentStock and PlanningOut and writes one invoice line per delivered line (the sandbox invoices
on delivery). DELETE of an order with nothing delivered removes it (sync/Deleted EntityType 32 for
the header, 33 per line); `cancel_sales_order` sets Status 45 instead, as cancelling in Exact does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from . import rows as r
from . import schema
from .formats import BusinessError, EntityNotFound, new_guid, wire_date
from .payload import clean
from .purchasing import DAY_MS, check_item_active, vat_code
from .store import DivisionState, Row

SO_TYPE = "Exact.Web.Api.Models.SalesOrder"
SO_LINE_TYPE = "Exact.Web.Api.Models.SalesOrderLine"
GD_TYPE = "Exact.Web.Api.Models.GoodsDelivery"
GD_LINE_TYPE = "Exact.Web.Api.Models.GoodsDeliveryLine"
STATUS_TEXT = {12: "Open", 20: "Gedeeltelijk", 21: "Volledig", 45: "Geannuleerd"}
FIXED_AFTER_CREATE = ("OrderedBy", "DeliverTo", "InvoiceTo")


def so_status(done: float, total: float) -> int:
    """12 open, 20 partial, 21 complete."""
    if done <= 0:
        return 12
    return 21 if done >= total - 1e-9 else 20


def so_header(refs: dict[str, Any], today: str, lines: list[Row]) -> Row:
    """Server-filled header fields of a new sales order (status 12, amounts from the lines)."""
    amount = round(sum(b["AmountFC"] for b in lines), 2)
    vat = round(sum(b["VATAmount"] for b in lines), 2)
    shipping, warehouse = refs["ShippingMethod"], refs["Warehouse"]
    header: Row = {
        "OrderDate": today,
        "DeliveryDate": today,
        "Currency": "EUR",
        "ShippingMethod": shipping and shipping["ID"],
        "ShippingMethodDescription": shipping and shipping["Description"],
        "WarehouseID": warehouse["ID"],
        "WarehouseCode": warehouse["Code"],
        "WarehouseDescription": warehouse["Description"],
        "ApprovalStatus": 1,
        "AmountFCExclVat": amount,
        "AmountFC": round(amount + vat, 2),
        "AmountDC": round(amount + vat, 2),
        "AmountDiscount": 0.0,
        "Discount": 0.0,
    }
    for role in ("OrderedBy", "DeliverTo", "InvoiceTo"):
        header[role], header[f"{role}Name"] = refs[role]["ID"], refs[role]["Name"]
    for field in ("Status", "DeliveryStatus", "InvoiceStatus"):
        header[field], header[f"{field}Description"] = 12, STATUS_TEXT[12]
    return header


class SalesMixin:
    """Sales orders, deliveries and invoices."""

    lock: Any
    state: DivisionState
    _rng: random.Random

    now: Callable[[], float]  # provided by ExactSandbox

    def _account_ref(self, guid: str | None, label: str) -> Row:
        row = self.state["accounts"].get(guid)
        if row is None:
            raise BusinessError(f"Ongeldige referentie: {label}")
        return row

    # -- creation ------------------------------------------------------------------------------
    def create_sales_order(self, payload: Any) -> Row:
        """Validate and store a SalesOrders POST body (lines deep-inserted, at least one)."""
        st = self.state
        data = clean(payload, schema.SALES_ORDER, SO_TYPE, schema.WRITABLE["SalesOrder"])
        lines = [
            clean(line, schema.SALES_ORDER_LINE, SO_LINE_TYPE, schema.WRITABLE["SalesOrderLine"])
            for line in data.pop("SalesOrderLines", None) or []
        ]
        refs = self._so_references(data)
        if not lines:
            raise BusinessError("Verplicht: Orderregels")
        now_ms = int(self.now() * 1000)
        built = [self._so_line(line, refs["OrderedBy"], now_ms) for line in lines]
        header = so_header(refs, wire_date(now_ms - now_ms % DAY_MS), built)
        header.update(
            {"OrderID": new_guid(self._rng), "OrderNumber": st.next_number("sales_orders", 1)}
        )
        header.update({k: v for k, v in data.items() if v is not None})
        st["sales_orders"].insert(header)
        st.by_number["sales_orders"][header["OrderNumber"]] = header["OrderID"]
        for n, line in enumerate(built, start=1):
            line.update({"ID": new_guid(self._rng), "OrderID": header["OrderID"], "LineNumber": n})
            line["OrderNumber"] = header["OrderNumber"]
            line["DeliveryDate"] = line["DeliveryDate"] or header["DeliveryDate"]
            st["sales_order_lines"].insert(line)
            st.add_child("sales_order_lines", header["OrderID"], line["ID"])
        st.emit("sales_orders", "Create", header)
        moves = [(line, line["Quantity"]) for line in built]
        self._move_stock(moves, refs["Warehouse"]["ID"], delivered=False)
        return header

    def _so_references(self, data: Row) -> dict[str, Row | None]:
        """Resolve and check the header's references (customer, addresses, warehouse, shipping)."""
        st = self.state
        if not data.get("OrderedBy"):
            raise BusinessError("Verplicht: Besteld door")
        customer = self._account_ref(data["OrderedBy"], "Besteld door")
        if customer.get("Blocked"):
            raise BusinessError("Geblokkeerd: Besteld door")
        warehouse = st["warehouses"].get(data.get("WarehouseID") or st.main_warehouse)
        if warehouse is None:
            raise BusinessError("Ongeldige referentie: Magazijn")
        shipping = None
        if data.get("ShippingMethod"):
            shipping = st["shipping_methods"].get(data["ShippingMethod"])
            if shipping is None:
                raise BusinessError("Ongeldige referentie: Verzendwijze")
        return {
            "OrderedBy": customer,
            "DeliverTo": self._account_ref(
                data.get("DeliverTo") or customer["ID"], "Afleveren aan"
            ),
            "InvoiceTo": self._account_ref(
                data.get("InvoiceTo") or customer["ID"], "Factureren aan"
            ),
            "Warehouse": warehouse,
            "ShippingMethod": shipping,
        }

    def _so_line(self, line: Row, customer: Row, now_ms: int) -> Row:
        st = self.state
        if not line.get("Item"):
            raise BusinessError("Verplicht: Artikel")
        item = st["items"].get(line["Item"])
        if item is None:
            raise BusinessError("Ongeldige referentie: Artikel")
        if not item.get("IsSalesItem"):
            raise BusinessError("Verplicht: Verkoop")
        check_item_active(item, now_ms)
        vat = vat_code(
            st, line.get("VATCode") or item.get("SalesVatCode") or customer.get("SalesVATCode")
        )
        if line.get("Quantity") is None:
            raise BusinessError("Verplicht: Aantal")
        qty = line["Quantity"]
        unit_price = (
            line["UnitPrice"]
            if line.get("UnitPrice") is not None
            else item.get("StandardSalesPrice") or 0.0
        )
        discount = line.get("Discount") or 0.0
        net = (
            line["NetPrice"]
            if line.get("NetPrice") is not None
            else round(unit_price * (1 - discount), 4)
        )
        gross = round(qty * net, 2)
        excl = round(gross / (1 + vat["Percentage"]), 2) if vat["Type"] == "I" else gross
        return {
            "Item": item["ID"],
            "ItemCode": item["Code"],
            "ItemDescription": item["Description"],
            "Description": line.get("Description") or item["Description"],
            "Quantity": qty,
            "QuantityDelivered": 0.0,
            "QuantityInvoiced": 0.0,
            "UnitPrice": unit_price,
            "NetPrice": net,
            "Discount": discount,
            "AmountFC": excl,
            "AmountDC": excl,
            "VATCode": vat["Code"],
            "VATPercentage": vat["Percentage"],
            "VATAmount": round(excl * vat["Percentage"], 2),
            "UnitCode": item.get("Unit"),
            "UnitDescription": item.get("UnitDescription"),
            "DeliveryDate": line.get("DeliveryDate"),
            "DeliveryStatus": 12,
            "InvoiceStatus": 12,
            "OrderStatus": 12,
            "Notes": line.get("Notes"),
            "CostPriceFC": item.get("CostPriceStandard"),
            "UseDropShipment": line.get("UseDropShipment") or 0,
        }

    def _move_stock(
        self, moves: list[tuple[Row, float]], warehouse_id: str, *, delivered: bool
    ) -> None:
        """Order placed (planning out up) or delivered (current and planning out down)."""
        st = self.state
        touched: dict[str, Row] = {}
        for line, qty in moves:
            for part, part_qty in r.explode(st, st["items"].rows[line["Item"]], qty):
                key = st.position_by_pair.get((part["ID"], warehouse_id))
                if key is None:
                    pos = r.link_warehouse(
                        st,
                        (new_guid(self._rng), new_guid(self._rng)),
                        part,
                        st["warehouses"].rows[warehouse_id],
                    )
                else:
                    pos = st["stock_positions"].rows[key]
                if delivered:
                    r.adjust_position(st, pos, current=-part_qty, planning_out=-part_qty)
                else:
                    r.adjust_position(st, pos, planning_out=part_qty)
                touched[pos["ID"]] = pos
        for pos in touched.values():
            st.emit("stock_positions", "Update", pos)

    def add_sales_order(
        self,
        customer_code: str,
        lines: list[tuple[str, float, float]],
        your_ref: str = "",
        warehouse_code: str | None = None,
    ) -> Row:
        """A sales order typed in Exact: lines are (item_code, qty, unit_price)."""
        with self.lock:
            st = self.state
            payload: dict[str, Any] = {
                "OrderedBy": r.require(st, "accounts", customer_code)["ID"],
                "YourRef": your_ref or None,
                "SalesOrderLines": [
                    {
                        "Item": r.require(st, "items", code)["ID"],
                        "Quantity": qty,
                        "UnitPrice": price,
                    }
                    for code, qty, price in lines
                ],
            }
            if warehouse_code is not None:
                payload["WarehouseID"] = r.require(st, "warehouses", warehouse_code)["ID"]
            return self.sales_order_copy(self.create_sales_order(payload))

    def sales_order_copy(self, header: Row) -> Row:
        """An order header with its lines under `SalesOrderLines` (copies)."""
        lines = self.state.child_rows("sales_order_lines", header["OrderID"])
        return {**header, "SalesOrderLines": [dict(line) for line in lines]}

    def sales_orders(self, your_ref: str | None = None) -> list[Row]:
        """All sales orders (optionally with this YourRef), lines included."""
        with self.lock:
            return [
                self.sales_order_copy(so)
                for so in self.state["sales_orders"].values()
                if your_ref is None or so.get("YourRef") == your_ref
            ]

    # -- update / delete / cancel --------------------------------------------------------------
    def update_sales_order(self, key: str, payload: Any) -> None:
        """PUT on a sales order header; OrderedBy/DeliverTo/InvoiceTo cannot change (reference 5.7)."""
        st = self.state
        so = st["sales_orders"].get(key)
        if so is None:
            raise EntityNotFound("SalesOrders")
        data = clean(payload, schema.SALES_ORDER, SO_TYPE, schema.WRITABLE["SalesOrder"])
        if data.pop("SalesOrderLines", None) is not None:
            raise BusinessError(
                "Wijzigen niet toegestaan: Orderregels (gebruik salesorder/SalesOrderLines)"
            )
        for name in FIXED_AFTER_CREATE:
            if data.get(name) and data[name] != so[name]:
                raise BusinessError(f"Wijzigen niet toegestaan: {name}")
        if data.get("WarehouseID") and data["WarehouseID"] != so["WarehouseID"]:
            raise BusinessError("Wijzigen niet toegestaan: Magazijn")
        so.update(data)
        st["sales_orders"].touch(key)
        st.emit("sales_orders", "Update", so)

    def _open_moves(self, so: Row) -> list[tuple[Row, float]]:
        lines = self.state.child_rows("sales_order_lines", so["OrderID"])
        return [
            (line, line["Quantity"] - line["QuantityDelivered"])
            for line in lines
            if line["Quantity"] - line["QuantityDelivered"] > 0
        ]

    def delete_sales_order(self, key: str, user_id: str) -> None:
        """DELETE: allowed while nothing is delivered; frees PlanningOut, writes sync/Deleted."""
        st = self.state
        so = st["sales_orders"].get(key)
        if so is None:
            raise EntityNotFound("SalesOrders")
        lines = st.child_rows("sales_order_lines", key)
        if any(line["QuantityDelivered"] > 0 for line in lines):
            raise BusinessError(
                "Verwijderen niet toegestaan: Er zijn al goederen geleverd voor deze verkooporder."
            )
        if so["Status"] != 45:
            self._release(so, self._open_moves(so))
        for line in lines:
            st["sales_order_lines"].remove(line["ID"])
            r.record_deleted(st, new_guid(self._rng), user_id, 33, line["ID"])
        st["sales_orders"].remove(key)
        del st.by_number["sales_orders"][so["OrderNumber"]]
        r.record_deleted(st, new_guid(self._rng), user_id, 32, key)
        st.emit("sales_orders", "Delete", so)

    def _release(self, so: Row, moves: list[tuple[Row, float]]) -> None:
        st = self.state
        for line, qty in moves:
            for part, part_qty in r.explode(st, st["items"].rows[line["Item"]], qty):
                key = st.position_by_pair.get((part["ID"], so["WarehouseID"]))
                if key:
                    pos = st["stock_positions"].rows[key]
                    r.adjust_position(st, pos, planning_out=-part_qty)
                    st.emit("stock_positions", "Update", pos)

    def cancel_sales_order(self, order_number: int) -> Row:
        """Cancel in Exact: Status 45 on header and open lines, open PlanningOut released."""
        with self.lock:
            st = self.state
            so = self._so_by_number(order_number)
            self._release(so, self._open_moves(so))
            for line in st.child_rows("sales_order_lines", so["OrderID"]):
                line["OrderStatus"] = 45
                st["sales_order_lines"].touch(line["ID"])
            so["Status"], so["StatusDescription"] = 45, STATUS_TEXT[45]
            st["sales_orders"].touch(so["OrderID"])
            st.emit("sales_orders", "Update", so)
            return self.sales_order_copy(so)

    def _so_by_number(self, order_number: int) -> Row:
        key = self.state.by_number["sales_orders"].get(int(order_number))
        if key is None:
            raise LookupError(f"no sales order {order_number}")
        return self.state["sales_orders"].rows[key]
