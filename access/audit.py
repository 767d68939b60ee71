"""The audit trail's entries: who (key name), when, what, on which record, and the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Whoever acts without a key: the CLI (``cli:<user>``), or anyone when auth is off.
ANONYMOUS = "anonymous"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    key: str  # the key's name, "cli:<user>", or ANONYMOUS
    action: str  # the operation's name, e.g. "put_rules", "create_key"
    target: str  # what was acted on: "PUT /v1/rules", "keys/alice", ...
    record: str | None  # the record's id, when the request names one
    status: int  # the HTTP status answered (the CLI: 200 done, 4xx refused)
    outcome: str  # "ok", "refused" (4xx) or "failed" (5xx)
    id: int | None = None


def outcome_of(status: int) -> str:
    return "ok" if status < 400 else "refused" if status < 500 else "failed"
