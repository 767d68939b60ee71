"""``omniroute keys create|list|revoke`` and ``omniroute audit``: on the configured database,
so a key made here works at once on every worker."""

from __future__ import annotations

import typer

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
