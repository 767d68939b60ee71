"""Process Exceptions: business failures that need a person before automation goes on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from summary.errors import IllegalTransition

Category = Literal["routing", "fulfillment", "payment", "invoicing", "returns"]
Level = Literal["high", "low"]
PeStatus = Literal["new", "in_progress", "resolved", "voided"]
ACTIVE_STATUSES: frozenset[str] = frozenset({"new", "in_progress"})
MESSAGE_LIMIT = 255
DESCRIPTION_LIMIT = 2000

_NEXT: dict[str, frozenset[str]] = {
    "new": frozenset({"in_progress", "resolved", "voided"}),
    "in_progress": frozenset({"resolved", "voided"}),
    "resolved": frozenset(),
    "voided": frozenset(),
}


@dataclass
class ProcessException:
    """``attached_to`` names the record it is about: ``("fulfillment_order", "FO-…")``."""

    id: str
    order_summary_id: str
    category: Category
    severity: Level
    priority: Level
    message: str
    description: str
    attached_kind: str
    attached_id: str
    created_at: datetime
    updated_at: datetime
    status: PeStatus = "new"
    note: str | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def move_to(self, status: PeStatus, now: datetime, note: str | None = None) -> None:
        if status not in _NEXT[self.status]:
            raise IllegalTransition(
                "status", f"a process exception cannot go from {self.status} to {status}"
            )
        self.status = status
        self.updated_at = now
        if note is not None:
            self.note = note[:DESCRIPTION_LIMIT]


def new_exception(
    *,
    id: str,
    order_summary_id: str,
    category: Category,
    message: str,
    attached: tuple[str, str],
    now: datetime,
    description: str = "",
    severity: Level = "high",
    priority: Level = "high",
) -> ProcessException:
    """A new exception; the message is cut to 255 characters (the full text stays in the
    description)."""
    if len(message) > MESSAGE_LIMIT:
        description = f"{message}\n{description}".strip()
        message = message[: MESSAGE_LIMIT - 1] + "…"
    return ProcessException(
        id=id,
        order_summary_id=order_summary_id,
        category=category,
        severity=severity,
        priority=priority,
        message=message,
        description=description[:DESCRIPTION_LIMIT],
        attached_kind=attached[0],
        attached_id=attached[1],
        created_at=now,
        updated_at=now,
    )
