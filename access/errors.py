"""The access package's errors, translated once at the HTTP and CLI edges."""

from __future__ import annotations


class AccessError(Exception):
    """Base of every access error."""


class InvalidKeyRequest(AccessError, ValueError):
    """A key cannot be made as asked: ``field`` says which part, the message what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class KeyNotFound(AccessError, LookupError):
    """No active key has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no active API key named {name!r}")
        self.name = name


class KeyExists(AccessError):
    """An active key already has this name (names are how keys are revoked)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"an active API key named {name!r} exists: revoke it or pick another")
        self.name = name


class Unauthenticated(AccessError):
    """No usable key on the request: missing, malformed, unknown or revoked (401)."""


class Forbidden(AccessError):
    """A known key without the scope an operation needs (403)."""

    def __init__(self, key_name: str, scopes: tuple[str, ...]) -> None:
        wanted = " or ".join(repr(scope) for scope in scopes)
        super().__init__(f"API key {key_name!r} lacks the {wanted} scope this operation needs")
        self.scopes = scopes
