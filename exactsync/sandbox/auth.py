"""OAuth2 as Exact runs it (reference section 1): a consent page, single-use codes, 600-second
access tokens with `expires_in` as a string, rotating refresh tokens and Exact's error bodies.

Sandbox choices on unverified points (reference 1.3):
- The previous refresh token stays usable (subject to the 570-second rule) until the new pair is
  used: the new access token on an API call or the new refresh token at this endpoint. After that
  it answers 401 "Old refresh token used.".
- The previous access token stays valid until its own expiry (600 s after issue).
- "Too early" means the grant's newest access token is still valid for more than 30 s, which is
  the 570-second rule for natural tokens and lets `expire_access_tokens()` allow a refresh.
- Revoked refresh tokens: 400 invalid_grant "The refresh token has been revoked.".
- An Authorization header on the token endpoint: 401 invalid_client.
- Past 200 token-endpoint calls per client per (UTC) day: 400 access_denied "Rate limit exceeded:
  token endpoint daily limit".
"""

from __future__ import annotations

import datetime as dt
import html
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from common.sandbox import json_response

ACCESS_LIFETIME = 600
EARLY_MARGIN = 30  # refresh refused while the newest access token has more than this left
CODE_LIFETIME = 180
REFRESH_LIFETIME = 30 * 86400
TOKEN_CALLS_PER_DAY = 200


@dataclass
class Grant:
    """One user consent: the chain of refresh tokens it produced."""

    client_id: str
    current_refresh: str = ""
    previous_refresh: str | None = None
    previous_alive: bool = False
    newest_access: str = ""


@dataclass
class AccessToken:
    """An issued bearer token."""

    client_id: str
    grant: Grant
    expires_at: float


@dataclass
class RefreshToken:
    """An issued refresh token."""

    grant: Grant
    expires_at: float
    revoked: bool = False


@dataclass
class AuthCode:
    """An authorization code from the consent page."""

    client_id: str
    redirect_uri: str
    issued_at: float
    used: bool = False


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Exact Online (sandbox) - Log in</title></head>
<body><h1>Exact Online sandbox</h1>
<p>The application <strong>{client_id}</strong> asks for access to your administration.</p>
{error}
<form method="post" action="/api/oauth2/auth">
<input type="hidden" name="client_id" value="{client_id}">
<input type="hidden" name="redirect_uri" value="{redirect_uri}">
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="state" value="{state}">
<label>Username <input type="text" name="username" value="demo"></label>
<label>Password <input type="password" name="password" value="demo"></label>
<button type="submit">Log in and approve</button>
</form></body></html>
"""


def _token_error(
    error: str, description: str, status: int, headers: dict[str, str] | None = None
) -> Response:
    return json_response(
        {"error": error, "error_description": description}, status=status, headers=headers
    )


def _dotnet_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%m/%d/%Y %H:%M:%S")


class OAuthMixin:
    """The `/api/oauth2/*` routes and bearer-token checks of ExactSandbox."""

    client_id: str
    client_secret: str
    users: dict[str, str]
    lock: Any

    now: Callable[[], float]  # provided by ExactSandbox

    def _init_auth(self) -> None:
        self._codes: dict[str, AuthCode] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._token_calls: dict[tuple[str, int], int] = {}
        self.token_refreshes = 0
        self.issued_codes: list[str] = []

    # -- consent page -------------------------------------------------------------------------
    def oauth_auth(self, request: Request) -> Response:
        """GET: the login/consent form. POST: approve and redirect with `code` and `state`."""
        params = request.form if request.method == "POST" else request.args
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        state = params.get("state", "")
        if (
            client_id != self.client_id
            or not redirect_uri
            or params.get("response_type", "code") != "code"
        ):
            page = "<!doctype html><title>Error</title><h1>Invalid request</h1><p>Unknown client_id, missing redirect_uri or unsupported response_type.</p>"
            return Response(page, status=400, mimetype="text/html")
        if request.method == "POST":
            if self.users.get(params.get("username", "")) == params.get("password"):
                code = self.issue_code(redirect_uri)
                glue = "&" if "?" in redirect_uri else "?"
                query = urlencode({"code": code, **({"state": state} if state else {})})
                return Response(status=302, headers={"Location": f"{redirect_uri}{glue}{query}"})
            error = "<p role='alert'>Wrong username or password.</p>"
        else:
            error = ""
        body = LOGIN_PAGE.format(
            client_id=html.escape(client_id),
            redirect_uri=html.escape(redirect_uri),
            state=html.escape(state),
            error=error,
        )
        return Response(body, mimetype="text/html")

    def issue_code(self, redirect_uri: str) -> str:
        """An authorization code as if the user approved on the consent page."""
        code = secrets.token_urlsafe(24)
        with self.lock:
            self._codes[code] = AuthCode(self.client_id, redirect_uri, self.now())
            self.issued_codes.append(code)
        return code

    # -- token endpoint ------------------------------------------------------------------------
    def oauth_token(self, request: Request) -> Response:
        """`POST /api/oauth2/token`: authorization_code and refresh_token grants (reference 1.2)."""
        if request.headers.get("Authorization"):
            return _token_error(
                "invalid_client", "The token endpoint does not accept an Authorization header.", 401
            )
        form = request.form
        with self.lock:
            if form.get("client_id") == self.client_id:
                day = int(self.now() // 86400)
                used = self._token_calls.get((self.client_id, day), 0)
                if used >= TOKEN_CALLS_PER_DAY:
                    return _token_error(
                        "access_denied", "Rate limit exceeded: token endpoint daily limit", 400
                    )
                self._token_calls[(self.client_id, day)] = used + 1
            if (
                form.get("client_id") != self.client_id
                or form.get("client_secret") != self.client_secret
            ):
                return _token_error("invalid_client", "Invalid client credentials.", 400)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                return self._exchange_code(form.get("code", ""), form.get("redirect_uri", ""))
            if grant_type == "refresh_token":
                return self._refresh_grant(form.get("refresh_token", ""))
            return _token_error(
                "unsupported_grant_type", f"Unsupported grant type: {grant_type}", 400
            )

    def _exchange_code(self, code: str, redirect_uri: str) -> Response:
        entry = self._codes.get(code)
        if entry is None or entry.used or self.now() - entry.issued_at > CODE_LIFETIME:
            return _token_error(
                "invalid_grant", "The authorization code is invalid, expired or already used.", 400
            )
        if entry.redirect_uri != redirect_uri:
            return _token_error(
                "invalid_grant", "The redirect_uri does not match the authorization request.", 400
            )
        entry.used = True
        return json_response(
            self._issue_pair(Grant(self.client_id)), headers={"Cache-Control": "no-store"}
        )

    def _refresh_grant(self, token: str) -> Response:
        entry = self._refresh.get(token)
        now = self.now()
        if entry is None:
            return _token_error("invalid_grant", "The refresh token is invalid.", 400)
        if entry.revoked:
            return _token_error("invalid_grant", "The refresh token has been revoked.", 400)
        if now >= entry.expires_at:
            return _token_error(
                "invalid_request",
                f"The refresh token expired at {_dotnet_time(entry.expires_at)} and it is now {_dotnet_time(now)}.",
                400,
            )
        grant = entry.grant
        alive = token == grant.current_refresh or (
            token == grant.previous_refresh and grant.previous_alive
        )
        if not alive:
            return _token_error("unauthorized_client", "Old refresh token used.", 401)
        newest = self._access.get(grant.newest_access)
        if newest is not None and newest.expires_at - now > EARLY_MARGIN:
            return _token_error(
                "access_denied",
                "Rate limit exceeded: access_token not expired",
                400,
                {"Reason": "TooEarlyToRefreshTokens"},
            )
        if token == grant.current_refresh:
            grant.previous_refresh, grant.previous_alive = token, True
        self.token_refreshes += 1
        return json_response(self._issue_pair(grant), headers={"Cache-Control": "no-store"})

    def _issue_pair(self, grant: Grant) -> dict[str, Any]:
        now = self.now()
        access, refresh = secrets.token_urlsafe(48), secrets.token_urlsafe(32)
        self._access[access] = AccessToken(grant.client_id, grant, now + ACCESS_LIFETIME)
        self._refresh[refresh] = RefreshToken(grant, now + REFRESH_LIFETIME)
        grant.current_refresh, grant.newest_access = refresh, access
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": str(ACCESS_LIFETIME),
            "refresh_token": refresh,
        }

    def issue_tokens(self) -> dict[str, Any]:
        """A fresh token pair without the browser flow (tests, demo, benchmarks)."""
        with self.lock:
            return self._issue_pair(Grant(self.client_id))

    # -- API side ------------------------------------------------------------------------------
    def check_bearer(self, request: Request) -> AccessToken | None:
        """The valid access token of a request, or None (then the caller answers 401)."""
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        with self.lock:
            token = header[7:].strip()
            entry = self._access.get(token)
            if entry is None or self.now() >= entry.expires_at:
                return None
            if entry.grant.newest_access == token:
                entry.grant.previous_alive = False  # the new pair is in use: the old chain dies
            return entry

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired now (forces the client's refresh path)."""
        with self.lock:
            now = self.now()
            for entry in self._access.values():
                entry.expires_at = min(entry.expires_at, now)

    def revoke_refresh_tokens(self) -> None:
        """Revoke every refresh token (the user withdrew consent): a new login is needed."""
        with self.lock:
            for entry in self._refresh.values():
                entry.revoked = True

    def token_endpoint_usage(self) -> dict[str, int]:
        """Token-endpoint calls today for the sandbox client, and what is left of the 200."""
        with self.lock:
            used = self._token_calls.get((self.client_id, int(self.now() // 86400)), 0)
        return {
            "limit": TOKEN_CALLS_PER_DAY,
            "used": used,
            "remaining": max(0, TOKEN_CALLS_PER_DAY - used),
        }
