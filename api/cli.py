"""The ``omniroute`` command line: serve, preview, rules, inventory, config, db.

Bad input exits with status 2 and one line on stderr; no traceback reaches the user.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from api.cli_audit import audit_command
from api.cli_config import config_app
from api.cli_db import db_app
from api.cli_errors import fail, now_option, user_errors
from api.cli_inventory import inventory_app
from api.cli_keys import keys_app
from api.cli_orders import orders_app
from api.cli_reconcile import reconcile_command
from api.cli_replay import replay_command
from api.cli_rules import rules_app
from api.cli_wave import wave_command
from api.schemas import MAX_ROUTES_LIMIT
from engine.preview import preview_many
from flows.documents import network_from_document, read_document, read_orders_jsonl
from inventory.memory import MemoryInventory
from inventory.records import read_records_file
from rules.loader import NetworkRefs, load_rules

if TYPE_CHECKING:
    from flows.bootstrap import Services

app = typer.Typer(
    name="omniroute",
    help="Distributed order management: exact order routing and route previews.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(rules_app, name="rules")
app.add_typer(inventory_app, name="inventory")
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(orders_app, name="orders")
app.add_typer(keys_app, name="keys")
app.command("reconcile")(reconcile_command)
app.command("wave")(wave_command)
app.command("replay")(replay_command)
app.command("audit")(audit_command)


@app.command()
def preview(
    network: Annotated[Path, typer.Option(help="network file (JSON or YAML)")],
    inventory: Annotated[Path, typer.Option(help="inventory file (CSV or JSON)")],
    rules: Annotated[Path, typer.Option(help="rules file (YAML or JSON)")],
    orders: Annotated[Path, typer.Option(help="orders, one JSON object per line")],
    max_routes: Annotated[int, typer.Option(min=1, max=MAX_ROUTES_LIMIT)] = 3,
    explain: Annotated[str, typer.Option(help="relevant or full")] = "relevant",
    now: Annotated[str | None, typer.Option(help="request time, ISO 8601 (default: now)")] = None,
) -> None:
    """Print one route preview answer per order (JSON Lines)."""
    with user_errors():
        net = network_from_document(read_document(network))
        loaded = load_rules(rules, known=NetworkRefs.from_network(net))
        stock = MemoryInventory()
        stock.upsert(read_records_file(inventory))
        order_list = read_orders_jsonl(orders)
        answers = preview_many(
            order_list,
            network=net,
            rules=loaded.rules,
            rules_version=loaded.version,
            stock=stock,
            now=now_option(now),
            max_routes=max_routes,
            explain=_explain(explain),
        )
    out = sys.stdout
    for answer in answers:
        out.write(answer.model_dump_json())
        out.write("\n")


def _explain(value: str) -> Literal["relevant", "full"]:
    if value not in ("relevant", "full"):
        fail(f"--explain: expected 'relevant' or 'full', got {value!r}")
    return "full" if value == "full" else "relevant"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
    sample_data: Annotated[
        bool, typer.Option("--sample-data", help="seed generated demo stock into an empty record")
    ] = False,
) -> None:
    """Start the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from api.app import create_app
    from flows.bootstrap import bootstrap
    from flows.settings import Settings

    with user_errors():
        settings = Settings.from_env()
        if sample_data:
            settings = dataclasses.replace(settings, sample_data=True)
        if workers > 1 and settings.redis_url is None:
            fail(
                "--workers > 1 needs shared inventory: set OMNIROUTE_REDIS_URL "
                "(in-process inventory is private to each worker)"
            )
        # Seed the database (and stock) here, once, so bad settings fail before serving and
        # several workers start without racing to seed.
        services = bootstrap(settings)
        _say_how_to_get_in(services)
    typer.echo(
        f"omniroute: serving on http://{host}:{port} (docs at /docs, console at /console)",
        err=True,
    )
    if workers == 1:
        uvicorn.run(
            create_app(services), host=host, port=port, log_level="warning", access_log=False
        )
        return
    services.close()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def _say_how_to_get_in(services: Services) -> None:
    """The first start of the embedded default makes an admin key; every start says where
    it is, or how to make one."""
    from flows.access import first_start_key

    settings = services.settings
    if not settings.auth:
        return  # each worker warns as it starts (api.app's lifespan)
    made = first_start_key(services)
    path = settings.admin_key_file.resolve()
    if made is not None:
        typer.echo(
            f"omniroute: first start: an API key with every scope is in {path} "
            "(readable only by you; send it as 'Authorization: Bearer <key>')",
            err=True,
        )
    elif settings.embedded and path.is_file():
        typer.echo(f"omniroute: the first start's API key is in {path}", err=True)
    elif not services.key_store.active():
        typer.echo(
            "omniroute: no API key yet: every call but /healthz answers 401 until you run "
            "'omniroute keys create --name NAME --scopes SCOPE[,SCOPE...]'",
            err=True,
        )


def main() -> None:
    """Entry point. Usage errors (a bad flag value, a missing option) get one line too,
    instead of click's framed help text."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        raise SystemExit(1) from None
    except typer.TyperException as exc:  # typer's own click: usage errors and bad values
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        typer.echo(f"error: {' '.join(str(message).split())}", err=True)
        raise SystemExit(getattr(exc, "exit_code", 2)) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
