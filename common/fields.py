"""Model fields that keep secrets encrypted at rest."""

from __future__ import annotations

import functools
import json
from typing import Any

from cryptography.fernet import MultiFernet
from django.conf import settings
from django.db import models

from common import crypto


@functools.cache
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    return crypto.build_cipher(keys)


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.FIELD_ENCRYPTION_KEYS))


class EncryptedTextField(models.TextField):
    """A text column whose database value is a Fernet token; Python sees the clear text.

    Not searchable or orderable by content. Empty strings are stored as empty strings so that
    "no secret" stays cheap to test for.
    """

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(cipher(), str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        return crypto.decrypt(cipher(), value)


class EncryptedJSONField(models.TextField):
    """A dict of secrets (channel credentials) stored as one encrypted JSON document."""

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return crypto.encrypt(cipher(), json.dumps(value, sort_keys=True))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return {}
        return json.loads(crypto.decrypt(cipher(), value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, dict) or value is None:
            return value or {}
        return json.loads(value)

    def value_to_string(self, obj: Any) -> str:
        return "<encrypted>"
