"""Shipments from a CSV (the shipping tool's export, or a spreadsheet), previewed then confirmed.

Columns: order_number, carrier, tracking_number (required); line and quantity (optional: the
order's line by our product code, the channel SKU, the EAN or the channel's line id, and how
many; no line = everything still to ship); channel (optional, when an order number exists on
several channels); tracking_url, shipped_at (optional). Rows with the same order and tracking
number form one shipment. The same checks as the admin form: an unknown order, a carrier without
mapping, more than is still to ship (across the whole file) are errors with the line and
column; any error = nothing written. A shipment recorded before (same order and tracking
number) is skipped, so uploading a file twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from channels_app.models import ChannelOrder, ShipmentSource
from exactsync.imports.csvfile import open_checked
from exactsync.imports.engine import ImportReport, ProgressCallback
from exactsync.models import ExactConnection

from .service import (
    LineQuantity,
    ShipmentRefused,
    find_lines,
    line_label,
    record_shipment,
    recorded_quantities,
    same_tracking,
    still_to_ship,
    validate_shipment,
)

COLUMNS = [
    "order_number",
    "carrier",
    "tracking_number",
    "line",
    "quantity",
    "channel",
    "tracking_url",
    "shipped_at",
]
REQUIRED = ("order_number", "carrier", "tracking_number")
COLUMN_HELP = {
    "order_number": "the channel's order number (as shown on the order) - required",
    "carrier": "our carrier name, e.g. PostNL (mapped per channel) - required",
    "tracking_number": "required; rows with the same order and tracking number are one shipment",
    "line": "optional: product code, channel SKU, EAN or the channel's line id (empty: all)",
    "quantity": "optional, with line: how many (empty: all still to ship of that line)",
    "channel": "optional: the channel's name, when the order number exists on several channels",
    "tracking_url": "optional: the tracking link (else the carrier mapping's)",
    "shipped_at": "optional: YYYY-MM-DD or YYYY-MM-DD HH:MM (default: now)",
}
FIELD_COLUMNS = {"order": "order_number", "lines": "line"}


@dataclass
class _Group:
    """One shipment to be: the rows of one order and tracking number."""

    order: ChannelOrder
    carrier: str
    tracking_number: str
    first_line: int
    tracking_url: str = ""
    shipped_at: datetime | None = None
    whole_order: bool = False
    lines: list[LineQuantity] = field(default_factory=list)
    row_lines: list[int] = field(default_factory=list)


def _parse_moment(text: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(text.strip(), fmt)  # noqa: DTZ007 - made aware below
        except ValueError:
            continue
        if fmt == "%Y-%m-%d":
            parsed = datetime.combine(parsed.date(), time(12, 0))
        return timezone.make_aware(parsed)
    raise ValueError(f'"{text}" is not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM)')


class ShipmentImport:
    """The importer registered as kind "shipments"."""

    def __init__(self, connection: ExactConnection | None) -> None:
        self.connection = connection

    def import_file(
        self,
        stream: IO[bytes],
        *,
        dry_run: bool,
        progress: ProgressCallback | None = None,
        user: Any = None,
    ) -> ImportReport:
        report = ImportReport()
        csv_file = open_checked(
            stream,
            report,
            columns=COLUMNS,
            required={name: f"Missing column '{name}'." for name in REQUIRED},
        )
        if csv_file is None:
            return report
        groups: dict[tuple[int, str], _Group] = {}
        for line, row in csv_file.rows:
            report.rows += 1
            errors_before = report.error_count
            self._row(line, row, groups, report)
            if report.error_count > errors_before:
                report.totals["error"] += 1
            if progress and report.rows % 500 == 0:
                progress(report.rows)
        todo = self._check(groups, report)
        report.notes.append(
            f"{len(todo)} shipment(s) will be recorded and confirmed on the channels."
        )
        if dry_run or report.has_errors or not todo:
            return report
        try:
            with transaction.atomic():
                for group in todo:
                    record_shipment(
                        group.order,
                        carrier=group.carrier,
                        tracking_number=group.tracking_number,
                        lines=None if group.whole_order else group.lines,
                        source=ShipmentSource.CSV,
                        tracking_url=group.tracking_url,
                        shipped_at=group.shipped_at,
                        user=user,
                    )
        except ShipmentRefused as exc:  # the data moved since the check: nothing was written
            report.add_error(group.first_line, "", str(exc))
            return report
        report.written = True
        return report

    def _orders(self, number: str, channel: str) -> list[ChannelOrder]:
        wanted = number.strip()
        candidates = {wanted, wanted.lstrip("#"), f"#{wanted.lstrip('#')}"}
        orders = ChannelOrder.objects.filter(number__in=candidates).select_related("channel")
        if self.connection is not None:
            orders = orders.filter(channel__connection=self.connection)
        found = list(orders)
        if not found:
            by_id = ChannelOrder.objects.filter(external_id=wanted).select_related("channel")
            if self.connection is not None:
                by_id = by_id.filter(channel__connection=self.connection)
            found = list(by_id)
        if channel:
            found = [
                o
                for o in found
                if o.channel.name.lower() == channel.lower() or str(o.channel_id) == channel
            ]
        return found

    def _row(
        self,
        line: int,
        row: dict[str, str],
        groups: dict[tuple[int, str], _Group],
        report: ImportReport,
    ) -> None:
        missing = [name for name in REQUIRED if not row.get(name, "").strip()]
        for name in missing:
            report.add_error(line, name, f"The {name.replace('_', ' ')} is empty.")
        if missing:
            return
        number, channel = row["order_number"].strip(), row.get("channel", "").strip()
        orders = self._orders(number, channel)
        if not orders:
            where = f" on channel {channel}" if channel else ""
            report.add_error(line, "order_number", f"Unknown order '{number}'{where}.")
            return
        if len(orders) > 1:
            names = ", ".join(sorted(o.channel.name for o in orders))
            report.add_error(
                line,
                "order_number",
                f"Order '{number}' exists on several channels ({names}): add a 'channel' column.",
            )
            return
        order = orders[0]
        tracking = row["tracking_number"].strip()
        group = groups.get((order.pk, tracking.lower()))
        if group is None:
            group = groups[(order.pk, tracking.lower())] = _Group(
                order=order,
                carrier=row["carrier"].strip(),
                tracking_number=tracking,
                first_line=line,
                tracking_url=row.get("tracking_url", "").strip(),
            )
        elif row["carrier"].strip().lower() != group.carrier.lower():
            report.add_error(
                line,
                "carrier",
                f"Tracking number {tracking} has carrier '{group.carrier}' on line "
                f"{group.first_line} and '{row['carrier'].strip()}' here.",
            )
            return
        if row.get("shipped_at", "").strip():
            try:
                group.shipped_at = _parse_moment(row["shipped_at"])
            except ValueError as exc:
                report.add_error(line, "shipped_at", str(exc))
                return
        group.row_lines.append(line)
        self._line(line, row, group, report)

    def _line(self, line: int, row: dict[str, str], group: _Group, report: ImportReport) -> None:
        ref, quantity_text = row.get("line", "").strip(), row.get("quantity", "").strip()
        if not ref:
            if quantity_text:
                report.add_error(line, "line", "A quantity needs a line (product code or line id).")
            group.whole_order = True
            return
        matches = find_lines(group.order, ref)
        if not matches:
            report.add_error(line, "line", f"Order {group.order.number} has no line '{ref}'.")
            return
        if len(matches) > 1:
            report.add_error(
                line,
                "line",
                f"'{ref}' matches {len(matches)} lines of order {group.order.number}: give the "
                "channel's line id.",
            )
            return
        if quantity_text:
            try:
                quantity = int(quantity_text)
            except ValueError:
                report.add_error(line, "quantity", f"'{quantity_text}' is not a whole number.")
                return
        else:
            recorded = recorded_quantities(group.order).get(matches[0].pk, 0)
            quantity = still_to_ship(matches[0], recorded)
        group.lines.append(LineQuantity(matches[0], quantity))

    def _check(self, groups: dict[tuple[int, str], _Group], report: ImportReport) -> list[_Group]:
        """Every shipment checked as record_shipment would, quantities counted across the file."""
        planned: dict[int, dict[int, int]] = defaultdict(dict)
        todo = []
        for group in groups.values():
            if group.whole_order and group.lines:
                report.add_error(
                    group.first_line,
                    "line",
                    f"Tracking number {group.tracking_number} has rows with and without a line.",
                )
                continue
            if same_tracking(group.order, group.tracking_number) is not None:
                report.totals["skip"] += len(group.row_lines)
                report.notes.append(
                    f"Line {group.first_line}: {group.order.number} {group.tracking_number} was "
                    "recorded before; skipped."
                )
                continue
            problems, wanted = validate_shipment(
                group.order,
                carrier=group.carrier,
                tracking_number=group.tracking_number,
                lines=None if group.whole_order else group.lines,
                also_recorded=planned[group.order.pk],
            )
            for name, message in problems:
                report.add_error(group.first_line, FIELD_COLUMNS.get(name, name), message)
            if problems:
                report.totals["error"] += 1
                continue
            for pk, quantity in wanted.items():
                planned[group.order.pk][pk] = planned[group.order.pk].get(pk, 0) + quantity
            report.totals["new"] += 1
            todo.append(group)
            report.add_sample(
                {
                    "line": group.first_line,
                    "kind": "shipment",
                    "product": f"{group.order.channel.name} {group.order.number}",
                    "supplier": group.carrier,
                    "changes": {
                        "tracking": [None, group.tracking_number],
                        "lines": [None, _lines_text(group.order, wanted)],
                    },
                }
            )
        return todo


def _lines_text(order: ChannelOrder, wanted: dict[int, int]) -> str:
    lines = {line.pk: line for line in order.lines.select_related("product")}
    return ", ".join(f"{line_label(lines[pk])} x {q}" for pk, q in wanted.items() if pk in lines)
