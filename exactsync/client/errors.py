"""Exact Online's errors, typed. Exact's own message is kept verbatim for staff, with a hint.

Exact answers business-rule validation failures with 400 or 500 and a Dutch "Category: Field"
text in {"error":{"message":{"value":...}}}. A 500 with the generic "A problem has occurred"
text is a real server error. Reference: exact-online-api.md section 7.
"""

from __future__ import annotations

import json
import re

import requests

from common.http import (
    ApiError,
    AuthenticationError,
    FatalApiError,
    OutcomeUnknownError,
    RetriableApiError,
    parse_retry_after,
)

# Known messages -> what they mean in the purchaser's words.
HINTS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^Verplicht: Inkoop", re.I),
        "The item is not marked as a purchase item in Exact (tick 'Purchase' on the item).",
    ),
    (
        re.compile(r"^Verplicht: Verkoop", re.I),
        "The item is not marked as a sales item in Exact (tick 'Sales' on the item).",
    ),
    (
        re.compile(r"Niet gevonden: Inkoopprijs", re.I),
        "The item has no purchase price for this supplier in Exact.",
    ),
    (
        re.compile(r"artikel en de leverancier zijn niet gekoppeld", re.I),
        "The item is not linked to this supplier "
        "in Exact: add the supplier on the item's Purchase tab.",
    ),
    (
        re.compile(r"artikel en het magazijn zijn niet gekoppeld", re.I),
        "The item is not linked to this warehouse in Exact.",
    ),
    (
        re.compile(r"^Artikel: Non actief", re.I),
        "The item's end date has passed in Exact (it is inactive).",
    ),
    (re.compile(r"^Artikel: Toekomstig", re.I), "The item's start date is in the future in Exact."),
    (
        re.compile(r"^Geblokkeerd: Btw", re.I),
        "The VAT code is blocked in Exact: choose another VAT code.",
    ),
    (re.compile(r"Ongeldige referentie: Btw", re.I), "Exact does not know this VAT code."),
    (
        re.compile(r"Ongeldige referentie: Artikel", re.I),
        "Exact does not know this item (deleted or wrong id).",
    ),
    (
        re.compile(r"^Geblokkeerd: (Leverancier|Relatie|Klant)", re.I),
        "The account is blocked in Exact.",
    ),
    (
        re.compile(r"^Verplicht: Betalingsconditie", re.I),
        "The account has no payment condition in Exact.",
    ),
    (re.compile(r"^Verplicht: Dagboek", re.I), "No journal is set up for this in Exact."),
    (
        re.compile(r"converting (the )?value .* to type 'Guid'", re.I),
        "A reference sent to Exact is not a valid id.",
    ),
    (
        re.compile(r"mandatory filtering", re.I),
        "Exact requires a filter on this list (use the sync endpoint).",
    ),
    (re.compile(r"\$select", re.I), "Exact requires the fields to be named ($select)."),
    (
        re.compile(r"Application Scope Violated", re.I),
        "The Exact app registration lacks the scope for this data.",
    ),
    (re.compile(r"division", re.I), "The Exact user has no access to this division."),
]
GENERIC_SERVER_ERROR = re.compile(
    r"A problem has occurred|An error has occurred|internal server error", re.I
)
VALIDATION_SHAPE = re.compile(r"^[A-Z][\w\s-]+: \S")


def hint_for(message: str) -> str:
    for pattern, hint in HINTS:
        if pattern.search(message):
            return hint
    return ""


class ExactError(ApiError):
    """Marker base for errors that came from Exact (keeps `exact_message`)."""

    exact_message: str = ""


class ExactValidationError(ExactError, FatalApiError):
    """Exact refused the content (business rule). Not retried automatically: a person must act."""


class ExactNotFoundError(ExactError, FatalApiError):
    pass


class ExactForbiddenError(ExactError, FatalApiError):
    """403: rights, scope, division or licence (the Reason header says which)."""


class ExactAuthError(ExactError, AuthenticationError):
    """401 after a refresh: the token was refused."""


class ExactRateLimitedError(ExactError, RetriableApiError):
    """429 from Exact (the governor should have prevented it)."""


class ExactServerError(ExactError, OutcomeUnknownError):
    """5xx without a validation message: Exact failed; a write may or may not have happened."""


class EndpointBlockedError(ExactError, RetriableApiError):
    """We stopped calling an endpoint that is close to Exact's 10-errors-an-hour block."""


class BudgetExhaustedError(ExactError, RetriableApiError):
    """Today's Exact budget for this kind of work is used up; try again after the reset."""


class NeedsLoginError(ExactError, AuthenticationError):
    """The refresh chain is broken (old or expired refresh token): a person must log in again."""


def exact_message(response: requests.Response) -> str:
    """Exact's error text, from its JSON error body (or the start of whatever came back)."""
    try:
        data = response.json()
    except (ValueError, json.JSONDecodeError):
        text = response.text.strip()
        return text[:300] if text else f"HTTP {response.status_code}"
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, dict):
            return str(message.get("value") or "").strip() or f"HTTP {response.status_code}"
        if isinstance(message, str):
            return message
        if error.get("error_description"):
            return str(error["error_description"])
    if isinstance(data, dict) and data.get("error_description"):
        return str(data["error_description"])
    return f"HTTP {response.status_code}"


def error_from_response(response: requests.Response, *, method: str) -> ExactError:
    """Turn an unsuccessful Exact response into the right typed error."""
    status = response.status_code
    message = exact_message(response)
    reason = response.headers.get("Reason", "")
    if reason:
        message = f"{message} (Reason: {reason})"
    kwargs = {
        "status": status,
        "body": response.text[:2000],
        "hint": hint_for(message),
        "url": response.url,
    }
    err: ExactError
    if status == 429:
        reset_ms = response.headers.get("X-RateLimit-Minutely-Reset")
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        err = ExactRateLimitedError(message, retry_after=retry_after, **kwargs)
        err.reset_ms = int(reset_ms) if reset_ms and reset_ms.isdigit() else None  # type: ignore[attr-defined]
    elif status == 401:
        err = ExactAuthError(message, **kwargs)
    elif status == 403:
        err = ExactForbiddenError(message, **kwargs)
    elif status == 404:
        err = ExactNotFoundError(message, **kwargs)
    elif status == 400 or (
        status >= 500
        and not GENERIC_SERVER_ERROR.search(message)
        and (VALIDATION_SHAPE.search(message) or hint_for(message))
    ):
        err = ExactValidationError(message, **kwargs)
    elif status >= 500:
        err = ExactServerError(message, **kwargs)
        if method.upper() == "GET":
            err.retriable = True
    else:
        err = ExactError(message, **kwargs)
    err.exact_message = message
    return err
