"""Shared plumbing for the local API sandboxes (Exact Online and the sales channels).

A sandbox is a WSGI application that behaves like a vendor's API as documented: auth, paging,
rate-limit headers, error bodies, webhooks. Tests, the demo (`make run`) and the benchmarks serve
it on loopback and point the real clients at it; only the base URL differs from production.

Conventions every sandbox follows:
- State lives in memory, guarded by one lock (`self.lock`); `reset(seed=...)` rebuilds it
  deterministically.
- `/_control/...` is the sandbox's own control surface (JSON), never part of the vendor API:
  tests and the demo use it to change data, place orders, inject failures. The same operations
  are plain Python methods for in-process use.
- Every vendor-API request is appended to `self.calls` (method, path, query string, status), so a
  test can assert exactly how many calls a sync made.
- Failure injection: `fail_next(count, status=500, after_commit=False, paths=None)` makes the next
  matching requests fail; with after_commit=True the write is applied and only the response fails
  (the "lost response" case).
No Django imports.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

log = logging.getLogger(__name__)


@dataclass
class Call:
    method: str
    path: str
    query: str
    status: int = 0


@dataclass
class Fault:
    """One armed failure: applies to the next `count` requests whose path contains a pattern."""

    count: int
    status: int = 500
    after_commit: bool = False
    paths: tuple[str, ...] = ()
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to sleep before answering (to provoke client timeouts)

    def matches(self, path: str) -> bool:
        return not self.paths or any(p in path for p in self.paths)


class LostResponse(Exception):
    """Raised inside a handler after the write was applied, to answer with a failure instead."""


def json_response(
    data: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Response:
    return Response(
        json.dumps(data, separators=(",", ":")),
        status=status,
        headers=headers or {},
        content_type=content_type,
    )


class SandboxApp:
    """Base class: routing, call log, fault injection, control endpoints, threadsafe state."""

    name = "sandbox"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.url_map = Map(self.rules() + self._control_rules(), strict_slashes=False)
        self.base_url = "http://127.0.0.1"  # set by SandboxServer when served

    # -- subclasses -----------------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        """Vendor API routes: Rule(path, endpoint="method_name", methods=[...])."""
        raise NotImplementedError

    def control_rules(self) -> list[Rule]:
        """Extra control routes (endpoints are method names), on top of the shared ones."""
        return []

    def reset(self, **kwargs: Any) -> Any:  # pragma: no cover - overridden
        with self.lock:
            self.calls.clear()
            self.faults.clear()
        return self

    def before_request(self, request: Request) -> Response | None:
        """Hook for auth and rate limiting; return a Response to short-circuit."""
        return None

    def decorate_response(self, request: Request, response: Response) -> Response:
        """Hook to add headers (rate limits) to every vendor-API response."""
        return response

    # -- fault injection --------------------------------------------------------------------------
    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        after_commit: bool = False,
        paths: Iterable[str] = (),
        body: str = "",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        with self.lock:
            self.faults.append(
                Fault(
                    count=count,
                    status=status,
                    after_commit=after_commit,
                    paths=tuple(paths),
                    body=body,
                    headers=headers or {},
                    delay=delay,
                )
            )

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.matches(path):
                    fault.count -= 1
                    if fault.count == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def fault_response(self, fault: Fault) -> Response:
        body = fault.body or json.dumps({"error": "injected failure"})
        return Response(
            body, status=fault.status, headers=fault.headers, content_type="application/json"
        )

    # -- call log ---------------------------------------------------------------------------------
    def count_calls(self, path_contains: str = "", method: str | None = None) -> int:
        with self.lock:
            return sum(
                1
                for c in self.calls
                if path_contains in c.path and (method is None or c.method == method)
            )

    # -- WSGI -------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        response = self.dispatch(request)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        control = request.path.startswith("/_control/")
        call = None
        if not control:
            call = Call(request.method, request.path, request.query_string.decode())
            with self.lock:
                self.calls.append(call)
        try:
            endpoint, values = adapter.match()
            if control:
                return getattr(self, endpoint)(request, **values)
            short = self.before_request(request)
            if short is not None:
                response = short
            else:
                fault = self._take_fault(request.path)
                if fault and fault.delay:
                    import time

                    time.sleep(fault.delay)
                if fault and not fault.after_commit:
                    response = self.fault_response(fault)
                else:
                    response = getattr(self, endpoint)(request, **values)
                    if fault and fault.after_commit:
                        response = self.fault_response(fault)
            response = self.decorate_response(request, response)
        except NotFound:
            response = self.not_found(request)
        except HTTPException as exc:
            response = exc.get_response()
        if call is not None:
            call.status = response.status_code
        return response

    def not_found(self, request: Request) -> Response:
        return json_response({"error": f"no such resource: {request.path}"}, status=404)

    # -- shared control endpoints ----------------------------------------------------------------------
    def _control_rules(self) -> list[Rule]:
        shared = [
            Rule("/_control/reset", endpoint="ctl_reset", methods=["POST"]),
            Rule("/_control/fail", endpoint="ctl_fail", methods=["POST"]),
            Rule("/_control/calls", endpoint="ctl_calls", methods=["GET"]),
        ]
        return shared + self.control_rules()

    def ctl_reset(self, request: Request) -> Response:
        self.reset(**(request.get_json(silent=True) or {}))
        return json_response({"ok": True})

    def ctl_fail(self, request: Request) -> Response:
        data = request.get_json(force=True)
        self.fail_next(
            int(data.get("count", 1)),
            status=int(data.get("status", 500)),
            after_commit=bool(data.get("after_commit", False)),
            paths=data.get("paths") or (),
            body=data.get("body", ""),
            delay=float(data.get("delay", 0)),
        )
        return json_response({"ok": True})

    def ctl_calls(self, request: Request) -> Response:
        with self.lock:
            rows = [c.__dict__ for c in self.calls]
        return json_response({"calls": rows, "count": len(rows)})


class SandboxServer:
    """Serves a WSGI app on loopback in a background thread (port 0 = pick a free one)."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server(self.host, self.port, self.app, threaded=True)
        self.port = self._server.server_port
        if hasattr(self.app, "base_url"):
            self.app.base_url = self.url
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
