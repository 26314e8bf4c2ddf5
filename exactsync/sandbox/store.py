"""In-memory tables for one Exact division, indexed for O(page) sync reads.

Every change to a row gives it the next value of the division's global `Timestamp` (Int64,
reference 3.6 / 10: "global monotonically increasing Int64 Timestamp per division, bumped on every
change"). Each table keeps a list of (timestamp, key) in timestamp order; an update appends a new
entry and leaves the old one behind as garbage that readers skip and `compact()` drops. So a sync
page is a bisect plus a walk of about one page, whatever the table size.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from typing import Any

from .formats import wire_date

Row = dict[str, Any]
ChangeHook = Callable[[str, str, Row], None]


class Table:
    """Rows of one entity keyed by GUID, in insertion order and in timestamp order."""

    def __init__(self, name: str, key: str, state: DivisionState, *, audit: bool = True) -> None:
        self.name = name
        self.key = key
        self.state = state
        self.audit = audit
        self.rows: dict[str, Row] = {}
        self._order: list[str | None] = []
        self._pos: dict[str, int] = {}
        self._ts: list[int] = []
        self._ts_keys: list[str] = []
        self._garbage = 0

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, key: str | None) -> Row | None:
        """The live row for `key` (not a copy), or None."""
        return self.rows.get(key) if key else None

    def insert(self, row: Row) -> Row:
        """Add a row, stamp it with the next Timestamp (and Created/Modified when audited)."""
        key = row[self.key]
        if key in self.rows:
            raise KeyError(f"{self.name}: duplicate key {key}")
        if self.audit:
            stamp = self.state.now_wire()
            row.setdefault("Created", stamp)
            row["Modified"] = row.get("Modified") or stamp
        row.setdefault("Division", self.state.code)
        self.rows[key] = row
        self._pos[key] = len(self._order)
        self._order.append(key)
        self._stamp(key, row)
        return row

    def touch(self, key: str) -> Row:
        """Record that the row changed: new Timestamp, new Modified."""
        row = self.rows[key]
        if self.audit:
            row["Modified"] = self.state.now_wire()
        self._garbage += 1
        self._stamp(key, row)
        if self._garbage > 1000 and self._garbage > len(self._ts) // 2:
            self.compact()
        return row

    def remove(self, key: str) -> Row | None:
        """Drop a row; its index entries become garbage."""
        row = self.rows.pop(key, None)
        if row is None:
            return None
        self._order[self._pos.pop(key)] = None
        self._garbage += 1
        return row

    def _stamp(self, key: str, row: Row) -> None:
        ts = self.state.next_timestamp()
        row["Timestamp"] = ts
        self._ts.append(ts)
        self._ts_keys.append(key)

    def compact(self) -> None:
        """Forget superseded (timestamp, key) entries and holes left by deletes."""
        keep = [
            (ts, k)
            for ts, k in zip(self._ts, self._ts_keys, strict=True)
            if k in self.rows and self.rows[k]["Timestamp"] == ts
        ]
        self._ts = [ts for ts, _ in keep]
        self._ts_keys = [k for _, k in keep]
        order = [k for k in self._order if k is not None]
        self._order = order
        self._pos = {k: i for i, k in enumerate(order)}
        self._garbage = 0

    def since(
        self, after: int, limit: int, predicate: Callable[[Row], bool] | None = None
    ) -> tuple[list[Row], bool]:
        """Rows with Timestamp > `after` in Timestamp order: (up to `limit` rows, more exist)."""
        start = bisect.bisect_right(self._ts, after)
        out: list[Row] = []
        rows = self.rows
        for i in range(start, len(self._ts)):
            row = rows.get(self._ts_keys[i])
            if row is None or row["Timestamp"] != self._ts[i]:
                continue
            if predicate is not None and not predicate(row):
                continue
            if len(out) == limit:
                return out, True
            out.append(row)
        return out, False

    def position(self, key: str) -> int | None:
        """Index of `key` in insertion order (for `$skiptoken=guid'...'` resumption)."""
        return self._pos.get(key)

    def iter_from(self, start: int = 0) -> Iterator[Row]:
        """Live rows in insertion order from index `start`."""
        order = self._order
        for i in range(start, len(order)):
            key = order[i]
            if key is not None:
                yield self.rows[key]

    def values(self) -> Iterator[Row]:
        """All live rows in insertion order."""
        return self.iter_from(0)

    def random_key(self, rng: Any) -> str | None:
        """A uniformly chosen live key (None when empty)."""
        if not self.rows:
            return None
        while True:
            key = self._order[rng.randrange(len(self._order))]
            if key is not None:
                return key


TABLES: dict[str, str] = {
    "items": "ID",
    "accounts": "ID",
    "supplier_items": "ID",
    "warehouses": "ID",
    "stock_positions": "ID",
    "item_warehouses": "ID",
    "assembly_headers": "ID",
    "assembly_materials": "ID",
    "bom_versions": "ID",
    "bom_materials": "ID",
    "purchase_orders": "PurchaseOrderID",
    "purchase_order_lines": "ID",
    "goods_receipts": "ID",
    "goods_receipt_lines": "ID",
    "sales_orders": "OrderID",
    "sales_order_lines": "ID",
    "goods_deliveries": "EntryID",
    "goods_delivery_lines": "ID",
    "sales_invoice_lines": "ID",
    "vat_codes": "ID",
    "shipping_methods": "ID",
    "units": "ID",
    "deleted": "ID",
    "webhook_subscriptions": "ID",
}
UNAUDITED = {"stock_positions", "assembly_materials", "deleted", "units"}


class DivisionState:
    """All data of one division: tables, natural-key indexes, number sequences, the Timestamp."""

    def __init__(
        self, code: int, *, clock: Callable[[], float], first_timestamp: int = 10_000
    ) -> None:
        self.code = code
        self.clock = clock
        self._timestamp = first_timestamp
        self._time_marks: list[int] = []  # ms of the first bump in each ms that saw a bump
        self._time_values: list[int] = []  # the Timestamp just before that bump
        self.tables = {
            name: Table(name, key, self, audit=name not in UNAUDITED)
            for name, key in TABLES.items()
        }
        self.by_code: dict[str, dict[str, str]] = {
            "items": {},
            "accounts": {},
            "warehouses": {},
            "vat_codes": {},
            "shipping_methods": {},
            "units": {},
        }
        self.by_number: dict[str, dict[int, str]] = {
            "purchase_orders": {},
            "sales_orders": {},
            "goods_deliveries": {},
            "goods_receipts": {},
        }
        self.sequences: dict[str, int] = {
            "purchase_orders": 0,
            "sales_orders": 0,
            "goods_deliveries": 0,
            "goods_receipts": 0,
            "invoices": 0,
        }
        self.supplier_item_by_pair: dict[tuple[str, str], str] = {}
        self.position_by_pair: dict[tuple[str, str], str] = {}
        self.item_warehouse_by_pair: dict[tuple[str, str], str] = {}
        self.children: dict[str, dict[str, list[str]]] = {
            "purchase_order_lines": {},
            "sales_order_lines": {},
            "goods_delivery_lines": {},
            "goods_receipt_lines": {},
            "assembly_materials": {},
            "bom_materials": {},
        }
        self.stock_total: dict[str, float] = {}
        self.main_warehouse: str | None = None
        self.on_change: ChangeHook | None = None

    def clear(self) -> None:
        """Drop every row now (a reset frees memory before building the next state)."""
        for table in self.tables.values():
            table.rows.clear()
            table.compact()
        for index in (*self.by_code.values(), *self.by_number.values(), *self.children.values()):
            index.clear()
        for pairs in (
            self.supplier_item_by_pair,
            self.position_by_pair,
            self.item_warehouse_by_pair,
            self.stock_total,
        ):
            pairs.clear()

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    @property
    def timestamp(self) -> int:
        """The highest Timestamp handed out so far."""
        return self._timestamp

    def next_timestamp(self) -> int:
        """Advance and return the division's global Timestamp."""
        ms = int(self.clock() * 1000)
        if not self._time_marks or ms > self._time_marks[-1]:
            self._time_marks.append(ms)
            self._time_values.append(self._timestamp)
        self._timestamp += 1
        return self._timestamp

    def timestamp_before(self, ms: int) -> int:
        """The highest Timestamp handed out before epoch-ms `ms` (read/sync/Sync/SyncTimestamp)."""
        i = bisect.bisect_left(self._time_marks, ms)
        return self._time_values[i] if i < len(self._time_values) else self._timestamp

    def now_wire(self) -> str:
        """The sandbox clock as `/Date(ms)/`."""
        return wire_date(self.clock() * 1000)

    def next_number(self, sequence: str, start: int) -> int:
        """The next human number (OrderNumber, DeliveryNumber...) of a sequence."""
        self.sequences[sequence] = max(self.sequences[sequence] + 1, start)
        return self.sequences[sequence]

    def emit(self, table: str, action: str, row: Row) -> None:
        """Tell the app a row changed (it turns this into webhook events)."""
        if self.on_change is not None:
            self.on_change(table, action, row)

    def add_child(self, table: str, parent: str, key: str) -> None:
        """Remember `key` as a child row of `parent` (order lines, BOM materials)."""
        self.children[table].setdefault(parent, []).append(key)

    def child_rows(self, table: str, parent: str) -> list[Row]:
        """Live child rows of `parent`, in line order."""
        rows = self.tables[table].rows
        return [rows[k] for k in self.children[table].get(parent, []) if k in rows]
