"""Listings linked in bulk: the CSV staff download (export) and upload (background import).

Columns (header names, any order, case-insensitive):
  channel (name or id; may be left out when the Exact administration has one channel),
  listing_id or channel_sku (one is required), product_code (required).
Other columns of the export (ean, title, match_state) are ignored on import, and a row without a
product code is skipped, so the exported file can be filled in where needed and uploaded as it
is. A row that changes a listing's product links it "by hand": later matching leaves it alone; a
row naming the product the listing already has changes nothing. Nothing is written when any row
is bad.
"""

from __future__ import annotations

from collections import defaultdict
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from import_export import fields, resources

from channels_app.models import Channel, Listing, MatchState
from exactsync.imports.csvfile import open_checked
from exactsync.imports.engine import ImportReport, ProgressCallback
from exactsync.models import ExactConnection, Product

COLUMNS = ["channel", "listing_id", "channel_sku", "product_code"]
EXPORT_COLUMNS = [*COLUMNS, "ean", "title", "match_state"]
IGNORED_COLUMNS = {"ean", "title", "match_state"}
COLUMN_HELP = {
    "channel": "the channel's name or number (may be left out when there is one channel)",
    "listing_id": "the channel's id of the listing (bol offer id, Shopify inventory item, "
    "WooCommerce product/variation id, Amazon seller SKU)",
    "channel_sku": "the SKU on the channel, used when listing_id is empty",
    "product_code": "the Exact item code to link the listing to - required",
}


class ListingResource(resources.ModelResource):
    """The listings CSV: the export staff fill in, with the columns the import reads."""

    channel = fields.Field(attribute="channel__name", column_name="channel", readonly=True)
    listing_id = fields.Field(attribute="external_id", column_name="listing_id", readonly=True)
    channel_sku = fields.Field(attribute="sku", column_name="channel_sku", readonly=True)
    product_code = fields.Field(
        attribute="product__code", column_name="product_code", readonly=True
    )

    class Meta:
        model = Listing
        fields = tuple(EXPORT_COLUMNS)
        export_order = tuple(EXPORT_COLUMNS)

    def __init__(self, connection: ExactConnection | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.connection = connection

    def get_export_queryset(self, request: Any = None) -> Any:  # type: ignore[override]
        qs = Listing.objects.select_related("channel", "product").order_by("channel", "sku")
        return qs.filter(channel__connection=self.connection) if self.connection else qs

    def import_file(
        self,
        stream: IO[bytes],
        *,
        dry_run: bool,
        progress: ProgressCallback | None = None,
        user: Any = None,
    ) -> ImportReport:
        """Check (dry_run) or import a CSV stream; nothing is written if any row is bad."""
        if self.connection is None:
            raise ValueError("a listings import needs a connection")
        report = ImportReport()
        csv_file = open_checked(
            stream,
            report,
            columns=COLUMNS,
            ignored=IGNORED_COLUMNS,
            required={"product_code": "The file needs one column 'product_code'."},
            one_of=[
                (("listing_id", "channel_sku"), "Missing column 'listing_id' (or 'channel_sku').")
            ],
        )
        if csv_file is None:
            return report
        return ListingImport(self.connection, report).run(
            csv_file.rows, dry_run=dry_run, progress=progress
        )


class ListingImport:
    """One pass over the rows: resolve channel, listing(s) and product; write only if all pass."""

    def __init__(self, connection: ExactConnection, report: ImportReport) -> None:
        self.report = report
        self.channels = list(Channel.objects.filter(connection=connection).order_by("pk"))
        self.products = {
            code.lower(): (pk, code)
            for pk, code in Product.objects.filter(connection=connection).values_list("id", "code")
        }
        self.listings: dict[int, dict[str, list[Listing]]] = defaultdict(lambda: defaultdict(list))
        self.by_sku: dict[int, dict[str, list[Listing]]] = defaultdict(lambda: defaultdict(list))
        rows = Listing.objects.filter(channel__in=self.channels).select_related("product")
        for listing in rows.iterator(chunk_size=5000):
            self.listings[listing.channel_id][listing.external_id].append(listing)
            if listing.sku:
                self.by_sku[listing.channel_id][listing.sku].append(listing)

    def run(self, rows: Any, *, dry_run: bool, progress: ProgressCallback | None) -> ImportReport:
        report = self.report
        writes: list[tuple[list[Listing], int, int]] = []
        seen: dict[int, int] = {}
        for line, row in rows:
            report.rows += 1
            if progress and report.rows % 5000 == 0:
                progress(report.rows)
            found = self._check_row(line, row, seen)
            if found is not None:
                writes.append((*found, line))
        if progress:
            progress(report.rows)
        if report.rows == 0 and not report.has_errors:
            report.file_error("The file has column names but no rows.")
        if dry_run or report.has_errors:
            return report
        self._write(writes)
        report.written = True
        return report

    def _check_row(
        self, line: int, row: dict[str, str], seen: dict[int, int]
    ) -> tuple[list[Listing], int] | None:
        report = self.report
        errors = report.error_count
        code = row.get("product_code", "")
        if not code:
            report.totals["skip"] += 1
            return None
        if "__extra__" in row:
            report.add_error(
                line, "", f"This row has {row['__extra__']} more cell(s) than there are columns."
            )
        channel = self._channel(line, row.get("channel", ""))
        listings = self._listings(line, channel, row) if channel else None
        product = self.products.get(code.lower())
        if product is None:
            report.add_error(line, "product_code", f"Unknown product code '{code}'.")
        if not listings or product is None or report.error_count > errors:
            report.totals["error"] += 1
            return None
        first = min(x.pk for x in listings)
        if first in seen:
            report.add_error(line, "listing_id", f"The same listing is on line {seen[first]} too.")
            report.totals["error"] += 1
            return None
        seen[first] = line
        return self._compare(line, listings, product)

    def _channel(self, line: int, value: str) -> Channel | None:
        if not value:
            if len(self.channels) == 1:
                return self.channels[0]
            names = ", ".join(c.name for c in self.channels) or "none"
            self.report.add_error(line, "channel", f"Name the channel (channels: {names}).")
            return None
        for channel in self.channels:
            if value.lower() == channel.name.lower() or value == str(channel.pk):
                return channel
        self.report.add_error(line, "channel", f"Unknown channel '{value}'.")
        return None

    def _listings(self, line: int, channel: Channel, row: dict[str, str]) -> list[Listing] | None:
        listing_id, sku = row.get("listing_id", ""), row.get("channel_sku", "")
        if listing_id:
            found = self.listings[channel.pk].get(listing_id, [])
            if not found:
                self.report.add_error(
                    line,
                    "listing_id",
                    f"{channel} has no listing '{listing_id}' (run Match listings first).",
                )
                return None
            if sku and any(x.sku != sku for x in found):
                self.report.add_error(
                    line,
                    "channel_sku",
                    f"Listing '{listing_id}' has SKU '{found[0].sku}', not '{sku}'.",
                )
                return None
            return found
        if not sku:
            self.report.add_error(
                line, "listing_id", "Neither a listing id nor a channel SKU is given."
            )
            return None
        found = self.by_sku[channel.pk].get(sku, [])
        if not found:
            self.report.add_error(
                line, "channel_sku", f"{channel} has no listing with SKU '{sku}'."
            )
            return None
        ids = sorted({x.external_id for x in found})
        if len(ids) > 1:
            self.report.add_error(
                line,
                "channel_sku",
                f"SKU '{sku}' is on {len(ids)} listings of {channel} ({', '.join(ids[:5])}); "
                "use listing_id instead.",
            )
            return None
        return found

    def _compare(
        self, line: int, listings: list[Listing], product: tuple[int, str]
    ) -> tuple[list[Listing], int] | None:
        report = self.report
        todo = [x for x in listings if x.product_id != product[0]]
        if not todo:
            report.totals["skip"] += 1
            return None
        report.totals["update"] += 1
        old = todo[0].product.code if todo[0].product_id else ""
        report.add_sample(
            {
                "line": line,
                "kind": "update",
                "listing": f"{todo[0].channel}: {todo[0].sku or todo[0].external_id}",
                "changes": {"product": [old, product[1]]},
            }
        )
        return todo, product[0]

    @transaction.atomic
    def _write(self, writes: list[tuple[list[Listing], int, int]]) -> None:
        from channels_app.intake import remap_parked_orders

        now = timezone.now()
        channels = set()
        for listings, product_id, line in writes:
            for listing in listings:
                listing.product_id = product_id
                listing.match_state = MatchState.MANUAL
                listing.match_note = f"Linked by CSV import (line {line})."
                listing.updated_at = now
                channels.add(listing.channel_id)
            Listing.objects.bulk_update(
                listings, ["product", "match_state", "match_note", "updated_at"]
            )
        for channel in self.channels:
            if channel.pk in channels:
                remap_parked_orders(channel, source="listings import")
