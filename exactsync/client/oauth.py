"""Exact Online's OAuth2 authorization-code flow with requests-oauthlib, refreshed explicitly.

Access tokens live 600 s (`expires_in` arrives as the string "600"); refresh tokens rotate and are
single use; a refresh within 570 s of the last one is refused. We never use requests-oauthlib's
auto-refresh (no margin, leaks request kwargs into the refresh body, no lock): the caller decides
when to refresh and holds the lock. Reference: exact-online-api.md section 1.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from common.http import RetriableApiError, build_session

AUTH_PATH = "/api/oauth2/auth"
TOKEN_PATH = "/api/oauth2/token"  # noqa: S105 - a URL path, not a secret


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: float  # epoch seconds
    issued_at: float


class RefreshRefused(Exception):
    """Exact refused a refresh. `kind`: too_early, old_token, expired, invalid_client, other."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    @property
    def needs_login(self) -> bool:
        return self.kind in ("old_token", "expired", "invalid_client", "invalid_grant")


def _allow_loopback_http(url: str) -> None:
    """oauthlib refuses plain http; the sandboxes run on loopback http, production never does."""
    host = urlsplit(url).hostname or ""
    if urlsplit(url).scheme == "http" and host in ("127.0.0.1", "localhost", "::1"):
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


class ExactOAuth:
    """The authorization URL, the code exchange and the refresh, for one Exact host."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        timeout: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self.clock = clock
        _allow_loopback_http(self.base_url)
        _allow_loopback_http(self.redirect_uri)

    def _session(self, state: str | None = None) -> OAuth2Session:
        session = OAuth2Session(self.client_id, redirect_uri=self.redirect_uri, state=state)
        session.headers.update(build_session().headers)
        session.headers["Accept"] = "application/json"
        return session

    def authorization_url(self, state: str) -> str:
        url, _ = self._session(state).authorization_url(f"{self.base_url}{AUTH_PATH}", state=state)
        return url

    def exchange_code(self, code: str) -> TokenSet:
        """Trade the single-use authorization code for the first token pair."""
        issued = self.clock()
        try:
            token = self._session().fetch_token(
                f"{self.base_url}{TOKEN_PATH}",
                code=code,
                client_secret=self.client_secret,
                include_client_id=True,
                timeout=self.timeout,
            )
        except OAuth2Error as exc:
            raise RefreshRefused(_kind(exc), _describe(exc)) from exc
        return _token_set(token, issued)

    def refresh(self, refresh_token: str) -> TokenSet:
        """Use the (single-use) refresh token once. Raises RefreshRefused with the reason."""
        issued = self.clock()
        session = self._session()
        try:
            token = session.refresh_token(
                f"{self.base_url}{TOKEN_PATH}",
                refresh_token=refresh_token,
                client_id=self.client_id,
                client_secret=self.client_secret,
                timeout=self.timeout,
            )
        except OAuth2Error as exc:
            raise RefreshRefused(_kind(exc), _describe(exc)) from exc
        except (OSError, ValueError) as exc:
            raise RetriableApiError(
                f"Exact's token endpoint did not answer properly: {exc}"
            ) from exc
        return _token_set(token, issued)


def _token_set(token: dict[str, object], issued: float) -> TokenSet:
    expires_in = float(str(token.get("expires_in", "600")))
    return TokenSet(
        access_token=str(token["access_token"]),
        refresh_token=str(token["refresh_token"]),
        expires_at=issued + expires_in,
        issued_at=issued,
    )


def _describe(exc: OAuth2Error) -> str:
    return exc.description or exc.error or str(exc)


def _kind(exc: OAuth2Error) -> str:
    text = f"{exc.error} {exc.description or ''}".lower()
    if "not expired" in text or "too early" in text or "rate limit" in text:
        return "too_early"
    if "old refresh token" in text:
        return "old_token"
    if "expired" in text:
        return "expired"
    if exc.error == "invalid_client":
        return "invalid_client"
    if exc.error in ("invalid_grant", "unauthorized_client"):
        return "invalid_grant"
    return "other"
