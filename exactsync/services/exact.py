"""Building an Exact client for a connection: tokens from the database, budget from the store.

Token discipline (the most common failure of Exact integrations): refresh tokens are single use,
so one refresh at a time per connection across every process and host. We take a row lock on
the connection, re-read it, skip the refresh if another worker already did it, and save the new
pair before the lock is released. A dead refresh chain puts the connection in "needs a new login"
and every worker stops calling.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.http import RetriableApiError
from exactsync.client import (
    CallLog,
    ExactAuthError,
    ExactClient,
    ExactOAuth,
    Governor,
    NeedsLoginError,
    Priority,
    RefreshRefused,
)
from exactsync.governor_store import budget_store
from exactsync.models import ExactConnection, TokenState, record_activity

REFRESH_MARGIN = 30.0  # refresh when fewer seconds than this are left (never earlier: 570 s rule)
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 - the public demo sandbox's credential
SANDBOX_WEBHOOK_SECRET = "sandbox-webhook-secret"  # noqa: S105 - the demo sandbox's


def client_credentials() -> tuple[str, str]:
    if settings.EXACT_CLIENT_ID:
        return settings.EXACT_CLIENT_ID, settings.EXACT_CLIENT_SECRET
    return SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET


def webhook_secret() -> str:
    return settings.EXACT_WEBHOOK_SECRET or (
        SANDBOX_WEBHOOK_SECRET if not settings.EXACT_CLIENT_ID else ""
    )


def oauth_for(
    connection: ExactConnection, redirect_uri: str = "", *, clock: Callable[[], float] = time.time
) -> ExactOAuth:
    client_id, client_secret = client_credentials()
    return ExactOAuth(
        base_url=connection.base_url,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri or settings.EXACT_REDIRECT_URI or "http://localhost/",
        clock=clock,
    )


def _aware(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


class DbTokenProvider:
    """Hands out a valid access token for one connection, refreshing under a row lock."""

    def __init__(
        self,
        connection_id: int,
        oauth: ExactOAuth,
        *,
        clock: Callable[[], float] = time.time,
        margin: float = REFRESH_MARGIN,
    ) -> None:
        self.connection_id = connection_id
        self.oauth = oauth
        self.clock = clock
        self.margin = margin
        self.refreshes = 0

    def _load(self) -> ExactConnection:
        return ExactConnection.objects.only(
            "access_token", "refresh_token", "token_expires_at", "token_state", "token_error"
        ).get(pk=self.connection_id)

    def access_token(self) -> str:
        conn = self._load()
        self._check_usable(conn)
        if conn.token_expires_at and conn.token_expires_at.timestamp() - self.clock() > self.margin:
            return conn.access_token
        return self._refresh(stale=conn.access_token, forced=False)

    def after_unauthorized(self, used_token: str) -> str:
        """Exact said 401 to this token: refresh once (unless someone already did)."""
        return self._refresh(stale=used_token, forced=True)

    @staticmethod
    def _check_usable(conn: ExactConnection) -> None:
        if conn.token_state == TokenState.NEEDS_LOGIN:
            raise NeedsLoginError(
                f"Exact needs a new login: {conn.token_error or 'the login expired'}"
            )
        if not conn.refresh_token:
            raise NeedsLoginError("This Exact connection is not connected yet.")

    def _refresh(self, *, stale: str, forced: bool) -> str:
        dead: RefreshRefused | None = None
        with transaction.atomic():
            conn = ExactConnection.objects.select_for_update().get(pk=self.connection_id)
            self._check_usable(conn)
            if conn.access_token != stale:
                return conn.access_token  # another worker refreshed while we waited for the lock
            left = conn.token_expires_at.timestamp() - self.clock() if conn.token_expires_at else 0
            if not forced and left > self.margin:
                return conn.access_token
            try:
                tokens = self.oauth.refresh(conn.refresh_token)
            except RefreshRefused as exc:
                if exc.kind == "too_early" and left > 0 and not forced:
                    return conn.access_token  # still valid; Exact says wait
                if not exc.needs_login:
                    raise RetriableApiError(
                        f"Exact refused to refresh the token: {exc.message}"
                    ) from exc
                dead = exc
                ExactConnection.objects.filter(pk=conn.pk).update(
                    token_state=TokenState.NEEDS_LOGIN,
                    token_error=exc.message[:500],
                    access_token="",
                    last_error=f"Token refresh refused: {exc.message}"[:2000],
                    last_error_at=timezone.now(),
                )
            else:
                self.refreshes += 1
                conn.access_token = tokens.access_token
                conn.refresh_token = tokens.refresh_token
                conn.token_expires_at = _aware(tokens.expires_at)
                conn.token_issued_at = _aware(tokens.issued_at)
                conn.token_state = TokenState.VALID
                conn.token_error = ""
                conn.save(
                    update_fields=[
                        "access_token",
                        "refresh_token",
                        "token_expires_at",
                        "token_issued_at",
                        "token_state",
                        "token_error",
                        "updated_at",
                    ]
                )
                return tokens.access_token
        # The connection row was updated (and committed) above; now tell staff and the caller.
        record_activity(
            "exact.needs_login",
            subject=ExactConnection.objects.get(pk=self.connection_id),
            level="error",
            message=dead.message,
        )
        raise NeedsLoginError(f"Exact needs a new login: {dead.message}")


def build_exact_client(
    connection: ExactConnection,
    *,
    priority: Priority = Priority.CATALOGUE,
    calls: CallLog | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> ExactClient:
    """The one way to get a client for a connection."""
    if not connection.division:
        raise NeedsLoginError("Choose the Exact division first (connect the administration).")
    governor = Governor(
        store=budget_store(), division=connection.division, clock=clock, sleep=sleep
    )
    return ExactClient(
        base_url=connection.base_url,
        division=connection.division,
        tokens=DbTokenProvider(connection.pk, oauth_for(connection, clock=clock), clock=clock),
        governor=governor,
        priority=priority,
        calls=calls,
        sleep=sleep,
    )


def store_new_tokens(
    connection: ExactConnection,
    *,
    access_token: str,
    refresh_token: str,
    expires_at: float,
    issued_at: float,
    user: object | None,
) -> None:
    """Save the first token pair after a login (encrypted at rest by the model fields)."""
    connection.access_token = access_token
    connection.refresh_token = refresh_token
    connection.token_expires_at = _aware(expires_at)
    connection.token_issued_at = _aware(issued_at)
    connection.token_state = TokenState.VALID
    connection.token_error = ""
    connection.connected_at = timezone.now()
    connection.connected_by = user if getattr(user, "is_authenticated", False) else None  # type: ignore[assignment]
    connection.save()


def disconnect(connection: ExactConnection, *, user: object | None) -> None:
    """Forget the tokens; nothing is read from or written to Exact until someone reconnects."""
    ExactConnection.objects.filter(pk=connection.pk).update(
        access_token="",
        refresh_token="",
        token_expires_at=None,
        token_issued_at=None,
        token_state=TokenState.NOT_CONNECTED,
        token_error="",
    )
    record_activity("exact.disconnected", subject=connection, actor=user, message=str(connection))


class StaticTokens:
    """A token known to be fresh (just issued by the login), for the calls made during connecting."""

    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def after_unauthorized(self, used_token: str) -> str:
        raise ExactAuthError("Exact refused the token it just issued; log in again.")


def login_client(
    connection: ExactConnection, access_token: str, division: int | None = None
) -> ExactClient:
    """A client for the calls made while connecting (current/Me, the division list)."""
    from exactsync.client import MemoryBudgetStore

    governor = Governor(store=MemoryBudgetStore(), division=division or 0)
    return ExactClient(
        base_url=connection.base_url,
        division=division,
        tokens=StaticTokens(access_token),
        governor=governor,
        priority=Priority.ORDERS,
    )


def store_token_response(
    connection: ExactConnection,
    tokens: dict[str, Any],
    *,
    user: object | None = None,
    now: float | None = None,
) -> None:
    """Save a token endpoint answer ({access_token, refresh_token, expires_in}) as the connection's pair."""
    issued = time.time() if now is None else now
    store_new_tokens(
        connection,
        access_token=str(tokens["access_token"]),
        refresh_token=str(tokens["refresh_token"]),
        expires_at=issued + float(tokens.get("expires_in") or 600),
        issued_at=issued,
        user=user,
    )
