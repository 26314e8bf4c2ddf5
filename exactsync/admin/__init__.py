"""The operator console for everything mirrored from Exact Online."""

from __future__ import annotations

from . import catalogue, connection, failed_writes, operations, purchasing

__all__ = ["catalogue", "connection", "failed_writes", "operations", "purchasing"]
