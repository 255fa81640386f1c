"""Who is calling: the key in `Authorization: Bearer KEY`, matched to a scope in constant time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from enum import IntEnum

from pydantic import SecretStr

LOOPBACK = frozenset({"127.0.0.1", "::1"})


class Scope(IntEnum):
    """What a key lets its holder do; a higher scope includes the lower ones."""

    NONE = 0
    READ = 1
    ADMIN = 2


class Keys:
    """The configured keys, kept as SHA-256 digests so every comparison has the same length."""

    def __init__(self, read: list[SecretStr], admin: list[SecretStr]) -> None:
        self._read = [_digest(k.get_secret_value()) for k in read]
        self._admin = [_digest(k.get_secret_value()) for k in admin]

    @property
    def reading_needs_a_key(self) -> bool:
        return bool(self._read)

    @property
    def admin_keys_set(self) -> bool:
        return bool(self._admin)

    def scope(self, key: str | None) -> Scope:
        """The scope of `key`; every configured key is compared, so timing reveals nothing."""
        if not key:
            return Scope.NONE
        given = _digest(key)
        admin = [hmac.compare_digest(given, k) for k in self._admin]
        read = [hmac.compare_digest(given, k) for k in self._read]
        return Scope.ADMIN if any(admin) else Scope.READ if any(read) else Scope.NONE


def presented_key(authorization: str | None) -> str | None:
    """The key in `Bearer KEY`, or the password of `Basic` (a browser's prompt, for /docs)."""
    if not authorization:
        return None
    kind, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if kind.lower() == "bearer":
        return value or None
    if kind.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def key_identity(key: str) -> str:
    """A short, non-reversible name for a key: what rate limits and logs use instead of the key."""
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()
