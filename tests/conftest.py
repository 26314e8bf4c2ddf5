"""Fixtures shared by the whole suite."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from exactsync.roles import sync_roles
from tests.factories import ConnectionFactory, UserFactory


@pytest.fixture
def roles(db: Any) -> None:
    sync_roles()


@pytest.fixture
def connection(db: Any) -> Any:
    return ConnectionFactory(name="Groothandel", division=123456)


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def purchaser(roles: None) -> Any:
    return UserFactory(username="petra", groups=["purchaser"])


@pytest.fixture
def purchaser_client(purchaser: Any) -> Client:
    return _client_for(purchaser)


@pytest.fixture
def superuser_client(db: Any) -> Client:
    user = UserFactory(username="root", is_superuser=True)
    return _client_for(user)


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    """Uploaded files go to a fresh folder per test; the test client speaks plain http."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SECURE_SSL_REDIRECT = False


# The Exact sandbox fixtures are used by the channel tests too (forwarding, stock, tracking).
from tests.exact.conftest import exact, exact_connection, exact_server  # noqa: E402, F401


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """The test database also gets the database cache table (login lockout, django-q stats)."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)
