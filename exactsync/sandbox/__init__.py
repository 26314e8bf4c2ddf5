"""A local Exact Online for tests, the demo and benchmarks (WSGI, no Django).

app = ExactSandbox().reset(seed=1, items=50)
server = SandboxServer(app).start()      # from common.sandbox; app.base_url is then set
"""

from __future__ import annotations

from .app import ExactSandbox
from .seed_data import demo_catalogue

__all__ = ["ExactSandbox", "demo_catalogue"]
