"""Logging filter that keeps tokens and credentials out of log lines."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    re.compile(
        r"(?i)(access_token|refresh_token|client_secret|password|authorization|code|secret|token)"
        r"([\"']?\s*[:=]\s*[\"']?)([^\s\"'&,}]+)"
    ),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._\-~+/]+=*)"),
    re.compile(r"(?i)(basic\s+)([A-Za-z0-9+/]+=*)"),
]


def redact(text: str) -> str:
    """Replace anything that looks like a secret value with ***."""
    text = _PATTERNS[0].sub(lambda m: f"{m[1]}{m[2]}***", text)
    text = _PATTERNS[1].sub(lambda m: f"{m[1]}***", text)
    return _PATTERNS[2].sub(lambda m: f"{m[1]}***", text)


class RedactSecretsFilter(logging.Filter):
    """Redacts the formatted message of every record passing through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
