"""Where the Exact rate budget lives: a database row (embedded) or Redis (several hosts).

Each decision reads, changes and writes the division's state atomically, so every worker on
every host draws from one budget.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

from exactsync.client.governor import BudgetStore, new_state
from exactsync.models import RateBudget


class DbBudgetStore:
    """One row per division, changed under a row lock (SQLite: the IMMEDIATE transaction lock)."""

    def update(self, division: int, fn: Callable[[dict[str, Any]], Any]) -> Any:
        with transaction.atomic():
            row, _ = RateBudget.objects.select_for_update().get_or_create(
                division=division, defaults={"state": new_state()}
            )
            state = row.state or new_state()
            result = fn(state)
            RateBudget.objects.filter(pk=row.pk).update(state=state)
        return result

    def read(self, division: int) -> dict[str, Any]:
        row = RateBudget.objects.filter(division=division).first()
        return row.state if row and row.state else new_state()


class RedisBudgetStore:
    """One JSON value per division, changed in an optimistic (WATCH/MULTI) transaction."""

    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)

    @staticmethod
    def key(division: int) -> str:
        return f"backoffice:exact-budget:{division}"

    def update(self, division: int, fn: Callable[[dict[str, Any]], Any]) -> Any:
        import redis

        key = self.key(division)
        while True:
            with self.redis.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    state = json.loads(raw) if raw else new_state()
                    result = fn(state)
                    pipe.multi()
                    pipe.set(key, json.dumps(state), ex=2 * 86400)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another worker changed it first: decide again on the new state

    def read(self, division: int) -> dict[str, Any]:
        raw = self.redis.get(self.key(division))
        return json.loads(raw) if raw else new_state()


def budget_store() -> BudgetStore:
    """Redis when REDIS_URL is set (shared by every host), else the database."""
    if settings.REDIS_URL:
        return RedisBudgetStore(settings.REDIS_URL)
    return DbBudgetStore()
