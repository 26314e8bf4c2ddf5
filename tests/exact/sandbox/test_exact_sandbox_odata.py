"""The `$filter` subset (reference 3.4) as a unit: parse, types, evaluation."""

from __future__ import annotations

import pytest

from exactsync.sandbox.formats import PayloadError
from exactsync.sandbox.odata import compile_filter, parse_query

TYPES = {
    "Code": "s",
    "ID": "g",
    "Timestamp": "l",
    "Blocked": "b",
    "Modified": "t",
    "Quantity": "d",
    "Name": "s",
}
ROW = {
    "Code": "                25",
    "ID": "0e3f7c1a-5b2d-4c8e-9f10-112233445566",
    "Timestamp": 500,
    "Blocked": False,
    "Modified": "/Date(1767225600000)/",
    "Quantity": 2.5,
    "Name": "Jansen GmbH",
}


def matches(expr: str) -> bool:
    return compile_filter(expr, TYPES, "Exact.Web.Api.Models.Account").predicate(ROW)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("trim(Code) eq '25'", True),  # BVB
        ("Code eq '25'", False),
        ("Code eq '                25'", True),
        ("ID eq guid'0E3F7C1A-5B2D-4C8E-9F10-112233445566'", True),
        ("Timestamp gt 499L", True),
        ("Timestamp gt 500L", False),
        ("Timestamp ge 500L and Blocked eq false", True),
        ("Modified ge datetime'2026-01-01'", True),  # 2026-01-01T00:00:00Z
        ("Modified gt DateTime'2026-01-01T00:00:00'", False),  # LEAP's casing
        ("substringof('GmbH', Name) eq true", True),  # DJX
        ("substringof('gmbh', Name)", True),
        ("startswith(Name, 'Jan') and not Blocked", True),
        ("(Quantity lt 1 or Quantity gt 2) and Name ne null", True),
        ("Name eq 'it''s'", False),
    ],
)
def test_filter_evaluation(expr: str, expected: bool) -> None:
    assert matches(expr) is expected


@pytest.mark.parametrize(
    "expr",
    [
        "Code eq",
        "Code eq 'a' and",
        "Code eq 'a')",
        "length(Code) eq 2",
        "Code add 1 eq 2",
        "Code eq 'a' xor Code eq 'b'",
        "guid'nope' eq ID",
        "Code",
    ],
)
def test_unsupported_syntax_is_error_in_query_syntax(expr: str) -> None:
    with pytest.raises(PayloadError, match=r"^Error in query syntax\.$"):
        compile_filter(expr, TYPES, "T")


def test_type_mismatch_and_unknown_property() -> None:
    with pytest.raises(
        PayloadError, match=r"incompatible with operand types 'Edm\.Guid' and 'Edm\.String'"
    ):
        compile_filter("ID eq '0e3f7c1a-5b2d-4c8e-9f10-112233445566'", TYPES, "T")
    with pytest.raises(PayloadError, match="No property 'Colour' exists in type 'T'"):
        compile_filter("Colour eq 'red'", TYPES, "T")


def test_timestamp_floor_and_fields() -> None:
    compiled = compile_filter("Timestamp gt 41234L and Blocked eq false", TYPES, "T")
    assert compiled.timestamp_after == 41234
    assert compiled.fields == {"Timestamp", "Blocked"}
    assert compile_filter("Timestamp gt 1L or Blocked eq true", TYPES, "T").timestamp_after is None


def test_query_options() -> None:
    query = parse_query(
        {"$select": "Code, Name", "$top": "5", "$inlinecount": "allpages", "$orderby": "Name desc"},
        TYPES,
        "T",
    )
    assert (query.select, query.top, query.inlinecount, query.orderby) == (
        ["Code", "Name"],
        5,
        True,
        [("Name", True)],
    )
    with pytest.raises(PayloadError, match="does not have a property named 'Nope'"):
        parse_query({"$select": "Code,Nope"}, TYPES, "T")
    with pytest.raises(PayloadError, match="not recognized"):
        parse_query({"$foo": "1"}, TYPES, "T")
