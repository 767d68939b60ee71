"""``omniroute rules``: validate rules files and print their JSON Schema.

Ops run ``omniroute rules validate`` in CI on the repository that holds their rules files:
exit 0 with the version that routing decisions will record, or exit 2 with one
``FILE: PATH: MESSAGE`` line per problem on stderr (never a traceback).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from flows.documents import network_from_document, read_document
from flows.errors import InvalidDocument
from rules.errors import DocumentError, InvalidRules, Issue
from rules.loader import NetworkRefs, load_rules, rules_json_schema

rules_app = typer.Typer(
    name="rules",
    help="Check rules files and print their JSON Schema.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(issues: tuple[Issue, ...]) -> NoReturn:
    for issue in issues:
        typer.echo(str(issue), err=True)
    raise typer.Exit(2)


def _network_refs(path: Path) -> NetworkRefs:
    """The ids of a network file, or exit 2 naming what is wrong with the file."""
    try:
        network = network_from_document(read_document(path))
    except DocumentError as exc:
        _fail((exc.issue,))
    except InvalidDocument as exc:
        _fail(tuple(Issue(str(path), i.field, i.message) for i in exc.issues))
    return NetworkRefs.from_network(network)


@rules_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="Rules file, YAML or JSON.", show_default=False)],
    network: Annotated[
        Path | None,
        typer.Option(
            "--network",
            "-n",
            help="Network file (JSON or YAML): also check that every location group and "
            "location the rules name exists in it.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Validate FILE; print its version (sha256 of the canonical rules) or every problem."""
    known = None if network is None else _network_refs(network)
    try:
        loaded = load_rules(file, known=known)
    except InvalidRules as exc:
        _fail(exc.issues)
    typer.echo(f"ok: {file} version {loaded.version}")


@rules_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of rules files (for editors, e.g. yaml-language-server)."""
    typer.echo(json.dumps(rules_json_schema(), indent=2))
