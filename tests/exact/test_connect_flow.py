"""Connecting Exact Online from the admin, end to end against the sandbox's login page."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection as db_connection
from django.urls import reverse

from common.http import build_session
from exactsync.models import ExactConnection, TokenState
from exactsync.sandbox import ExactSandbox
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def log_in_at_exact(authorize_url: str) -> str:
    """What the administrator does in the browser on Exact's page; returns the redirect back."""
    http = build_session()
    page = http.get(authorize_url)
    assert page.status_code == 200
    assert "Log in and approve" in page.text
    fields = dict(
        re.findall(
            r'<input type="(?:hidden|text|password)" name="([^"]+)" value="([^"]*)"', page.text
        )
    )
    action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
    origin = f"{urlsplit(authorize_url).scheme}://{urlsplit(authorize_url).netloc}"
    approved = http.post(
        origin + action,
        data={k: html.unescape(v) for k, v in fields.items()},
        allow_redirects=False,
    )
    assert approved.status_code in (302, 303)
    return approved.headers["Location"]


def test_administrator_connects_a_division_end_to_end(client: Any, exact: ExactSandbox) -> None:
    admin = UserFactory(username="boss", is_superuser=True)
    client.force_login(admin)
    connection = ExactConnection.objects.create(name="Groothandel", base_url=exact.base_url)
    change_url = reverse("admin:exactsync_exactconnection_change", args=[connection.pk])
    page = client.get(change_url).content.decode()
    assert "Connect to Exact Online" in page

    start = client.get(reverse("admin:exactsync_exactconnection_connect", args=[connection.pk]))
    assert start.status_code == 302
    assert start.url.startswith(f"{exact.base_url}/api/oauth2/auth?")
    back = log_in_at_exact(start.url)
    query = parse_qs(urlsplit(back).query)
    assert urlsplit(back).path == reverse("admin:exactsync_exactconnection_oauth_callback")

    callback = client.get(
        urlsplit(back).path, {"code": query["code"][0], "state": query["state"][0]}
    )
    assert callback.status_code == 302
    assert callback.url == reverse("admin:exactsync_exactconnection_division", args=[connection.pk])
    choose = client.get(callback.url)
    assert str(exact.division) in choose.content.decode()
    done = client.post(callback.url, {"division": str(exact.division)}, follow=True)
    assert "Connected to Exact Online division" in done.content.decode()

    connection.refresh_from_db()
    assert connection.division == exact.division
    assert connection.token_state == TokenState.VALID
    assert connection.connected_by == admin
    # Encrypted at rest: the database column does not hold the token in clear.
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM exactsync_exactconnection WHERE id = %s",
            [connection.pk],
        )
        stored_access, stored_refresh = cursor.fetchone()
    assert connection.access_token
    assert connection.access_token not in stored_access
    assert connection.refresh_token not in stored_refresh
    # ...and never shown back on the page.
    page = client.get(change_url).content.decode()
    assert connection.access_token not in page
    assert connection.refresh_token not in page
    # A call through the normal client now works.
    test = client.post(
        reverse("admin:exactsync_exactconnection_test", args=[connection.pk]), follow=True
    )
    assert "Exact answers: logged in as" in test.content.decode()


def test_callback_with_a_foreign_state_is_refused(client: Any, exact: ExactSandbox) -> None:
    client.force_login(UserFactory(is_superuser=True))
    connection = ExactConnection.objects.create(name="X", base_url=exact.base_url)
    client.get(reverse("admin:exactsync_exactconnection_connect", args=[connection.pk]))
    response = client.get(
        reverse("admin:exactsync_exactconnection_oauth_callback"),
        {"code": "whatever", "state": "forged"},
        follow=True,
    )
    assert "state mismatch" in response.content.decode()
    connection.refresh_from_db()
    assert connection.token_state == TokenState.NOT_CONNECTED


def test_a_reused_code_is_reported_and_stores_nothing(client: Any, exact: ExactSandbox) -> None:
    client.force_login(UserFactory(is_superuser=True))
    connection = ExactConnection.objects.create(name="X", base_url=exact.base_url)
    start = client.get(reverse("admin:exactsync_exactconnection_connect", args=[connection.pk]))
    back = log_in_at_exact(start.url)
    query = parse_qs(urlsplit(back).query)
    code, state = query["code"][0], query["state"][0]
    # Someone used the code already:
    build_session().post(
        f"{exact.base_url}/api/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": parse_qs(urlsplit(start.url).query)["redirect_uri"][0],
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
        },
    )
    response = client.get(urlsplit(back).path, {"code": code, "state": state}, follow=True)
    assert "Exact refused the login code" in response.content.decode()
    connection.refresh_from_db()
    assert connection.refresh_token == ""


def test_disconnect_removes_the_tokens(client: Any, exact_connection: ExactConnection) -> None:
    client.force_login(UserFactory(is_superuser=True))
    client.post(reverse("admin:exactsync_exactconnection_disconnect", args=[exact_connection.pk]))
    exact_connection.refresh_from_db()
    assert (exact_connection.access_token, exact_connection.refresh_token) == ("", "")
    assert exact_connection.token_state == TokenState.NOT_CONNECTED


def test_purchaser_cannot_connect_or_disconnect(
    purchaser_client: Any, exact_connection: ExactConnection
) -> None:
    response = purchaser_client.post(
        reverse("admin:exactsync_exactconnection_disconnect", args=[exact_connection.pk])
    )
    assert response.status_code == 403
    exact_connection.refresh_from_db()
    assert exact_connection.refresh_token != ""
