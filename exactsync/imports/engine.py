"""A small, fast engine for the background CSV imports, shared by every import kind.

django-import-export's per-row machinery runs the whole file twice per request and renders every
row; at 100,000 rows that is minutes. The import kinds here keep its Resource (columns, export, the
admin buttons) and run rows through this engine instead: preload lookups once, check every row,
collect the writes, and write in batches only when no row is bad ("nothing half-written").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_ERRORS_KEPT = 5000
SAMPLE_SIZE = 25


@dataclass
class RowError:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    """What a check or an import found: counts, every error (up to a cap), a sample of changes."""

    totals: dict[str, int] = field(
        default_factory=lambda: {"new": 0, "update": 0, "skip": 0, "error": 0}
    )
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    written: bool = False

    def add_error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(RowError(line, column, message))

    def file_error(self, message: str) -> None:
        self.add_error(0, "", message)

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    def add_sample(self, change: dict[str, Any]) -> None:
        if len(self.sample) < SAMPLE_SIZE:
            self.sample.append(change)


ProgressCallback = Callable[[int], None]


def chunked(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
