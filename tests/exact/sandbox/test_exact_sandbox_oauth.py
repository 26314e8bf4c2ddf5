"""OAuth2 against reference section 1 (and 10, "Tokens")."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from common.http import build_session
from exactsync.sandbox import ExactSandbox

from .support import Api, FakeClock

REDIRECT = "http://127.0.0.1:9/exact/callback"


def _token(app: ExactSandbox, **form: str) -> object:
    session = build_session()
    data = {"client_id": app.client_id, "client_secret": app.client_secret, **form}
    return session.post(f"{app.base_url}/api/oauth2/token", data=data)


def _login_via_form(app: ExactSandbox, state: str = "xyz") -> str:
    session = build_session()
    page = session.get(
        f"{app.base_url}/api/oauth2/auth",
        params={
            "client_id": app.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "state": state,
        },
    )
    assert page.status_code == 200
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    approved = session.post(f"{app.base_url}/api/oauth2/auth", data=fields, allow_redirects=False)
    assert approved.status_code == 302
    location = approved.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == [state]
    return query["code"][0]


def _refresh(app: ExactSandbox, token: str) -> object:
    return _token(app, grant_type="refresh_token", refresh_token=token)


def test_login_page_is_a_plain_form_with_demo_credentials(exact: ExactSandbox) -> None:
    page = build_session().get(
        f"{exact.base_url}/api/oauth2/auth",
        params={"client_id": exact.client_id, "redirect_uri": REDIRECT, "response_type": "code"},
    )
    assert page.status_code == 200
    assert 'name="username" value="demo"' in page.text
    assert 'name="password" value="demo"' in page.text
    assert "Log in and approve" in page.text
    assert "<script" not in page.text


def test_unknown_client_id_gets_an_error_page(exact: ExactSandbox) -> None:
    page = build_session().get(
        f"{exact.base_url}/api/oauth2/auth",
        params={"client_id": "someone-else", "redirect_uri": REDIRECT, "response_type": "code"},
    )
    assert page.status_code == 400


def test_code_flow_end_to_end_expires_in_is_the_string_600(exact: ExactSandbox) -> None:
    code = _login_via_form(exact)
    # reference 1.2: token response fields, expires_in arrives as the string "600"
    response = _token(exact, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == "600"
    assert body["token_type"] == "bearer"
    assert body["access_token"]
    assert body["refresh_token"]
    me = build_session().get(
        f"{exact.base_url}/api/v1/current/Me",
        headers={"Authorization": f"Bearer {body['access_token']}", "Accept": "application/json"},
    )
    assert me.status_code == 200


def test_authorization_code_is_single_use(exact: ExactSandbox) -> None:
    code = _login_via_form(exact)
    assert (
        _token(exact, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).status_code
        == 200
    )
    # reference 1.2: re-using a code gives 400 Bad Request
    assert (
        _token(exact, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).status_code
        == 400
    )


def test_authorization_code_expires_after_about_three_minutes(
    exact: ExactSandbox, clock: FakeClock
) -> None:
    code = _login_via_form(exact)
    clock.advance(181)
    assert (
        _token(exact, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).status_code
        == 400
    )


def test_token_endpoint_refuses_an_authorization_header(exact: ExactSandbox) -> None:
    session = build_session()
    response = session.post(
        f"{exact.base_url}/api/oauth2/token",
        headers={"Authorization": "Bearer abc"},
        data={
            "grant_type": "refresh_token",
            "refresh_token": "x",
            "client_id": exact.client_id,
            "client_secret": exact.client_secret,
        },
    )
    assert response.status_code == 401  # reference 1.2 (DJX)


def test_wrong_client_secret_is_invalid_client(exact: ExactSandbox) -> None:
    response = build_session().post(
        f"{exact.base_url}/api/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "x",
            "client_id": exact.client_id,
            "client_secret": "nope",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_refresh_within_570_seconds_is_too_early(exact: ExactSandbox, clock: FakeClock) -> None:
    tokens = exact.issue_tokens()
    clock.advance(569)
    response = _refresh(exact, tokens["refresh_token"])
    # reference 1.3: 400 access_denied + Reason: TooEarlyToRefreshTokens
    assert response.status_code == 400
    assert response.json() == {
        "error": "access_denied",
        "error_description": "Rate limit exceeded: access_token not expired",
    }
    assert response.headers["Reason"] == "TooEarlyToRefreshTokens"


def test_refresh_rotates_and_the_old_token_dies_once_the_new_pair_is_used(
    exact: ExactSandbox, clock: FakeClock
) -> None:
    first = exact.issue_tokens()
    clock.advance(571)
    response = _refresh(exact, first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["expires_in"] == "600"
    assert exact.token_refreshes == 1
    api = Api(exact)
    api.session.headers["Authorization"] = f"Bearer {second['access_token']}"
    assert api.get("/api/v1/current/Me").status_code == 200
    clock.advance(571)
    old = _refresh(exact, first["refresh_token"])
    # reference 1.3: rotated token -> 401 unauthorized_client "Old refresh token used."
    assert old.status_code == 401
    assert old.json() == {
        "error": "unauthorized_client",
        "error_description": "Old refresh token used.",
    }
    assert _refresh(exact, second["refresh_token"]).status_code == 200


def test_previous_refresh_token_survives_until_the_new_pair_is_used(
    exact: ExactSandbox, clock: FakeClock
) -> None:
    first = exact.issue_tokens()
    clock.advance(571)
    assert _refresh(exact, first["refresh_token"]).status_code == 200
    clock.advance(571)
    # reference 1.3 (INV-LT): the old refresh token dies only once the new one has been used
    assert _refresh(exact, first["refresh_token"]).status_code == 200


def test_unused_refresh_token_expires_after_30_days(exact: ExactSandbox, clock: FakeClock) -> None:
    tokens = exact.issue_tokens()
    clock.advance(30 * 86400 + 1)
    response = _refresh(exact, tokens["refresh_token"])
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert re.fullmatch(
        r"The refresh token expired at .+ and it is now .+\.", body["error_description"]
    )


def test_revoked_refresh_tokens_are_refused(exact: ExactSandbox, clock: FakeClock) -> None:
    tokens = exact.issue_tokens()
    exact.revoke_refresh_tokens()
    clock.advance(600)
    response = _refresh(exact, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_expired_access_token_gets_401_and_may_then_be_refreshed(
    exact: ExactSandbox, clock: FakeClock
) -> None:
    api = Api(exact)
    tokens = api.login()
    assert api.get("/api/v1/current/Me").status_code == 200
    exact.expire_access_tokens()
    response = api.get("/api/v1/current/Me")
    assert response.status_code == 401  # reference 1.3 / 7.2
    assert "X-RateLimit-Limit" not in response.headers
    assert _refresh(exact, tokens["refresh_token"]).status_code == 200


def test_access_token_lives_600_seconds(api: Api, clock: FakeClock) -> None:
    clock.advance(599)
    assert api.get("/api/v1/current/Me").status_code == 200
    clock.advance(1)
    assert api.get("/api/v1/current/Me").status_code == 401


def test_token_endpoint_allows_200_calls_a_day(exact: ExactSandbox) -> None:
    for _ in range(200):
        assert _refresh(exact, "unknown").status_code == 400
    assert exact.usage()["token_endpoint"]["remaining"] == 0
    response = _refresh(exact, "unknown")
    assert response.json()["error_description"] == "Rate limit exceeded: token endpoint daily limit"
