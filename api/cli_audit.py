"""``omniroute audit``: the audit trail of writes (over HTTP and from the command line), as
``GET /v1/audit`` answers it: oldest first, a page at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from api.app_keys import DEFAULT_AUDIT_PAGE, AuditOut
from api.cli_errors import iso_option
from api.cli_keys import cli_services, moment, table
from flows.access_store import MAX_AUDIT_PAGE
from flows.order_records import as_utc


def audit_command(
    since: Annotated[
        str | None,
        typer.Option(help="entries at or after this ISO 8601 time (UTC unless it says)"),
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="only this key's entries (or 'cli:<user>')")
    ] = None,
    action: Annotated[str | None, typer.Option(help="only this action, e.g. put_rules")] = None,
    after: Annotated[int | None, typer.Option(min=0, help="continue after this entry id")] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_AUDIT_PAGE, help="at most this many entries")
    ] = DEFAULT_AUDIT_PAGE,
    json_lines: Annotated[
        bool, typer.Option("--json", help="one JSON object per entry instead of a table")
    ] = False,
) -> None:
    """Print the audit trail: who (key), when, what, on which record, and the outcome."""
    start = None if since is None else _since(since)
    with cli_services() as services:
        entries = services.audit.entries(
            since=start, key=key, action=action, after_id=after, limit=limit
        )
    page = AuditOut.page(entries, limit)
    if json_lines:
        for item in page.items:
            typer.echo(item.model_dump_json())
    elif page.items:
        header = ("ID", "AT", "KEY", "ACTION", "TARGET", "RECORD", "STATUS", "OUTCOME")
        rows = [
            (
                str(item.id),
                moment(item.at),
                item.key,
                item.action,
                item.target,
                item.record or "-",
                str(item.status),
                item.outcome,
            )
            for item in page.items
        ]
        for line in table(header, rows):
            typer.echo(line)
    else:
        typer.echo("no audit entries", err=True)
    if page.next is not None:
        typer.echo(f"more entries may follow: continue with --after {page.next}", err=True)


def _since(value: str) -> datetime:
    return as_utc(iso_option("--since", value))
