"""``omniroute inventory``: load stock, rebuild the cache, check the cache against the record.

They use the configured database (the durable record) and, when ``OMNIROUTE_REDIS_URL`` is
set, the shared Redis cache, so a running service sees the result at once. With in-process
inventory each ``serve`` process holds its own cache; these commands then start a new
generation of the record, which a running service notices within a second and rebuilds from.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from api.cli_errors import user_errors
from api.cli_views import progress as progress_bar
from api.schemas import LoadOut
from flows import stock
from flows.access import cli_actor, record
from flows.bootstrap import Services, bootstrap
from flows.settings import Settings
from inventory.deltas import sets_of
from inventory.records import read_records_file

inventory_app = typer.Typer(
    name="inventory",
    help="Load stock, rebuild the inventory cache, check it against the record.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextmanager
def _services(*, build_cache: bool) -> Iterator[Services]:
    with user_errors():
        services = bootstrap(Settings.from_env(), build_cache=build_cache, seed_inventory=False)
        try:
            yield services
        finally:
            services.close()


@inventory_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="inventory CSV (with header) or JSON list")],
    replace: Annotated[
        bool, typer.Option("--replace", help="full sync: cells the file does not name get none")
    ] = False,
) -> None:
    """Load stock: a delta by default (only the rows named change), a full sync with
    --replace. A bad row anywhere changes nothing. Prints what was done as JSON."""
    with user_errors():
        records = read_records_file(file)
    with _services(build_cache=True) as services, progress_bar() as progress:
        if replace:
            progress.add_task(f"full sync of {len(records)} rows", total=None)
            result = stock.sync_records(services, records)
        else:
            task = progress.add_task(f"loading {file.name}", total=len(records))
            result = stock.write_deltas(
                services, sets_of(records), lambda done: progress.update(task, completed=done)
            )
            if services.settings.redis_url is None:
                services.inventory.rebuild(force=True)  # new generation: running servers reload
        action = "sync_inventory" if replace else "load_inventory"
        record(services, cli_actor(), action, "inventory", str(file), 200)
    typer.echo(LoadOut.of("full_sync" if replace else "delta", result).model_dump_json())


@inventory_app.command("rebuild-cache")
def rebuild_cache() -> None:
    """Rebuild the inventory cache from the record now (safe while the service runs)."""
    with _services(build_cache=False) as services:
        started = time.perf_counter()
        snapshot = services.inventory.rebuild(force=True)
        assert snapshot is not None
        seconds = time.perf_counter() - started
    typer.echo(
        f"rebuilt build {snapshot.marker}: {len(snapshot.stock)} cells, "
        f"{len(snapshot.reservations)} reservations in {seconds:.2f} s"
    )


@inventory_app.command("check")
def check(
    fix: Annotated[bool, typer.Option("--fix", help="rebuild the cache if they differ")] = False,
) -> None:
    """Compare the cache with the record; print each difference. Exit 1 if they differ
    (unless --fix rebuilt the cache)."""
    with _services(build_cache=False) as services:
        if services.settings.redis_url is None:
            typer.echo("in-process inventory: each serve process checks its own cache")
            return
        inventory = services.inventory
        built = inventory.cache.built_from()
        if built != inventory.ledger.marker():
            typer.echo(f"cache not built from the record's current version (holds {built})")
            differences: list[str] = ["not built"]
        else:
            differences = [str(d) for d in inventory.check()]
            for line in differences:
                typer.echo(line)
        if not differences:
            typer.echo("cache and record agree")
            return
        if not fix:
            raise typer.Exit(1)
        snapshot = inventory.rebuild(force=True)
        assert snapshot is not None
        typer.echo(f"fixed: cache rebuilt from the record (build {snapshot.marker})")
