"""WordPress REST conventions shared by the local WooCommerce's handlers.

Errors are `{"code", "message", "data": {"status", ...}}`; argument errors are
`rest_invalid_param` with `params` and `details`, as WordPress' schema validation writes them.
No Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from common.sandbox import json_response

from .woocommerce_store import SITE_TZ

API = "/wp-json/wc/v3"


class WCError(HTTPException):
    """A WordPress REST error: `{"code", "message", "data": {"status", ...}}`."""

    def __init__(self, wc_code: str, message: str, status: int, **data: Any) -> None:
        super().__init__(description=message)
        self.code = status
        self.wc_code = wc_code
        self.message = message
        self.data = data

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:  # type: ignore[override]
        return wc_error(self.wc_code, self.message, self.code or 500, **self.data)


def wc_error(
    code: str, message: str, status: int, headers: dict[str, str] | None = None, **data: Any
) -> Response:
    return json_response(
        {"code": code, "message": message, "data": {"status": status, **data}}, status, headers
    )


def invalid_param(name: str, reason: str) -> WCError:
    return WCError(
        "rest_invalid_param",
        f"Invalid parameter(s): {name}",
        400,
        params={name: reason},
        details={name: {"code": "rest_invalid_param", "message": reason, "data": None}},
    )


def php_intval(value: Any) -> int:
    """What PHP's intval makes of a value (the batch path does no schema validation)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    text, digits = str(value).strip(), ""
    for i, ch in enumerate(text):
        if ch.isdigit() or (i == 0 and ch in "+-"):
            digits += ch
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


def body_of(request: Request) -> dict[str, Any]:
    if request.data:
        data = request.get_json(silent=True)
        if data is None and request.mimetype == "application/json":
            raise WCError("rest_invalid_json", "Invalid JSON body passed.", 400)
        if isinstance(data, dict):
            return data
    return request.form.to_dict()


def int_arg(
    request: Request, name: str, default: int, minimum: int, maximum: int | None = None
) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_param(name, f"{name} is not of type integer.") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = (
            f"between {minimum} (inclusive) and {maximum} (inclusive)"
            if maximum
            else f"greater than or equal to {minimum}"
        )
        raise invalid_param(name, f"{name} must be {bound}")
    return value


def enum_arg(request: Request, name: str, default: str, allowed: Iterable[str]) -> str:
    value = request.args.get(name, default)
    allowed = tuple(allowed)
    if value not in allowed:
        raise invalid_param(name, f"{name} is not one of {', '.join(allowed)}.")
    return value


def date_arg(request: Request, name: str) -> float | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid_param(name, "Invalid date.") from None
    if when.tzinfo is None:
        gmt = request.args.get("dates_are_gmt", "").lower() in ("1", "true", "yes")
        when = when.replace(tzinfo=UTC if gmt else SITE_TZ)
    return when.timestamp()
