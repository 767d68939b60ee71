"""Access use cases: make, list and revoke API keys; the embedded default's first key; the
audit trail of writes made without HTTP (the CLI)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from access.audit import AuditEntry, outcome_of
from access.keys import ApiKey, KeyRequest
from access.scopes import ALL_SCOPES
from flows.access_store import NewKey
from flows.bootstrap import Services

FIRST_KEY_NAME = "admin"


def cli_actor() -> str:
    """Who acts from the command line: it has the database, not a key."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


def create_key(services: Services, request: KeyRequest) -> NewKey:
    """A new key; its secret is in the answer only. (Over HTTP the middleware records the
    write in the audit trail; the CLI records its own with :func:`record`.)"""
    return services.key_store.create(request)


def revoke_key(services: Services, name: str) -> ApiKey:
    revoked = services.key_store.revoke(name)
    services.keys.forget()  # this worker at once; the others within the key cache's TTL
    return revoked


def record(
    services: Services, actor: str, action: str, target: str, record_id: str | None, status: int
) -> None:
    services.audit.record(
        AuditEntry(services.now(), actor, action, target, record_id, status, outcome_of(status))
    )


def first_start_key(services: Services) -> Path | None:
    """On the embedded default with auth on and no key at all, make an ``admin`` key with
    every scope and write it to ``OMNIROUTE_ADMIN_KEY_FILE``, readable only by its owner;
    the path, or None when nothing was made."""
    settings = services.settings
    if not (settings.auth and settings.embedded) or services.key_store.has_keys():
        return None
    made = create_key(services, KeyRequest(FIRST_KEY_NAME, ALL_SCOPES, None))
    record(services, "omniroute:first-start", "create_key", "keys/admin", FIRST_KEY_NAME, 201)
    write_secret(settings.admin_key_file, made.secret)
    return settings.admin_key_file


def write_secret(path: Path, secret: str) -> None:
    """Write ``secret`` to ``path`` with mode 0600 from the first byte (never world-readable,
    not even for an instant); an older file there is replaced."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
        os.write(fd, (secret + "\n").encode())
    finally:
        os.close(fd)
