"""Checking POST/PUT bodies the way Exact's OData layer does (reference 7.2): a non-object body,
an unknown property or a value of the wrong Edm type is a 400 with Exact's wording; read-only
properties are ignored.
"""

from __future__ import annotations

from typing import Any

from .formats import PayloadError, is_guid, to_wire_date

NOT_AN_OBJECT = (
    "Error processing request stream. The request should be a valid top-level resource object."
)
_EDM = {
    "g": "Guid",
    "s": "String",
    "i": "Int32",
    "l": "Int64",
    "d": "Double",
    "b": "Boolean",
    "y": "Byte",
    "t": "DateTime",
}


def _conversion_error(prop: str, kind: str, type_name: str, value: Any) -> PayloadError:
    return PayloadError(
        "Error processing request stream. Error encountered in converting the value from request payload "
        f"for property '{prop}' to type '{_EDM[kind]}', which is the property type in the type '{type_name}'. "
        f"Error message: Cannot convert a value of {type(value).__name__} '{value}' to '{_EDM[kind]}'."
    )


def clean(
    payload: Any, fields: dict[str, str], type_name: str, writable: set[str]
) -> dict[str, Any]:
    """Validated writable properties of one entity body (dates as `/Date(ms)/`, GUIDs lower-case)."""
    if not isinstance(payload, dict):
        raise PayloadError(NOT_AN_OBJECT)
    out: dict[str, Any] = {}
    for prop, value in payload.items():
        if prop == "__metadata":
            continue
        kind = fields.get(prop)
        if kind is None:
            raise PayloadError(
                f"The property '{prop}' does not exist on type '{type_name}'. "
                "Make sure to only use property names that are defined by the type."
            )
        converted = convert(prop, kind, value, type_name)
        if prop in writable:
            out[prop] = converted
    return out


def convert(prop: str, kind: str, value: Any, type_name: str) -> Any:
    """One property value in its stored form, or the 400 conversion error."""
    if value is None:
        return None
    if kind == "c":
        rows = value.get("results") if isinstance(value, dict) else value
        if not isinstance(rows, list):
            raise PayloadError(NOT_AN_OBJECT)
        return rows
    if kind == "g":
        if not is_guid(value):
            raise _conversion_error(prop, kind, type_name, value)
        return value.lower()
    if kind == "t":
        try:
            return to_wire_date(value)
        except ValueError as exc:
            raise _conversion_error(prop, kind, type_name, value) from exc
    if kind in ("i", "l", "y"):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise _conversion_error(prop, kind, type_name, value)
        return int(value)
    if kind == "d":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _conversion_error(prop, kind, type_name, value)
        try:
            return float(value)
        except ValueError as exc:
            raise _conversion_error(prop, kind, type_name, value) from exc
    if kind == "b":
        if not isinstance(value, bool):
            raise _conversion_error(prop, kind, type_name, value)
        return value
    if not isinstance(value, str):
        raise _conversion_error(prop, kind, type_name, value)
    return value


def coerce_fields(fields: dict[str, str], values: dict[str, Any], what: str) -> dict[str, Any]:
    """Keyword arguments of a Python data helper, checked against the entity's properties."""
    out: dict[str, Any] = {}
    for prop, value in values.items():
        kind = fields.get(prop)
        if kind is None or kind == "c":
            raise ValueError(f"{what} has no property {prop!r}")
        if kind == "t":
            out[prop] = to_wire_date(value)
        elif kind == "g" and isinstance(value, str):
            out[prop] = value.lower()
        elif kind == "d" and value is not None:
            out[prop] = float(value)
        else:
            out[prop] = value
    return out
