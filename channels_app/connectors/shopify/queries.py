"""The Shopify Admin GraphQL documents the connector sends, and the sizes they are priced for.

Shopify prices every query up front (objects 1, connections 2 + first x node) and refuses any
query over 1000 points: the page and batch sizes below keep each document under that cap.
No Django imports.
"""

from __future__ import annotations

API_VERSION = "2026-04"
ORDER_PAGE_SIZE = 50
DETAIL_BATCH = 6  # orders per nodes(ids:) call: 6 x 147 points stays under the 1000 cap
MAX_QUERY_COST = 1000
STOCK_BATCH = 250  # Shopify's cap on input arrays
CATALOGUE_PAGE = 200  # 200 x 4 points + 2
STOCK_READ_BATCH = 250

_ADDRESS = "name company address1 address2 zip city countryCodeV2 phone"
_TAX = "taxLines { rate ratePercentage priceSet { shopMoney { amount } } }"
LINE_FIELDS = f"""
fragment LineFields on LineItem {{
  id sku name quantity currentQuantity unfulfilledQuantity
  originalUnitPriceSet {{ shopMoney {{ amount currencyCode }} }}
  discountAllocations {{ allocatedAmountSet {{ shopMoney {{ amount }} }} }}
  {_TAX}
  variant {{ id barcode inventoryItem {{ id }} }}
}}"""
ORDER_FIELDS = (
    f"""
fragment OrderFields on Order {{
  id name createdAt updatedAt cancelledAt cancelReason currencyCode taxesIncluded
  displayFinancialStatus displayFulfillmentStatus email phone poNumber
  shippingAddress {{ {_ADDRESS} }}
  billingAddress {{ {_ADDRESS} }}
  shippingLines(first: 5) {{ nodes {{ title discountedPriceSet {{ shopMoney {{ amount }} }} {_TAX} }} }}
  lineItems(first: 10) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ ...LineFields }} }}
}}"""
    + LINE_FIELDS
)

ORDER_PAGE_QUERY = """
query OrderPage($first: Int!, $cursor: String, $query: String) {
  orders(first: $first, after: $cursor, sortKey: UPDATED_AT, query: $query) {
    pageInfo { hasNextPage endCursor }
    nodes { id updatedAt }
  }
}"""
ORDER_DETAILS_QUERY = (
    """
query OrderDetails($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Order { ...OrderFields } }
}"""
    + ORDER_FIELDS
)
ORDER_QUERY = (
    """
query Order($id: ID!) { order(id: $id) { ...OrderFields } }"""
    + ORDER_FIELDS
)
ORDER_LINES_QUERY = (
    """
query OrderLines($id: ID!, $cursor: String) {
  order(id: $id) {
    lineItems(first: 50, after: $cursor) { pageInfo { hasNextPage endCursor } nodes { ...LineFields } }
  }
}"""
    + LINE_FIELDS
)
SHOP_QUERY = "query ShopInfo { shop { name myshopifyDomain currencyCode } }"
LOCATIONS_QUERY = "query Locations { locations(first: 20) { nodes { id name isActive } } }"
CATALOGUE_QUERY = """
query Catalogue($cursor: String, $locationId: ID!) {
  productVariants(first: 200, after: $cursor) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id sku barcode displayName
      inventoryItem { id inventoryLevel(locationId: $locationId) {
        quantities(names: ["available"]) { name quantity } } }
    }
  }
}"""
STOCK_READ_QUERY = """
query StockLevels($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) { ... on InventoryItem { id inventoryLevel(locationId: $locationId) {
    quantities(names: ["available"]) { name quantity } } } }
}"""
FULFILLMENT_ORDERS_QUERY = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 10) {
      nodes {
        id status assignedLocation { location { id } }
        lineItems(first: 40) {
          pageInfo { hasNextPage endCursor } nodes { id remainingQuantity lineItem { id } }
        }
      }
    }
  }
}"""
FULFILLMENT_ORDER_LINES_QUERY = """
query FulfillmentOrderLines($id: ID!, $cursor: String) {
  fulfillmentOrder(id: $id) {
    lineItems(first: 100, after: $cursor) {
      pageInfo { hasNextPage endCursor } nodes { id remainingQuantity lineItem { id } }
    }
  }
}"""
FULFILLMENTS_QUERY = """
query Fulfillments($id: ID!) {
  order(id: $id) { fulfillments(first: 50) { id trackingInfo(first: 5) { number } } }
}"""
FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo(first: 1) { company number url } }
    userErrors { field message }
  }
}"""
WEBHOOK_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}"""
