"""Helpers shared by the Exact sandbox tests."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

from common.http import build_session
from exactsync.sandbox import ExactSandbox

START = dt.datetime(2026, 3, 2, 10, 0, 0, tzinfo=dt.UTC).timestamp()


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.t = START

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class Api:
    """requests against the sandbox with `Accept: application/json` and a bearer token."""

    def __init__(self, app: ExactSandbox) -> None:
        self.app = app
        self.session = build_session()
        self.session.headers["Accept"] = "application/json"

    def login(self) -> dict[str, Any]:
        tokens = self.app.issue_tokens()
        self.session.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        return tokens

    def url(self, path: str) -> str:
        if path.startswith("http"):
            return path
        if path.startswith("/"):
            return f"{self.app.base_url}{path}"
        return f"{self.app.base_url}/api/v1/{self.app.division}/{path}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.url(path), params=params or None)

    def post(self, path: str, body: Any, *, prefer: bool = True) -> requests.Response:
        headers = {"Prefer": "return=representation"} if prefer else {}
        return self.session.post(self.url(path), json=body, headers=headers)

    def put(self, path: str, body: Any) -> requests.Response:
        return self.session.put(self.url(path), json=body)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(self.url(path))


class Receiver:
    """A tiny webhook endpoint that records raw requests and answers `status`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        with self.lock:
            self.requests.append(
                {"path": request.path, "body": body, "headers": dict(request.headers)}
            )
        return Response("ok", status=self.status)(environ, start_response)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
        self.status = 200
