"""The summary package's error tree: every error it raises on purpose is a SummaryError.

Each carries ``field`` (the dotted path of what was wrong, as a caller sent it) and
``message``, so the HTTP and CLI edges name the field without parsing text.
"""

from __future__ import annotations

from collections.abc import Sequence


class SummaryError(Exception):
    """Base of the summary package's errors."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class InvalidOrder(SummaryError, ValueError):
    """An order document breaks the intake contract (HTTP 422); ``issues`` lists every
    (field, message) found, the first one also as ``field``/``message``."""

    def __init__(self, issues: Sequence[tuple[str, str]]) -> None:
        first = issues[0] if issues else ("", "invalid order")
        super().__init__(*first)
        self.issues = tuple(issues)
        self.args = ("; ".join(f"{f}: {m}" if f else m for f, m in self.issues),)


class InvalidRequest(SummaryError, ValueError):
    """A request on an existing summary names quantities or lines it cannot have (422)."""


class IllegalTransition(SummaryError):
    """A status change the state machine does not allow (HTTP 409); nothing changes."""


class PaymentRefused(SummaryError):
    """A capture the authorization cannot cover: expired, declined, beyond what is authorized."""
