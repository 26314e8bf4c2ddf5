"""Admin login protection: after repeated failures an account (from an address) is locked.

Five wrong passwords for one user name from one address lock that pair for 15 minutes; twenty
for one user name from anywhere lock the user name. Counts live in the shared cache, so every web
process sees them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.http import HttpRequest

MAX_PER_ADDRESS = 5
MAX_PER_USER = 20
LOCK_SECONDS = 15 * 60


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return "?"
    return request.META.get("REMOTE_ADDR", "?")


def _keys(username: str, ip: str) -> tuple[str, str]:
    name = (username or "").strip().lower()
    return f"login-fail:{name}:{ip}", f"login-fail:{name}"


def is_locked(username: str, ip: str) -> bool:
    pair, user = _keys(username, ip)
    return (cache.get(pair, 0) >= MAX_PER_ADDRESS) or (cache.get(user, 0) >= MAX_PER_USER)


def clear(username: str, ip: str) -> None:
    pair, _ = _keys(username, ip)
    cache.delete(pair)


def _bump(key: str) -> None:
    if cache.add(key, 1, LOCK_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, LOCK_SECONDS)


@receiver(user_login_failed, dispatch_uid="count-login-failures")
def count_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))
    for key in _keys(username, client_ip(request)):
        _bump(key)
