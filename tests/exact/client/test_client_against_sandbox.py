"""The API client against the Exact sandbox: paging, envelopes, sync timestamps, errors, retries."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from exactsync.client import CallLog, ExactValidationError, Priority, parse_date, unwrap
from exactsync.sandbox import ExactSandbox
from exactsync.services.exact import build_exact_client
from tests.exact.conftest import relogin

pytestmark = pytest.mark.django_db


def client_for(connection: Any, calls: CallLog | None = None) -> Any:
    return build_exact_client(connection, calls=calls or CallLog(), sleep=lambda s: None)


def test_sync_reads_every_page_following_next_links(
    exact: ExactSandbox, exact_connection: Any
) -> None:
    exact.reset(seed=2, items=2500)
    relogin(exact, exact_connection)
    calls = CallLog()
    client = client_for(exact_connection, calls)
    pages = list(client.iter_sync("Logistics/Items", select=["ID", "Code"], since=0))
    rows = [r for p in pages for r in p.rows]
    assert len(rows) >= 2500
    assert len({r["ID"] for r in rows}) == len(rows)
    assert [len(p.rows) for p in pages[:-1]] == [1000] * (len(pages) - 1)
    assert calls.count == math.ceil(len(rows) / 1000) + (1 if len(rows) % 1000 == 0 else 0)
    timestamps = [r["Timestamp"] for r in rows]
    assert timestamps == sorted(timestamps)


def test_incremental_sync_returns_only_changed_rows(
    exact: ExactSandbox, exact_connection: Any
) -> None:
    client = client_for(exact_connection)
    first = [
        r
        for p in client.iter_sync("Logistics/Items", select=["ID", "Code"], since=0)
        for r in p.rows
    ]
    mark = max(r["Timestamp"] for r in first)
    code = first[3]["Code"]
    exact.update_item(code, Description="Changed")
    again = [
        r
        for p in client.iter_sync(
            "Logistics/Items", select=["ID", "Code", "Description"], since=mark
        )
        for r in p.rows
    ]
    assert [(r["Code"], r["Description"]) for r in again] == [(code, "Changed")]
    assert again[0]["Timestamp"] > mark


def test_normal_endpoint_pages_of_sixty(exact: ExactSandbox, exact_connection: Any) -> None:
    exact.reset(seed=3, items=130)
    relogin(exact, exact_connection)
    client = client_for(exact_connection)
    pages = list(
        client.iter_pages("crm/Accounts", select=["ID", "Code"], filter="IsSupplier eq true")
    )
    assert all(len(p.rows) <= 60 for p in pages)
    if len(pages) > 1:
        assert len(pages[0].rows) == 60


def test_both_envelopes_are_understood() -> None:
    assert unwrap({"d": {"results": [{"a": 1}], "__next": "http://x/next"}}) == (
        [{"a": 1}],
        "http://x/next",
    )
    assert unwrap({"d": [{"a": 1}]}) == ([{"a": 1}], None)
    assert unwrap({"d": {"ID": "x"}}) == ([{"ID": "x"}], None)


def test_top_without_inlinecount_gives_the_bare_array_and_find_one_reads_it(
    exact: ExactSandbox, exact_connection: Any
) -> None:
    client = client_for(exact_connection)
    item = client.find_one("logistics/Items", select=["ID", "Code"], filter="Code eq 'ART-00002'")
    assert item is not None
    assert item["Code"] == "ART-00002"


def test_dates_are_parsed_from_exacts_format() -> None:
    assert parse_date("/Date(1641034800000)/") == datetime(2022, 1, 1, 11, 0, tzinfo=UTC)
    assert parse_date(None) is None


def test_validation_error_keeps_exacts_text_and_adds_a_hint(
    exact: ExactSandbox, exact_connection: Any
) -> None:
    client = client_for(exact_connection)
    with pytest.raises(ExactValidationError) as info:
        client.post(
            "salesorder/SalesOrders",
            {"OrderedBy": "00000000-0000-0000-0000-000000000001", "SalesOrderLines": []},
            priority=Priority.ORDERS,
        )
    assert info.value.exact_message  # verbatim from Exact
    assert info.value.status in (400, 500)


def test_injected_server_errors_on_reads_are_retried(
    exact: ExactSandbox, exact_connection: Any
) -> None:
    calls = CallLog()
    client = client_for(exact_connection, calls)
    exact.fail_next(2, status=503, paths=["sync/Logistics/Items"])
    rows = [r for p in client.iter_sync("Logistics/Items", select=["ID"], since=0) for r in p.rows]
    assert len(rows) > 0
    assert calls.count == 3  # two failures, then the page


def test_me_reads_the_current_division(exact: ExactSandbox, exact_connection: Any) -> None:
    me = client_for(exact_connection).me()
    assert int(me["CurrentDivision"]) == exact.division


def test_unwrap_rejects_garbage() -> None:
    from exactsync.client import ExactError

    with pytest.raises(ExactError):
        unwrap({"unexpected": True})


def test_sync_page_loop_is_detected() -> None:
    from exactsync.client import ExactError
    from exactsync.client.api import ExactClient

    class Loop(ExactClient):
        def __init__(self) -> None:
            pass

        def url(self, path: str) -> str:
            return "http://x/first"

        def get_json(self, path: str, **kw: Any) -> Any:
            return {"d": {"results": [{"Timestamp": 1}], "__next": "http://x/again"}}

    with pytest.raises(ExactError, match="same next-page link twice"):
        list(Loop().iter_pages("anything", select=["ID"]))
