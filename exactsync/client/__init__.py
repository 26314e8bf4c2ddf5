"""Everything that talks to Exact Online over HTTP. No Django imports in this package."""

from __future__ import annotations

from .api import CallLog, ExactClient, Page, TokenProvider, guid, parse_date, quote, unwrap
from .errors import (
    BudgetExhaustedError,
    EndpointBlockedError,
    ExactAuthError,
    ExactError,
    ExactForbiddenError,
    ExactNotFoundError,
    ExactRateLimitedError,
    ExactServerError,
    ExactValidationError,
    NeedsLoginError,
    hint_for,
)
from .governor import Governor, MemoryBudgetStore, Priority
from .oauth import ExactOAuth, RefreshRefused, TokenSet

__all__ = [
    "BudgetExhaustedError",
    "CallLog",
    "EndpointBlockedError",
    "ExactAuthError",
    "ExactClient",
    "ExactError",
    "ExactForbiddenError",
    "ExactNotFoundError",
    "ExactOAuth",
    "ExactRateLimitedError",
    "ExactServerError",
    "ExactValidationError",
    "Governor",
    "MemoryBudgetStore",
    "NeedsLoginError",
    "Page",
    "Priority",
    "RefreshRefused",
    "TokenProvider",
    "TokenSet",
    "guid",
    "hint_for",
    "parse_date",
    "quote",
    "unwrap",
]
