"""What staff can do with a write that failed or got stuck, per kind of write.

The purchase-order and sales-order modules register their actions here; the "Failed order
writes" admin page offers them: retry, edit and retry, cancel, mark as entered by hand in Exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models


@dataclass(frozen=True)
class WriteActions:
    cancel: Callable[[models.Model, Any], None]
    mark_manual: Callable[[models.Model, int, Any], None]
    describe: Callable[[models.Model], dict[str, str]]


ACTIONS: dict[str, WriteActions] = {}


def register(kind: str, actions: WriteActions) -> None:
    ACTIONS[kind] = actions
