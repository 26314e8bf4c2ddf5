"""Which REST resources exist, with which variant (normal 60/page, bulk and sync 1000/page),
methods, key, mandatory filter and `$filter` restrictions (reference 3.4-3.6, 5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import schema as s
from .store import DivisionState, Row
from .views import item_view, item_warehouse_view, po_line_view, po_sync_view

PAGE_SIZE = {"normal": 60, "bulk": 1000, "sync": 1000}
View = Callable[[DivisionState, Row], Row]


@dataclass(frozen=True)
class Endpoint:
    """One REST resource under `/api/v1/{division}/`."""

    path: str
    table: str
    kind: str
    name: str
    fields: dict[str, str]
    key: str = "ID"
    methods: frozenset[str] = frozenset({"GET"})
    mandatory: tuple[str, ...] = ()
    filterable: tuple[str, ...] | None = None
    view: View | None = None
    filter_on_view: bool = False
    collections: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def type_name(self) -> str:
        """The `__metadata.type` / error-text type name."""
        if self.kind == "bulk":
            return f"Exact.Web.Api.Models.Bulk.{self.name}"
        if self.kind == "sync":
            return f"Exact.Web.Api.Models.Sync.{self.name}"
        return f"Exact.Web.Api.Models.{self.name}"

    @property
    def page_size(self) -> int:
        """Rows per page: 60 normal, 1000 bulk and sync (reference 3.5)."""
        return PAGE_SIZE[self.kind]


ITEM_FILTERS = [
    "Barcode",
    "Code",
    "Created",
    "Description",
    "EndDate",
    "ID",
    "IsPurchaseItem",
    "IsSalesItem",
    "IsStockItem",
    "ItemGroup",
    "Modified",
    "SearchCode",
    "StartDate",
]
ACCOUNT_FILTERS = [
    "Accountant",
    "AccountManager",
    "Blocked",
    "ChamberOfCommerce",
    "Code",
    "Created",
    "Email",
    "ID",
    "IsSales",
    "IsSupplier",
    "Modified",
    "Name",
    "Status",
    "Type",
    "VATNumber",
]
PO_FILTERS = [
    "Created",
    "ID",
    "Modified",
    "OrderDate",
    "OrderNumber",
    "OrderStatus",
    "PurchaseOrderID",
    "Supplier",
    "YourRef",
]
PO_LINE_FILTERS = ["Created", "ID", "Item", "Modified", "PurchaseOrderID"]
SO_FILTERS = [
    "Created",
    "Modified",
    "OrderDate",
    "OrderedBy",
    "OrderID",
    "OrderNumber",
    "Status",
    "YourRef",
]
SO_LINE_FILTERS = ["Created", "ID", "Item", "Modified", "OrderID", "OrderNumber"]
GD_FILTERS = ["Created", "DeliveryDate", "DeliveryNumber", "EntryID", "Modified", "TrackingNumber"]
GD_LINE_FILTERS = [
    "Created",
    "EntryID",
    "ID",
    "Item",
    "Modified",
    "SalesOrderLineID",
    "SalesOrderNumber",
]
IW_FILTERS = ["ID", "Item", "ItemCode", "Modified", "Warehouse", "WarehouseCode"]
BOMV_FILTERS = ["ID", "IsDefault", "Item", "Modified"]
BOMM_FILTERS = ["ID", "ItemVersion", "Modified", "PartItem"]
GET_POST_PUT_DELETE = frozenset({"GET", "POST", "PUT", "DELETE"})


def _normal(path: str, table: str, name: str, fields: dict[str, str], **kw: Any) -> Endpoint:
    return Endpoint(path, table, "normal", name, fields, **kw)


def _bulk(path: str, table: str, name: str, fields: dict[str, str], **kw: Any) -> Endpoint:
    plain = {k: v for k, v in fields.items() if v != "c"}
    return Endpoint(path, table, "bulk", name, plain, **kw)


def _sync(path: str, table: str, name: str, fields: dict[str, str], **kw: Any) -> Endpoint:
    kw.setdefault("filterable", ("Timestamp",))
    return Endpoint(path, table, "sync", name, s.with_timestamp(fields), key="Timestamp", **kw)


ENDPOINTS: list[Endpoint] = [
    _normal("logistics/Items", "items", "Item", s.ITEM, mandatory=ITEM_FILTERS, view=item_view),
    _bulk("bulk/Logistics/Items", "items", "Item", s.ITEM, mandatory=ITEM_FILTERS, view=item_view),
    _sync("sync/Logistics/Items", "items", "Logistics.Item", s.ITEM, view=item_view),
    # reference 3.4 (ISSUE picqer#532): the normal SupplierItem endpoint filters on ID only
    _normal(
        "logistics/SupplierItem",
        "supplier_items",
        "SupplierItem",
        s.SUPPLIER_ITEM,
        mandatory=("ID",),
        filterable=("ID",),
    ),
    _sync(
        "sync/Logistics/SupplierItem", "supplier_items", "Logistics.SupplierItem", s.SUPPLIER_ITEM
    ),
    _normal(
        "crm/Accounts",
        "accounts",
        "Account",
        s.ACCOUNT,
        mandatory=ACCOUNT_FILTERS,
        methods=frozenset({"GET", "POST"}),
    ),
    _bulk("bulk/CRM/Accounts", "accounts", "Account", s.ACCOUNT, mandatory=ACCOUNT_FILTERS),
    _sync("sync/CRM/Accounts", "accounts", "CRM.Account", s.ACCOUNT),
    _normal("inventory/Warehouses", "warehouses", "Warehouse", s.WAREHOUSE),
    _sync(
        "sync/Inventory/StockPositions",
        "stock_positions",
        "Inventory.StockPosition",
        s.STOCK_POSITION,
    ),
    _normal(
        "inventory/ItemWarehouses",
        "item_warehouses",
        "ItemWarehouse",
        s.ITEM_WAREHOUSE,
        mandatory=IW_FILTERS,
        view=item_warehouse_view,
    ),
    _sync(
        "sync/Inventory/ItemWarehouses",
        "item_warehouses",
        "Inventory.ItemWarehouse",
        s.SYNC_ITEM_WAREHOUSE,
    ),
    _normal(
        "inventory/AssemblyBillOfMaterialHeader",
        "assembly_headers",
        "AssemblyBillOfMaterialHeader",
        s.ASSEMBLY_HEADER,
        collections={
            "AssemblyBillOfMaterialMaterials": (
                "assembly_materials",
                "inventory/AssemblyBillOfMaterialMaterials",
            )
        },
    ),
    _normal(
        "inventory/AssemblyBillOfMaterialMaterials",
        "assembly_materials",
        "AssemblyBillOfMaterialMaterial",
        s.ASSEMBLY_MATERIAL,
    ),
    _normal(
        "manufacturing/BillOfMaterialVersions",
        "bom_versions",
        "BillOfMaterialVersion",
        s.BOM_VERSION,
        mandatory=BOMV_FILTERS,
    ),
    _sync(
        "sync/Manufacturing/BillOfMaterialVersions",
        "bom_versions",
        "Manufacturing.BillOfMaterialVersion",
        s.BOM_VERSION,
    ),
    _normal(
        "manufacturing/BillOfMaterialMaterials",
        "bom_materials",
        "BillOfMaterialMaterial",
        s.BOM_MATERIAL,
        mandatory=BOMM_FILTERS,
    ),
    _sync(
        "sync/Manufacturing/BillOfMaterialMaterials",
        "bom_materials",
        "Manufacturing.BillOfMaterialMaterial",
        s.BOM_MATERIAL,
    ),
    _normal(
        "purchaseorder/PurchaseOrders",
        "purchase_orders",
        "PurchaseOrder",
        s.PURCHASE_ORDER,
        key="PurchaseOrderID",
        methods=GET_POST_PUT_DELETE,
        mandatory=PO_FILTERS,
        collections={
            "PurchaseOrderLines": ("purchase_order_lines", "purchaseorder/PurchaseOrderLines")
        },
    ),
    _normal(
        "purchaseorder/PurchaseOrderLines",
        "purchase_order_lines",
        "PurchaseOrderLine",
        s.PURCHASE_ORDER_LINE,
        mandatory=PO_LINE_FILTERS,
        view=po_line_view,
    ),
    _sync(
        "sync/PurchaseOrder/PurchaseOrders",
        "purchase_order_lines",
        "PurchaseOrder.PurchaseOrder",
        s.SYNC_PURCHASE_ORDER,
        view=po_sync_view,
        filter_on_view=True,
    ),
    _normal(
        "purchaseorder/GoodsReceipts",
        "goods_receipts",
        "GoodsReceipt",
        s.GOODS_RECEIPT,
        methods=frozenset({"GET", "POST"}),
        collections={
            "GoodsReceiptLines": ("goods_receipt_lines", "purchaseorder/GoodsReceiptLines")
        },
    ),
    _normal(
        "purchaseorder/GoodsReceiptLines",
        "goods_receipt_lines",
        "GoodsReceiptLine",
        s.GOODS_RECEIPT_LINE,
    ),
    _normal(
        "salesorder/SalesOrders",
        "sales_orders",
        "SalesOrder",
        s.SALES_ORDER,
        key="OrderID",
        methods=GET_POST_PUT_DELETE,
        mandatory=SO_FILTERS,
        collections={"SalesOrderLines": ("sales_order_lines", "salesorder/SalesOrderLines")},
    ),
    _normal(
        "salesorder/SalesOrderLines",
        "sales_order_lines",
        "SalesOrderLine",
        s.SALES_ORDER_LINE,
        mandatory=SO_LINE_FILTERS,
    ),
    _sync(
        "sync/SalesOrder/SalesOrderHeaders",
        "sales_orders",
        "SalesOrder.SalesOrderHeader",
        s.SALES_ORDER,
    ),
    _sync(
        "sync/SalesOrder/SalesOrderLines",
        "sales_order_lines",
        "SalesOrder.SalesOrderLine",
        s.SALES_ORDER_LINE,
    ),
    _bulk(
        "bulk/SalesOrder/SalesOrders",
        "sales_orders",
        "SalesOrder",
        s.SALES_ORDER,
        key="OrderID",
        mandatory=SO_FILTERS,
    ),
    _bulk(
        "bulk/SalesOrder/SalesOrderLines",
        "sales_order_lines",
        "SalesOrderLine",
        s.SALES_ORDER_LINE,
        mandatory=SO_LINE_FILTERS,
    ),
    _normal(
        "salesorder/GoodsDeliveries",
        "goods_deliveries",
        "GoodsDelivery",
        s.GOODS_DELIVERY,
        key="EntryID",
        methods=frozenset({"GET", "POST", "PUT"}),
        mandatory=GD_FILTERS,
        collections={
            "GoodsDeliveryLines": ("goods_delivery_lines", "salesorder/GoodsDeliveryLines")
        },
    ),
    _normal(
        "salesorder/GoodsDeliveryLines",
        "goods_delivery_lines",
        "GoodsDeliveryLine",
        s.GOODS_DELIVERY_LINE,
        mandatory=GD_LINE_FILTERS,
    ),
    _sync(
        "sync/SalesOrder/GoodsDeliveries",
        "goods_deliveries",
        "SalesOrder.GoodsDelivery",
        s.GOODS_DELIVERY,
    ),
    _sync(
        "sync/SalesOrder/GoodsDeliveryLines",
        "goods_delivery_lines",
        "SalesOrder.GoodsDeliveryLine",
        s.GOODS_DELIVERY_LINE,
    ),
    _bulk(
        "bulk/SalesOrder/GoodsDeliveries",
        "goods_deliveries",
        "GoodsDelivery",
        s.GOODS_DELIVERY,
        key="EntryID",
        mandatory=GD_FILTERS,
    ),
    _bulk(
        "bulk/SalesOrder/GoodsDeliveryLines",
        "goods_delivery_lines",
        "GoodsDeliveryLine",
        s.GOODS_DELIVERY_LINE,
        mandatory=GD_LINE_FILTERS,
    ),
    _sync(
        "sync/SalesInvoice/SalesInvoices",
        "sales_invoice_lines",
        "SalesInvoice.SalesInvoice",
        s.SALES_INVOICE_LINE,
    ),
    _normal("vat/VATCodes", "vat_codes", "VATCode", s.VAT_CODE),
    _normal("sales/ShippingMethods", "shipping_methods", "ShippingMethod", s.SHIPPING_METHOD),
    _normal("logistics/Units", "units", "Unit", s.UNIT),
    _sync("sync/Deleted", "deleted", "Deleted", s.DELETED, filterable=("Timestamp", "EntityType")),
    _normal(
        "webhooks/WebhookSubscriptions",
        "webhook_subscriptions",
        "WebhookSubscription",
        s.WEBHOOK_SUBSCRIPTION,
        methods=frozenset({"GET", "POST", "DELETE"}),
    ),
]
# Exact's URLs are matched case-insensitively here (sandbox choice; IIS-hosted).
BY_PATH: dict[str, Endpoint] = {e.path.lower(): e for e in ENDPOINTS}
BY_TABLE_NORMAL: dict[str, Endpoint] = {
    e.table: e for e in reversed(ENDPOINTS) if e.kind == "normal"
}
