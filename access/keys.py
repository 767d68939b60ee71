"""API keys: the secret, its hash, what a key may do, and the ``Authorization`` header.

A key is 32 random bytes (256 bits) behind a short prefix that tells people and secret
scanners what it is. Only its SHA-256 is stored: a key this random cannot be guessed from the
hash, so a slow password hash would buy nothing and cost every request its time.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from access.errors import InvalidKeyRequest, Unauthenticated
from access.scopes import Scope, parse_scopes

KEY_PREFIX = "omr_"
HINT_LENGTH = len(KEY_PREFIX) + 4  # what lists show of a key: enough to tell two apart
MAX_NAME = 64
MAX_LOCATIONS = 1000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@:-]*$")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{16,256}$")


def new_secret() -> str:
    """A new key: shown once, at creation, and never stored."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def key_hint(secret: str) -> str:
    return secret[:HINT_LENGTH]


@dataclass(frozen=True, slots=True)
class KeyRequest:
    """A validated request for a new key."""

    name: str
    scopes: frozenset[Scope]
    locations: frozenset[str] | None  # None: every location

    @classmethod
    def of(
        cls,
        name: str,
        scopes: Iterable[str] | str,
        locations: Iterable[str] | str | None = None,
    ) -> KeyRequest:
        return cls(check_name(name), parse_scopes(scopes), _locations(locations))


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidKeyRequest("name", "must not be empty")
    if len(name) > MAX_NAME:
        raise InvalidKeyRequest("name", f"at most {MAX_NAME} characters, got {len(name)}")
    if not _NAME.match(name):
        raise InvalidKeyRequest(
            "name", f"letters, digits and _ . @ : - only, starting with a letter or digit: {name!r}"
        )
    return name


def _locations(values: Iterable[str] | str | None) -> frozenset[str] | None:
    if values is None:
        return None
    names = values.split(",") if isinstance(values, str) else list(values)
    cleaned = frozenset(name.strip() for name in names if name.strip())
    if not cleaned:
        raise InvalidKeyRequest("locations", "give at least one location id, or leave it out")
    if len(cleaned) > MAX_LOCATIONS:
        raise InvalidKeyRequest("locations", f"at most {MAX_LOCATIONS} location ids")
    return cleaned


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as stored (never its secret)."""

    name: str
    scopes: frozenset[Scope]
    locations: frozenset[str] | None
    hint: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes


def bearer_token(header: str | None) -> str:
    """The key in an ``Authorization: Bearer <key>`` header; Unauthenticated says what is
    wrong with a header that is missing or malformed."""
    if header is None or not header.strip():
        raise Unauthenticated("missing API key: send the header 'Authorization: Bearer <key>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthenticated(
            f"malformed Authorization header: expected 'Bearer <key>', got scheme {scheme!r}"
        )
    token = token.strip()
    if not _TOKEN.match(token):
        raise Unauthenticated(
            "malformed Authorization header: the key after 'Bearer ' must be 16 to 256 "
            "letters, digits, '-' or '_'"
        )
    return token
