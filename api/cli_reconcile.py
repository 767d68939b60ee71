"""``omniroute reconcile``: settle what a failure between the steps of the order life left."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from api.cli_errors import user_errors
from flows.access import cli_actor, record
from flows.bootstrap import bootstrap
from flows.order_reconcile import DRAFT_AGE_SECONDS, reconcile
from flows.settings import Settings


def reconcile_command(
    draft_age: Annotated[
        float,
        typer.Option(min=0.0, help="seconds after which a Draft FO counts as abandoned"),
    ] = DRAFT_AGE_SECONDS,
) -> None:
    """Activate or cancel abandoned Draft FOs, release stray reservations, consume shipped
    units, capture unpaid invoices, route units left unrouted; print what was repaired."""
    with user_errors():
        services = bootstrap(Settings.from_env())
        try:
            report = reconcile(services, draft_age=draft_age)
            record(services, cli_actor(), "reconcile", "orders", None, 200)
        finally:
            services.close()
    typer.echo(json.dumps(report.as_dict()))
