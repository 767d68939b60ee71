"""``omniroute keys create|list|revoke``: on the configured database, so a key made here works
at once on every worker (and a revoked one is refused within the key cache's time).

The command line needs no key: whoever can run it has the database. Its writes are recorded
in the audit trail as done by ``cli:<user>``. Bad input (an unknown scope, an empty name, a
key that is not there) exits 2 with one line on stderr.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer

from access.errors import KeyExists, KeyNotFound
from access.keys import KeyRequest
from access.scopes import SCOPE_NAMES
from api.app_keys import KeyOut, new_key_out
from api.cli_errors import user_errors
from flows.access import cli_actor, create_key, record, revoke_key
from flows.bootstrap import Services, bootstrap
from flows.settings import Settings

keys_app = typer.Typer(
    name="keys",
    help="API keys: create, list, revoke.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextmanager
def cli_services() -> Iterator[Services]:
    """The configured database (and Redis), without seeding stock or building a cache."""
    with user_errors():
        services = bootstrap(Settings.from_env(), build_cache=False, seed_inventory=False)
    try:
        with user_errors():
            yield services
    finally:
        services.close()


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="the key's name: unique among active keys")],
    scopes: Annotated[str, typer.Option(help=f"comma-separated, one or more of: {SCOPE_NAMES}")],
    locations: Annotated[
        str | None,
        typer.Option(help="comma-separated location ids its store work covers (default: all)"),
    ] = None,
) -> None:
    """Make an API key and print it as the last line on stdout: it is shown this once."""
    with user_errors():
        request = KeyRequest.of(name, scopes, locations)  # checked before connecting
    with cli_services() as services:
        target = f"keys/{request.name}"
        try:
            made = create_key(services, request)
        except KeyExists:
            record(services, cli_actor(), "create_key", target, request.name, 409)
            raise
        record(services, cli_actor(), "create_key", target, request.name, 201)
    out = new_key_out(made)
    where = "every location" if out.locations is None else ", ".join(out.locations)
    typer.echo(
        f"API key {out.name!r} created (scopes: {', '.join(out.scopes)}; locations: {where}). "
        "Keep it now: it is shown this once and cannot be shown again.",
        err=True,
    )
    typer.echo(made.secret)


@keys_app.command("list")
def list_(
    json_lines: Annotated[
        bool, typer.Option("--json", help="one JSON object per key instead of a table")
    ] = False,
) -> None:
    """The active keys (never a secret): name, scopes, locations, hint, made, last used."""
    with cli_services() as services:
        keys = [KeyOut.of(key) for key in services.key_store.active()]
    if json_lines:
        for key in keys:
            typer.echo(key.model_dump_json())
        return
    if not keys:
        typer.echo("no active API keys", err=True)
        return
    header = ("NAME", "SCOPES", "LOCATIONS", "HINT", "CREATED", "LAST USED")
    rows = [
        (
            key.name,
            ",".join(key.scopes),
            "all" if key.locations is None else ",".join(key.locations),
            key.hint + "…",
            moment(key.created_at),
            "never" if key.last_used_at is None else moment(key.last_used_at),
        )
        for key in keys
    ]
    for line in table(header, rows):
        typer.echo(line)


@keys_app.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="the name of the key to revoke")]) -> None:
    """Revoke a key: every worker refuses it within the key cache's time."""
    with cli_services() as services:
        try:
            revoked = revoke_key(services, name)
        except KeyNotFound:
            record(services, cli_actor(), "revoke_key", f"keys/{name}", name, 404)
            raise
        record(services, cli_actor(), "revoke_key", f"keys/{name}", name, 200)
    typer.echo(f"revoked API key {revoked.name!r} ({revoked.hint}…)")


def moment(value: datetime) -> str:
    """A time as a table shows it: UTC, to the second."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> Iterator[str]:
    """Left-aligned columns two spaces apart, the header first."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        yield "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
