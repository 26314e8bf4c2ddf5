"""Property lists and Edm types of the entities the sandbox serves (reference section 5).

Type codes: g Guid, s String, i Int32, l Int64, d Double, b Boolean, y Byte (0/1), t DateTime,
c a collection (deep insert / `$expand`). A row is serialised with exactly these properties; a
`$select` or POST property outside the list is refused with Exact's 400 texts.
"""

from __future__ import annotations


def fields(spec: str) -> dict[str, str]:
    """`"ID:g Code:s"` -> {"ID": "g", "Code": "s"} (order kept)."""
    out: dict[str, str] = {}
    for part in spec.split():
        name, kind = part.split(":")
        out[name] = kind
    return out


def without(base: dict[str, str], *names: str) -> dict[str, str]:
    """A copy of `base` without some properties (bulk and sync views drop collections)."""
    return {k: v for k, v in base.items() if k not in names}


def with_timestamp(base: dict[str, str]) -> dict[str, str]:
    """Sync rows start with `Timestamp` (Int64, reference 3.3)."""
    return {"Timestamp": "l", **{k: v for k, v in base.items() if v != "c"}}


AUDIT = "Created:t Modified:t Division:i"

ITEM = fields(
    "ID:g Code:s Description:s ExtraDescription:s Barcode:s SearchCode:s IsSalesItem:b "
    "IsPurchaseItem:b IsStockItem:b IsMakeItem:y IsBatchItem:y IsSerialItem:b "
    "IsFractionAllowedItem:b IsSubcontractedItem:b IsPackageItem:b IsWebshopItem:y "
    "IsTaxableItem:y IsTime:y IsOnDemandItem:y StartDate:t EndDate:t CostPriceStandard:d "
    "CostPriceNew:d AverageCost:d CostPriceCurrency:s StandardSalesPrice:d Stock:d Unit:s "
    "UnitDescription:s UnitType:s ItemGroup:g ItemGroupCode:s ItemGroupDescription:s "
    "SalesVatCode:s SalesVatCodeDescription:s GrossWeight:d NetWeight:d Notes:s " + AUDIT
)
ACCOUNT = fields(
    "ID:g Code:s Name:s SearchCode:s Email:s Phone:s Website:s AddressLine1:s AddressLine2:s "
    "AddressLine3:s Postcode:s City:s Country:s VATNumber:s ChamberOfCommerce:s Language:s "
    "Blocked:b IsSupplier:b IsSales:b IsPurchase:b Status:s Type:s StartDate:t EndDate:t "
    "PurchaseCurrency:s SalesCurrency:s PurchaseLeadDays:i PurchaseVATCode:s SalesVATCode:s "
    "PaymentConditionPurchase:s PaymentConditionSales:s ShippingMethod:g PriceList:g "
    "DeliveryAdvice:i CanDropShip:b CodeAtSupplier:s DiscountPurchase:d DiscountSales:d "
    "Accountant:g AccountManager:g " + AUDIT
)
SUPPLIER_ITEM = fields(
    "ID:g Item:g ItemCode:s ItemDescription:s Supplier:g SupplierCode:s SupplierDescription:s "
    "SupplierItemCode:s MainSupplier:b PurchasePrice:d Currency:s PurchaseUnit:s "
    "PurchaseUnitDescription:s PurchaseUnitFactor:d MinimumQuantity:d PurchaseLotSize:i "
    "PurchaseLeadTime:i PurchaseVATCode:s DropShipment:y CountryOfOrigin:s Notes:s CopyRemarks:y "
    "StartDate:t EndDate:t Barcode:s " + AUDIT
)
WAREHOUSE = fields(
    "ID:g Code:s Description:s Main:y UseStorageLocations:y DefaultStorageLocation:g EMail:s "
    "ManagerUser:g " + AUDIT
)
STOCK_POSITION = fields(
    "Timestamp:l ID:g ItemId:g ItemCode:s ItemDescription:s Warehouse:g WarehouseCode:s "
    "WarehouseDescription:s CurrentStock:d FreeStock:d ReservedStock:d PlanningIn:d "
    "PlanningOut:d ProjectedStock:d ReorderPoint:d UnitCode:s UnitDescription:s Division:i"
)
READ_STOCK_POSITION = fields(
    "ItemId:g InStock:d PlanningIn:d PlanningOut:d FreeStock:d ProjectedStock:d ReservedStock:d"
)
ITEM_WAREHOUSE = fields(
    "ID:g Item:g ItemCode:s ItemDescription:s Warehouse:g WarehouseCode:s WarehouseDescription:s "
    "CurrentStock:d PlannedStockIn:d PlannedStockOut:d ProjectedStock:d ReservedStock:d "
    "SafetyStock:d ReorderPoint:d ReorderQuantity:d MaximumStock:d OrderPolicy:i "
    "ReplenishmentType:i DefaultStorageLocation:g " + AUDIT
)
# reference 3.6: the sync twin carries settings only, no stock quantities except ReservedStock
SYNC_ITEM_WAREHOUSE = with_timestamp(
    without(ITEM_WAREHOUSE, "CurrentStock", "PlannedStockIn", "PlannedStockOut", "ProjectedStock")
)
ASSEMBLY_HEADER = fields(
    "ID:g Code:s Description:s BatchQuantity:d AssembledLeadDays:i CostPrice:d UpdateCostPrice:b "
    "UseExplosion:i AssemblyBillOfMaterialMaterials:c " + AUDIT
)
ASSEMBLY_MATERIAL = fields(
    "ID:g AssembledItem:g AssembledItemCode:s AssembledItemDescription:s PartItem:g "
    "PartItemCode:s PartItemDescription:s Quantity:d QuantityBatch:d BatchQuantity:d "
    "LineNumber:i UseExplosion:i Division:i"
)
BOM_VERSION = fields(
    "ID:g Item:g ItemCode:s ItemDescription:s IsDefault:y Status:i StatusDescription:s Type:i "
    "TypeDescription:s VersionNumber:i VersionDate:t Description:s BatchQuantity:d "
    "CalculatedCostPrice:d " + AUDIT
)
BOM_MATERIAL = fields(
    "ID:g ItemVersion:g PartItem:g PartItemCode:s PartItemDescription:s Quantity:d "
    "QuantityBatch:d Type:i LineNumber:i WastePercentage:d " + AUDIT
)
PURCHASE_ORDER = fields(
    "PurchaseOrderID:g OrderNumber:i Supplier:g SupplierCode:s SupplierName:s SupplierContact:g "
    "OrderDate:t ReceiptDate:t Description:s YourRef:s Remarks:s Currency:s ExchangeRate:d "
    "Warehouse:g WarehouseCode:s WarehouseDescription:s ShippingMethod:g PaymentCondition:s "
    "PurchaseAgent:g OrderStatus:i ReceiptStatus:i InvoiceStatus:i ApprovalStatus:i Source:i "
    "AmountDC:d AmountFC:d VATAmount:d DropShipment:b SalesOrder:g SalesOrderNumber:i "
    "PurchaseOrderLineCount:i PurchaseOrderLines:c " + AUDIT
)
PURCHASE_ORDER_LINE = fields(
    "ID:g PurchaseOrderID:g LineNumber:i Item:g ItemCode:s ItemDescription:s Description:s "
    "QuantityInPurchaseUnits:d Quantity:d UnitPrice:d NetPrice:d Discount:d VATCode:s "
    "VATPercentage:d VATAmount:d AmountDC:d AmountFC:d ReceiptDate:t ReceivedQuantity:d "
    "InvoicedQuantity:d Unit:s UnitDescription:s SupplierItemCode:s InStock:d ProjectedStock:d "
    "Notes:s SalesOrder:g SalesOrderLine:g " + AUDIT
)
# header fields repeated on every line of the line-grain sync view (reference 3.6)
PO_HEADER_ON_SYNC_LINE = [
    "OrderNumber",
    "Supplier",
    "SupplierCode",
    "SupplierName",
    "OrderDate",
    "Description",
    "YourRef",
    "Remarks",
    "Currency",
    "Warehouse",
    "WarehouseCode",
    "OrderStatus",
    "ReceiptStatus",
    "InvoiceStatus",
    "ApprovalStatus",
    "Source",
    "DropShipment",
]
SYNC_PURCHASE_ORDER = with_timestamp(
    fields(
        "ID:g PurchaseOrderID:g OrderNumber:i Supplier:g SupplierCode:s SupplierName:s OrderDate:t "
        "Description:s YourRef:s Remarks:s Currency:s Warehouse:g WarehouseCode:s OrderStatus:i "
        "ReceiptStatus:i InvoiceStatus:i ApprovalStatus:i Source:i DropShipment:b LineNumber:i "
        "Item:g ItemCode:s ItemDescription:s QuantityInPurchaseUnits:d Quantity:d UnitPrice:d "
        "NetPrice:d Discount:d VATCode:s VATPercentage:d AmountDC:d AmountFC:d ReceiptDate:t "
        "ReceivedQuantity:d InvoicedQuantity:d Unit:s SupplierItemCode:s " + AUDIT
    )
)
GOODS_RECEIPT = fields(
    "ID:g ReceiptNumber:i ReceiptDate:t Supplier:g SupplierCode:s SupplierName:s Warehouse:g "
    "WarehouseCode:s WarehouseDescription:s YourRef:s Description:s Remarks:s "
    "GoodsReceiptLineCount:i GoodsReceiptLines:c " + AUDIT
)
GOODS_RECEIPT_LINE = fields(
    "ID:g GoodsReceiptID:g LineNumber:i PurchaseOrderLineID:g PurchaseOrderID:g "
    "PurchaseOrderNumber:i Item:g ItemCode:s ItemDescription:s QuantityOrdered:d "
    "QuantityReceived:d Unitcode:s Location:g SupplierItemCode:s Notes:s " + AUDIT
)
SALES_ORDER = fields(
    "OrderID:g OrderNumber:i OrderedBy:g OrderedByName:s DeliverTo:g DeliverToName:s InvoiceTo:g "
    "InvoiceToName:s OrderDate:t DeliveryDate:t YourRef:s Description:s Remarks:s "
    "PaymentReference:s Currency:s PaymentCondition:s ShippingMethod:g ShippingMethodDescription:s "
    "DeliveryAddress:g WarehouseID:g WarehouseCode:s WarehouseDescription:s Salesperson:g Status:i "
    "StatusDescription:s DeliveryStatus:i DeliveryStatusDescription:s InvoiceStatus:i "
    "InvoiceStatusDescription:s ApprovalStatus:i AmountDC:d AmountFC:d AmountFCExclVat:d "
    "AmountDiscount:d Discount:d SalesOrderLines:c " + AUDIT
)
SALES_ORDER_LINE = fields(
    "ID:g OrderID:g OrderNumber:i LineNumber:i Item:g ItemCode:s ItemDescription:s Description:s "
    "Quantity:d QuantityDelivered:d QuantityInvoiced:d UnitPrice:d NetPrice:d Discount:d "
    "AmountDC:d AmountFC:d VATCode:s VATPercentage:d VATAmount:d UnitCode:s UnitDescription:s "
    "DeliveryDate:t DeliveryStatus:i InvoiceStatus:i OrderStatus:i Notes:s ItemVersion:g "
    "Pricelist:g UseDropShipment:y CostPriceFC:d CustomerItemCode:s PurchaseOrder:g "
    "PurchaseOrderLine:g " + AUDIT
)
GOODS_DELIVERY = fields(
    "EntryID:g DeliveryNumber:i DeliveryDate:t DeliveryAccount:g DeliveryAccountCode:s "
    "DeliveryAccountName:s DeliveryAddress:g DeliveryContact:g Description:s Remarks:s "
    "TrackingNumber:s ShippingMethod:g ShippingMethodCode:s ShippingMethodDescription:s "
    "Warehouse:g WarehouseCode:s WarehouseDescription:s GoodsDeliveryLines:c " + AUDIT
)
GOODS_DELIVERY_LINE = fields(
    "ID:g EntryID:g LineNumber:i SalesOrderLineID:g SalesOrderNumber:i SalesOrderLineNumber:i "
    "Item:g ItemCode:s ItemDescription:s Description:s QuantityOrdered:d QuantityDelivered:d "
    "DeliveryDate:t TrackingNumber:s StorageLocation:g Unitcode:s CustomerItemCode:s Notes:s "
    + AUDIT
)
SALES_INVOICE_LINE = fields(
    "Timestamp:l ID:g InvoiceID:g InvoiceNumber:i InvoiceDate:t OrderedBy:g InvoiceTo:g "
    "Currency:s Description:s YourRef:s Status:i Type:i LineNumber:i Item:g ItemCode:s "
    "ItemDescription:s Quantity:d UnitPrice:d NetPrice:d AmountDC:d AmountFC:d VATCode:s "
    "VATAmountDC:d SalesOrder:g SalesOrderNumber:i DeliveryNumber:i " + AUDIT
)
VAT_CODE = fields(
    "ID:g Code:s Description:s Percentage:d Type:s VATTransactionType:s IsBlocked:b " + AUDIT
)
SHIPPING_METHOD = fields(
    "ID:g Code:s Description:s Active:b TrackingURL:s ShippingRatesURL:s Amount:d VATCode:s "
    "Notes:s " + AUDIT
)
UNIT = fields("ID:g Code:s Description:s Type:s Active:b Main:y Division:i")
DELETED = fields("Timestamp:l ID:g DeletedBy:g DeletedDate:t Division:i EntityKey:g EntityType:i")
WEBHOOK_SUBSCRIPTION = fields(
    "ID:g CallbackURL:s Topic:s ClientID:g Division:i UserID:g Description:s IsInstant:b Created:t"
)
ME = fields(
    "UserID:g UserName:s FullName:s FirstName:s LastName:s Email:s CurrentDivision:i "
    "DivisionCustomer:g LanguageCode:s Language:s Legislation:s PackageCode:s ServerTime:t "
    "ServerUtcOffset:d"
)
DIVISION = fields(
    "Code:i Description:s HID:l Country:s Currency:s Current:b Blocked:b Main:b Customer:g "
    "CustomerName:s Created:t Modified:t"
)
SYNC_TIMESTAMP = fields("EndPoint:s Modified:t TimeStampAsBigInt:l")

# Properties a POST/PUT may set (reference 5.6-5.8, 6.1); read-only ones in a payload are ignored.
WRITABLE: dict[str, set[str]] = {
    "PurchaseOrder": {
        "Supplier",
        "SupplierContact",
        "OrderDate",
        "ReceiptDate",
        "Description",
        "YourRef",
        "Remarks",
        "Currency",
        "ExchangeRate",
        "Warehouse",
        "ShippingMethod",
        "PaymentCondition",
        "PurchaseAgent",
        "PurchaseOrderLines",
    },
    "PurchaseOrderLine": {
        "Item",
        "QuantityInPurchaseUnits",
        "Quantity",
        "UnitPrice",
        "NetPrice",
        "Discount",
        "VATCode",
        "ReceiptDate",
        "Description",
        "Notes",
    },
    "SalesOrder": {
        "OrderedBy",
        "DeliverTo",
        "InvoiceTo",
        "OrderDate",
        "DeliveryDate",
        "YourRef",
        "Description",
        "Remarks",
        "PaymentReference",
        "Currency",
        "PaymentCondition",
        "ShippingMethod",
        "DeliveryAddress",
        "WarehouseID",
        "Salesperson",
        "Discount",
        "SalesOrderLines",
    },
    "SalesOrderLine": {
        "Item",
        "Quantity",
        "UnitPrice",
        "NetPrice",
        "Discount",
        "VATCode",
        "VATPercentage",
        "Description",
        "Notes",
        "DeliveryDate",
        "ItemVersion",
        "Pricelist",
        "UseDropShipment",
        "UnitCode",
    },
    "GoodsDelivery": {
        "DeliveryDate",
        "Description",
        "Remarks",
        "TrackingNumber",
        "ShippingMethod",
        "GoodsDeliveryLines",
    },
    "GoodsDeliveryLine": {
        "SalesOrderLineID",
        "QuantityDelivered",
        "TrackingNumber",
        "StorageLocation",
        "Notes",
    },
    "GoodsReceipt": {"ReceiptDate", "YourRef", "Description", "Remarks", "GoodsReceiptLines"},
    "GoodsReceiptLine": {"PurchaseOrderLineID", "QuantityReceived", "Location", "Notes"},
    "WebhookSubscription": {"CallbackURL", "Topic", "Description", "IsInstant"},
}
