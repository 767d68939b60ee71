"""API keys and the audit trail over HTTP (the ``admin`` scope).

``POST /v1/keys`` answers the new key's secret once; nothing answers it again (only its
hash is stored). Every write here is recorded in the audit trail by the access middleware,
under the handler's name (``create_key``, ``revoke_key``), as the CLI records its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from access.audit import AuditEntry
from access.keys import MAX_LOCATIONS, MAX_NAME, ApiKey, KeyRequest
from access.scopes import SCOPE_NAMES, Scope
from api.app_inventory import services_of
from api.auth import requires
from flows import access
from flows.access_store import MAX_AUDIT_PAGE, NewKey
from flows.order_records import as_utc

router = APIRouter(dependencies=[requires(Scope.admin)], tags=["access"])

DEFAULT_AUDIT_PAGE = 100
MAX_ENTRY_ID = 2**63 - 1  # the largest id SQL stores (SQLite refuses a larger bound: a 500)
_SCOPE_NAMES: list[JsonValue] = [scope.value for scope in Scope]
_SCOPE_ITEMS: dict[str, JsonValue] = {"items": {"type": "string", "enum": _SCOPE_NAMES}}


class KeyIn(BaseModel):
    """The body of ``POST /v1/keys``. A bad name, scope or location list answers 422 naming
    the field (checked by ``access.keys.KeyRequest.of``, as ``omniroute keys create`` is)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(
        description=f"unique among active keys; 1 to {MAX_NAME} letters, digits and _ . @ : -, "
        "starting with a letter or digit (how the key is revoked and how the audit trail "
        "names who acted)",
        examples=["checkout-web"],
    )
    scopes: list[str] = Field(
        description=f"one or more permission sets: {SCOPE_NAMES} (no scope implies another)",
        json_schema_extra=_SCOPE_ITEMS,
        examples=[["checkout"]],
    )
    locations: list[str] | None = Field(
        None,
        description=f"location ids whose Fulfillment Orders the key's ``store`` work covers (1 "
        f"to {MAX_LOCATIONS}); null or left out: every location",
    )


class KeyFields(BaseModel):
    name: str
    scopes: list[Scope] = Field(description="sorted")
    locations: list[str] | None = Field(description="sorted; null: every location")
    hint: str = Field(description="the secret's first characters, to tell keys apart")
    created_at: datetime


class NewKeyOut(KeyFields):
    """A key just made, with its secret: shown this once, never stored, never shown again."""

    key: str = Field(description="the secret: send it as 'Authorization: Bearer <key>'")


class KeyOut(KeyFields):
    """An active key as stored: never its secret nor its hash."""

    last_used_at: datetime | None = Field(
        description="when it last authenticated a request (written at most once a minute)"
    )

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        return cls(**_fields(key), last_used_at=key.last_used_at)


class RevokedKeyOut(KeyOut):
    revoked_at: datetime

    @classmethod
    def revoked(cls, key: ApiKey) -> RevokedKeyOut:
        assert key.revoked_at is not None
        return cls(**_fields(key), last_used_at=key.last_used_at, revoked_at=key.revoked_at)


class KeysOut(BaseModel):
    items: list[KeyOut] = Field(description="the active keys, by name")


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    key: str = Field(description="who: the key's name, 'cli:<user>', or 'anonymous'")
    action: str = Field(description="the operation, e.g. 'put_rules', 'create_key'")
    target: str = Field(description="what was acted on, e.g. 'PUT /v1/rules', 'keys/alice'")
    record: str | None = Field(description="the record's id, when the request names one")
    status: int = Field(description="the HTTP status answered")
    outcome: str = Field(description="ok, refused (4xx) or failed (5xx)")

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        assert entry.id is not None
        return cls(
            id=entry.id,
            at=entry.at,
            key=entry.key,
            action=entry.action,
            target=entry.target,
            record=entry.record,
            status=entry.status,
            outcome=entry.outcome,
        )


class AuditOut(BaseModel):
    items: list[AuditEntryOut] = Field(description="oldest first")
    next: int | None = Field(
        description="the last id of a full page: ask again with after=<next> for more; null "
        "when this page is the last"
    )

    @classmethod
    def page(cls, entries: list[AuditEntry], limit: int) -> AuditOut:
        items = [AuditEntryOut.of(entry) for entry in entries]
        return cls(items=items, next=items[-1].id if items and len(items) >= limit else None)


def _fields(key: ApiKey) -> dict[str, object]:
    return {
        "name": key.name,
        "scopes": sorted(key.scopes),
        "locations": None if key.locations is None else sorted(key.locations),
        "hint": key.hint,
        "created_at": key.created_at,
    }


def new_key_out(made: NewKey) -> NewKeyOut:
    return NewKeyOut(**_fields(made.key), key=made.secret)


@router.post("/v1/keys", response_model=NewKeyOut, status_code=201)
def create_key(request: Request, body: KeyIn) -> NewKeyOut:
    """Make an API key. The answer holds its secret (``key``), shown this once."""
    key_request = KeyRequest.of(body.name, body.scopes, body.locations)
    return new_key_out(access.create_key(services_of(request), key_request))


@router.get("/v1/keys", response_model=KeysOut)
def list_keys(request: Request) -> KeysOut:
    """The active keys (never a secret): name, scopes, locations, hint, when made, last used."""
    return KeysOut(items=[KeyOut.of(key) for key in services_of(request).key_store.active()])


@router.delete("/v1/keys/{name}", response_model=RevokedKeyOut)
def revoke_key(
    request: Request, name: Annotated[str, Path(description="the key's name")]
) -> RevokedKeyOut:
    """Revoke a key: refused at once by this worker, by every worker within the key cache's
    time (``OMNIROUTE_KEY_CACHE_SECONDS``). Its name is free for a new key afterwards."""
    return RevokedKeyOut.revoked(access.revoke_key(services_of(request), name))


@router.get("/v1/audit", response_model=AuditOut)
def get_audit(
    request: Request,
    since: Annotated[
        datetime | None,
        Query(description="entries at or after this ISO 8601 time (UTC unless it says)"),
    ] = None,
    key: Annotated[str | None, Query(description="only this key's (or 'cli:<user>')")] = None,
    action: Annotated[str | None, Query(description="only this action, e.g. put_rules")] = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ENTRY_ID, description="continue after this id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = DEFAULT_AUDIT_PAGE,
) -> AuditOut:
    """The audit trail of writes, oldest first, a page at a time (``next``)."""
    entries = services_of(request).audit.entries(
        since=None if since is None else as_utc(since),
        key=key,
        action=action,
        after_id=after,
        limit=limit,
    )
    return AuditOut.page(entries, limit)
