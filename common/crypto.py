"""Encryption of secrets at rest (Fernet). No Django here: keys are passed in."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretDecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


def build_cipher(keys: Sequence[str]) -> MultiFernet:
    """MultiFernet over the keys: the first encrypts, every key decrypts (rotation)."""
    if not keys:
        raise ValueError("no encryption keys configured (FIELD_ENCRYPTION_KEYS)")
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def encrypt(cipher: MultiFernet, plaintext: str) -> str:
    return cipher.encrypt(plaintext.encode()).decode()


def decrypt(cipher: MultiFernet, token: str) -> str:
    try:
        return cipher.decrypt(token.encode()).decode()
    except InvalidToken as exc:
        # Never include the token itself in the message.
        raise SecretDecryptionError(
            "stored secret cannot be decrypted with the configured keys"
        ) from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()
