"""Rate limits and the error rule against reference section 4 (and 10, "Limits")."""

from __future__ import annotations

from exactsync.sandbox import ExactSandbox

from .support import START, Api, FakeClock

MINUTELY = {
    "X-RateLimit-Minutely-Limit",
    "X-RateLimit-Minutely-Remaining",
    "X-RateLimit-Minutely-Reset",
}
DAILY = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}


def _limit_headers(response: object) -> set[str]:
    return {name for name in response.headers if name.startswith("X-RateLimit")}


def test_every_api_response_carries_six_headers_in_milliseconds(api: Api, clock: FakeClock) -> None:
    clock.advance(12.5)
    response = api.get("logistics/Units")
    assert _limit_headers(response) == MINUTELY | DAILY  # reference 4.2
    assert response.headers["X-RateLimit-Minutely-Limit"] == "60"
    assert response.headers["X-RateLimit-Minutely-Remaining"] == "59"
    assert response.headers["X-RateLimit-Limit"] == "5000"
    assert response.headers["X-RateLimit-Remaining"] == "4999"
    # fixed windows: next minute boundary and next midnight, epoch milliseconds
    assert int(response.headers["X-RateLimit-Minutely-Reset"]) == int(START + 60) * 1000
    assert int(response.headers["X-RateLimit-Reset"]) == (int(START) // 86400 + 1) * 86400 * 1000
    errors = api.get("logistics/Items")  # a 400 is still an API response with headers
    assert errors.status_code == 400
    assert _limit_headers(errors) == MINUTELY | DAILY


def test_token_endpoint_has_no_rate_limit_headers(exact: ExactSandbox) -> None:
    api = Api(exact)
    response = api.session.post(
        f"{exact.base_url}/api/oauth2/token", data={"grant_type": "refresh_token"}
    )
    assert _limit_headers(response) == set()


def test_61st_call_in_a_minute_is_429_with_only_minutely_headers(
    api: Api, exact: ExactSandbox, clock: FakeClock
) -> None:
    for n in range(60):
        assert api.get("logistics/Units").status_code == 200, n
    refused = api.get("logistics/Units")
    assert refused.status_code == 429  # reference 4.3
    assert _limit_headers(refused) == MINUTELY
    assert refused.headers["X-RateLimit-Minutely-Remaining"] == "0"
    assert exact.usage()["minutely"]["remaining"] == 0
    assert exact.usage()["daily"]["used"] == 60  # the refused call did not count
    clock.advance(60)
    assert api.get("logistics/Units").status_code == 200


def test_daily_limit_gives_429_with_daily_headers(api: Api, exact: ExactSandbox) -> None:
    exact.set_limits(daily=3)
    for _ in range(3):
        assert api.get("logistics/Units").status_code == 200
    refused = api.get("logistics/Units")
    assert refused.status_code == 429
    assert _limit_headers(refused) == DAILY
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def test_more_than_ten_errors_an_hour_block_the_endpoint(
    api: Api, exact: ExactSandbox, clock: FakeClock
) -> None:
    exact.set_limits(minutely=1000)
    for _ in range(11):  # reference 4.1: max 10 errors per endpoint per hour; 400/401/403/404 count
        assert api.get("logistics/Items").status_code == 400
    blocked = api.get("logistics/Items", **{"$filter": "Code eq 'ART-00001'"})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) == 3600
    assert api.get("logistics/Units").status_code == 200  # other endpoints are not blocked
    clock.advance(3601)
    api.login()
    assert api.get("logistics/Items", **{"$filter": "Code eq 'ART-00001'"}).status_code == 200


def test_ten_errors_do_not_block(api: Api, exact: ExactSandbox) -> None:
    for _ in range(10):
        assert api.get("logistics/Items").status_code == 400
    assert api.get("logistics/Items", **{"$filter": "Code eq 'ART-00001'"}).status_code == 200
