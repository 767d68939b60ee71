"""``omniroute config``: switch the network and rules (and stock) as one step; show the config.

Like the ``inventory`` commands they use the configured database and Redis (the settings of
``serve``), so a running service picks the new config up within ``OMNIROUTE_REFRESH_SECONDS``.
Bad input exits 2 with one line on stderr naming the part and field
(``rules.policies[0].sources.location_group: …``) and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from api.app_config import ConfigAppliedOut, ConfigOut
from api.cli_errors import fail, user_errors
from flows import config
from flows.access import cli_actor, record
from flows.bootstrap import Services, bootstrap
from flows.config import ConfigNotSwitched, ConfigParts, RulesText
from flows.documents import read_document
from flows.settings import Settings

config_app = typer.Typer(
    name="config",
    help="Switch the network and the rules (and the stock) together; show the active config.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextmanager
def _services() -> Iterator[Services]:
    with user_errors():
        # No cache build up front: a full sync builds the cache from the record it writes.
        services = bootstrap(Settings.from_env(), build_cache=False, seed_inventory=False)
        try:
            yield services
        finally:
            services.close()


@config_app.command("apply")
def apply(
    network: Annotated[Path, typer.Option(help="network file (JSON or YAML)")],
    rules: Annotated[Path, typer.Option(help="rules file (YAML or JSON)")],
    inventory: Annotated[
        Path | None,
        typer.Option(help="optional full sync: inventory CSV (with header) or JSON list"),
    ] = None,
) -> None:
    """Validate the network, the rules against it and the stock's locations, then sync the
    stock (if given) and switch network and rules in one transaction. Prints the new config
    version as JSON."""
    with user_errors():
        parts = ConfigParts(
            read_document(network),
            RulesText(_read("--rules", rules), "json" if _is_json(rules) else "yaml", str(rules)),
            None if inventory is None else _inventory(inventory),
        )
        # Checked before connecting: a bad file never waits for the database.
        config.validate_config(parts)
    with _services() as services:
        try:
            applied = config.apply_config(services, parts, actor=cli_actor())
        except ConfigNotSwitched as exc:
            # Not bad input: the database failed after validation. Exit 1, like inventory check.
            typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
            raise typer.Exit(1) from None
        version = applied.record.version
        record(services, cli_actor(), "apply_config", "config", version, 200)
    typer.echo(ConfigAppliedOut.of(applied).model_dump_json())


@config_app.command("show")
def show() -> None:
    """Print the active config (version, network, rules) and the history, latest first."""
    with _services() as services:
        out = ConfigOut.of(services.config(), config.history(services))
    typer.echo(out.model_dump_json(indent=2))


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def _read(option: str, path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{option} {path}: cannot read: {getattr(exc, 'strerror', None) or exc}")


def _inventory(path: Path) -> Sequence[object] | str:
    """A JSON list for ``*.json``, CSV text otherwise (parsed with the other parts)."""
    text = _read("--inventory", path)
    if not _is_json(path):
        return text
    try:
        items = json.loads(text)
    except ValueError as exc:
        fail(f"--inventory {path}: not valid JSON: {exc}")
    if not isinstance(items, list):
        fail(f"--inventory {path}: expected a JSON list of records, got {type(items).__name__}")
    return items
