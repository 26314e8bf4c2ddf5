"""Goods deliveries of sales orders, their tracking numbers and the invoice mirror (reference 5.8).

A delivery may carry the tracking number on the header, on the lines, or both (reference 5.8:
which one a warehouse app fills is unverified), so helpers take `tracking_on`. Changing a tracking
number bumps the delivery's Timestamp (orderchief blog, reference 5.8) and fires GoodsDeliveries.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from . import rows as r
from . import schema
from .formats import BusinessError, EntityNotFound, new_guid, wire_date
from .payload import clean
from .purchasing import DAY_MS
from .sales import GD_LINE_TYPE, GD_TYPE, STATUS_TEXT, so_status
from .store import DivisionState, Row

TRACKING_PLACES = ("header", "lines", "both")


def delivery_header(so: Row, account: Row, shipping: Row | None, today: str) -> Row:
    """Server-filled header fields of a delivery of sales order `so`."""
    return {
        "DeliveryDate": today,
        "DeliveryAccount": so["DeliverTo"],
        "DeliveryAccountCode": account.get("Code"),
        "DeliveryAccountName": account.get("Name"),
        "Description": f"Levering verkooporder {so['OrderNumber']}",
        "TrackingNumber": None,
        "ShippingMethod": shipping and shipping["ID"],
        "ShippingMethodCode": shipping and shipping["Code"],
        "ShippingMethodDescription": shipping and shipping["Description"],
        "Warehouse": so["WarehouseID"],
        "WarehouseCode": so["WarehouseCode"],
        "WarehouseDescription": so["WarehouseDescription"],
    }


def delivery_line(line: Row, order: Row, qty: float, today: str, tracking: str | None) -> Row:
    """A GoodsDeliveryLines row for `qty` of sales order line `line` (no SalesOrderID field:
    only the order line ID and the order number, reference 5.8)."""
    return {
        "SalesOrderLineID": line["ID"],
        "SalesOrderNumber": order["OrderNumber"],
        "SalesOrderLineNumber": line["LineNumber"],
        "Item": line["Item"],
        "ItemCode": line["ItemCode"],
        "ItemDescription": line["ItemDescription"],
        "Description": line["Description"],
        "QuantityOrdered": line["Quantity"],
        "QuantityDelivered": qty,
        "DeliveryDate": today,
        "TrackingNumber": tracking,
        "Unitcode": line.get("UnitCode"),
    }


class DeliveryMixin:
    """GoodsDeliveries / GoodsDeliveryLines and the sales invoice lines they produce."""

    lock: Any
    state: DivisionState
    _rng: random.Random
    # provided by SalesMixin
    _so_by_number: Callable[[int], Row]
    _move_stock: Callable[..., None]

    now: Callable[[], float]  # provided by ExactSandbox

    def deliver_sales_order(
        self,
        order_number: int,
        lines: list[tuple[str, float]] | None = None,
        tracking_number: str = "",
        tracking_on: str = "header",
        shipping_method_code: str | None = None,
    ) -> Row:
        """Deliver all open quantities (or `[(item_code, qty)]`) of an order as one GoodsDelivery."""
        if tracking_on not in TRACKING_PLACES:
            raise ValueError(f"tracking_on must be one of {TRACKING_PLACES}")
        with self.lock:
            st = self.state
            so = self._so_by_number(order_number)
            so_lines = st.child_rows("sales_order_lines", so["OrderID"])
            if lines is None:
                todo = [
                    (line, line["Quantity"] - line["QuantityDelivered"])
                    for line in so_lines
                    if line["Quantity"] - line["QuantityDelivered"] > 0
                ]
            else:
                todo = []
                for code, qty in lines:
                    match = [line for line in so_lines if line["ItemCode"] == code]
                    if not match:
                        raise LookupError(f"item {code} is not on sales order {order_number}")
                    todo.append((match[0], float(qty)))
            shipping = (
                r.require(st, "shipping_methods", shipping_method_code)
                if shipping_method_code
                else None
            )
            header: Row = (
                {"TrackingNumber": tracking_number or None} if tracking_on != "lines" else {}
            )
            if shipping:
                header["ShippingMethod"] = shipping["ID"]
            line_tracking = tracking_number or None if tracking_on != "header" else None
            return self.deliver_lines(todo, header, line_tracking)

    def deliver_lines(
        self, todo: list[tuple[Row, float]], header_fields: Row, line_tracking: str | None
    ) -> Row:
        """Book a delivery: header + lines, order quantities and statuses, stock, invoice (lock held)."""
        st = self.state
        if not todo:
            raise BusinessError("Niets te leveren: Verkooporder is volledig geleverd")
        so = st["sales_orders"].rows[todo[0][0]["OrderID"]]
        if so["Status"] == 45:
            raise BusinessError("Geannuleerd: Verkooporder")
        today = wire_date(int(self.now() * 1000) // DAY_MS * DAY_MS)
        account = st["accounts"].rows.get(so["DeliverTo"]) or {}
        shipping = st["shipping_methods"].get(
            header_fields.get("ShippingMethod") or so.get("ShippingMethod")
        )
        header = delivery_header(so, account, shipping, today)
        header["EntryID"] = new_guid(self._rng)
        header["DeliveryNumber"] = st.next_number("goods_deliveries", 1)
        header.update(
            {k: v for k, v in header_fields.items() if v is not None and k != "ShippingMethod"}
        )
        st["goods_deliveries"].insert(header)
        st.by_number["goods_deliveries"][header["DeliveryNumber"]] = header["EntryID"]
        invoice = {"InvoiceID": new_guid(self._rng), "InvoiceNumber": st.next_number("invoices", 1)}
        touched: dict[str, Row] = {}
        for n, (line, qty) in enumerate(todo, start=1):
            order = st["sales_orders"].rows[line["OrderID"]]
            row = delivery_line(line, order, qty, today, line_tracking)
            row.update({"ID": new_guid(self._rng), "EntryID": header["EntryID"], "LineNumber": n})
            st["goods_delivery_lines"].insert(row)
            st.add_child("goods_delivery_lines", header["EntryID"], row["ID"])
            self._invoice_line(invoice, order, line, qty, header, today)
            line["QuantityDelivered"] = round(line["QuantityDelivered"] + qty, 6)
            line["QuantityInvoiced"] = line["QuantityDelivered"]
            line["DeliveryStatus"] = line["InvoiceStatus"] = so_status(
                line["QuantityDelivered"], line["Quantity"]
            )
            st["sales_order_lines"].touch(line["ID"])
            touched[order["OrderID"]] = order
        self._move_stock([(line, qty) for line, qty in todo], so["WarehouseID"], delivered=True)
        for order in touched.values():
            self._refresh_order_status(order)
        st.emit("goods_deliveries", "Create", header)
        return self.delivery_copy(header)

    def _refresh_order_status(self, order: Row) -> None:
        """Header Status/DeliveryStatus/InvoiceStatus from the delivered line quantities."""
        st = self.state
        lines = st.child_rows("sales_order_lines", order["OrderID"])
        done, total = sum(x["QuantityDelivered"] for x in lines), sum(x["Quantity"] for x in lines)
        status = so_status(done, total)
        for field in ("Status", "DeliveryStatus", "InvoiceStatus"):
            order[field], order[f"{field}Description"] = status, STATUS_TEXT[status]
        st["sales_orders"].touch(order["OrderID"])
        st.emit("sales_orders", "Update", order)

    def _invoice_line(
        self, invoice: Row, order: Row, line: Row, qty: float, delivery: Row, today: str
    ) -> None:
        share = qty / line["Quantity"] if line["Quantity"] else 0.0
        self.state["sales_invoice_lines"].insert(
            {
                "ID": new_guid(self._rng),
                **invoice,
                "InvoiceDate": today,
                "OrderedBy": order["OrderedBy"],
                "InvoiceTo": order["InvoiceTo"],
                "Currency": order["Currency"],
                "Description": order.get("Description"),
                "YourRef": order.get("YourRef"),
                "Status": 50,
                "Type": 8020,
                "LineNumber": line["LineNumber"],
                "Item": line["Item"],
                "ItemCode": line["ItemCode"],
                "ItemDescription": line["ItemDescription"],
                "Quantity": qty,
                "UnitPrice": line["UnitPrice"],
                "NetPrice": line["NetPrice"],
                "AmountDC": round(line["AmountDC"] * share, 2),
                "AmountFC": round(line["AmountFC"] * share, 2),
                "VATCode": line["VATCode"],
                "VATAmountDC": round(line["VATAmount"] * share, 2),
                "SalesOrder": order["OrderID"],
                "SalesOrderNumber": order["OrderNumber"],
                "DeliveryNumber": delivery["DeliveryNumber"],
            }
        )

    def delivery_copy(self, header: Row) -> Row:
        """A delivery with its lines under `GoodsDeliveryLines` (copies)."""
        lines = self.state.child_rows("goods_delivery_lines", header["EntryID"])
        return {**header, "GoodsDeliveryLines": [dict(line) for line in lines]}

    def deliveries(self) -> list[Row]:
        """All goods deliveries, lines included."""
        with self.lock:
            return [self.delivery_copy(h) for h in self.state["goods_deliveries"].values()]

    def create_goods_delivery(self, payload: Any) -> Row:
        """A GoodsDeliveries POST: lines name `SalesOrderLineID` and `QuantityDelivered`."""
        st = self.state
        data = clean(payload, schema.GOODS_DELIVERY, GD_TYPE, schema.WRITABLE["GoodsDelivery"])
        todo = []
        line_tracking = None
        for raw in data.pop("GoodsDeliveryLines", None) or []:
            line = clean(
                raw, schema.GOODS_DELIVERY_LINE, GD_LINE_TYPE, schema.WRITABLE["GoodsDeliveryLine"]
            )
            if not line.get("SalesOrderLineID"):
                raise BusinessError("Verplicht: Verkooporderregel")
            so_line = st["sales_order_lines"].get(line["SalesOrderLineID"])
            if so_line is None:
                raise BusinessError("Ongeldige referentie: Verkooporderregel")
            if line.get("QuantityDelivered") is None:
                raise BusinessError("Verplicht: Aantal")
            todo.append((so_line, line["QuantityDelivered"]))
            line_tracking = line.get("TrackingNumber") or line_tracking
        if (
            data.get("ShippingMethod")
            and st["shipping_methods"].get(data["ShippingMethod"]) is None
        ):
            raise BusinessError("Ongeldige referentie: Verzendwijze")
        if not todo:
            raise BusinessError("Verplicht: Leveringsregels")
        return self.deliver_lines(todo, data, line_tracking)

    def update_goods_delivery(self, key: str, payload: Any) -> None:
        """PUT on a delivery header (TrackingNumber, Description, ShippingMethod...)."""
        st = self.state
        header = st["goods_deliveries"].get(key)
        if header is None:
            raise EntityNotFound("GoodsDeliveries")
        data = clean(payload, schema.GOODS_DELIVERY, GD_TYPE, schema.WRITABLE["GoodsDelivery"])
        data.pop("GoodsDeliveryLines", None)
        if "ShippingMethod" in data:
            shipping = (
                st["shipping_methods"].get(data["ShippingMethod"])
                if data["ShippingMethod"]
                else None
            )
            if data["ShippingMethod"] and shipping is None:
                raise BusinessError("Ongeldige referentie: Verzendwijze")
            data["ShippingMethodCode"] = shipping and shipping["Code"]
            data["ShippingMethodDescription"] = shipping and shipping["Description"]
        header.update(data)
        st["goods_deliveries"].touch(key)
        st.emit("goods_deliveries", "Update", header)

    def set_delivery_tracking(
        self, delivery_number: int, tracking_number: str, on: str = "header"
    ) -> Row:
        """Set a tracking number on the header, the lines or both; bumps Timestamps, fires webhook."""
        if on not in TRACKING_PLACES:
            raise ValueError(f"on must be one of {TRACKING_PLACES}")
        with self.lock:
            st = self.state
            key = st.by_number["goods_deliveries"].get(int(delivery_number))
            if key is None:
                raise LookupError(f"no goods delivery {delivery_number}")
            header = st["goods_deliveries"].rows[key]
            if on in ("header", "both"):
                header["TrackingNumber"] = tracking_number
            if on in ("lines", "both"):
                for line in st.child_rows("goods_delivery_lines", key):
                    line["TrackingNumber"] = tracking_number
                    st["goods_delivery_lines"].touch(line["ID"])
            st["goods_deliveries"].touch(key)
            st.emit("goods_deliveries", "Update", header)
            return self.delivery_copy(header)
