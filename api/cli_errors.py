"""How every ``omniroute`` command reports bad input: one line on stderr and exit status 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import NoReturn

import typer

from access.errors import AccessError
from engine.errors import PreviewInputError
from flows.errors import FlowError
from inventory.errors import InventoryError
from rules.errors import RulesError

USER_ERRORS = (FlowError, RulesError, InventoryError, PreviewInputError, AccessError)


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(2)


def now_option(value: str | None) -> datetime:
    """A ``--now`` option: an ISO 8601 date-time (UTC unless it says), or the clock's now."""
    return datetime.now(tz=UTC) if value is None else iso_option("--now", value)


def iso_option(flag: str, value: str) -> datetime:
    """An ISO 8601 date-time option (UTC unless it says); a bad one fails naming ``flag``."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{flag}: expected an ISO 8601 date-time, got {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn every bad-input error into one line on stderr and exit status 2."""
    try:
        yield
    except USER_ERRORS as exc:
        fail(str(exc))
