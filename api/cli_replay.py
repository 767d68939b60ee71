"""``omniroute replay``: the same wave routed under two rule sets, compared for ops.

Files in, as ``omniroute wave``: one network, one inventory, one orders file, two rules files.
Each rule set gets its own wave (``build_wave`` under those rules, same orders, same stock)
and the same strategy; the comparison (:mod:`engine.wave.replay`) goes to
``REPORT_DIR/replay.json`` and, drawn, to ``REPORT_DIR/replay.html`` (one file, opens offline);
a short table of the KPIs is printed. A bad orders line is reported on stderr with its number
and skipped: both rule sets see the same accepted orders.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from api.cli_errors import fail, now_option, user_errors
from api.cli_views import progress as progress_bar
from api.cli_views import table
from api.cli_wave import Strategy, check_time_limit, read_reporting, run_strategy
from api.replay_report import LABELS, render
from engine.network import Network
from engine.order import Order
from engine.wave.exact import WaveParams
from engine.wave.replay import ReplaySide, compare, replay_side
from flows.wave_files import open_orders, read_setup
from inventory.memory import MemoryInventory
from rules.loader import LoadedRules, NetworkRefs, load_rules

SUMMARY = (
    "total_cost",
    "routing_cost",
    "units_filled",
    "fill_rate",
    "orders_routed",
    "fos_per_order",
    "average_distance_km",
)


def replay_command(
    rules_a: Annotated[Path, typer.Option("--rules-a", help="rules file A (YAML or JSON)")],
    rules_b: Annotated[Path, typer.Option("--rules-b", help="rules file B, compared with A")],
    orders: Annotated[Path, typer.Option(help="orders, one preview order (JSON) per line")],
    network: Annotated[Path, typer.Option(help="network file (JSON or YAML)")],
    inventory: Annotated[Path, typer.Option(help="inventory file (CSV or JSON)")],
    out: Annotated[Path, typer.Option(help="report directory (replay.json, replay.html)")],
    strategy: Annotated[
        Strategy, typer.Option(help="how each rule set's wave is routed")
    ] = Strategy.sequential,
    time_limit: Annotated[
        float, typer.Option(help="seconds optimize may take per rule set (baselines ignore it)")
    ] = 30.0,
    seed: Annotated[int, typer.Option(help="optimize's random seed")] = 0,
    now: Annotated[str | None, typer.Option(help="wave time, ISO 8601 (default: now)")] = None,
) -> None:
    """Route the same wave under rules A and rules B and report what changes.

    Writes OUT/replay.json (the figures) and OUT/replay.html (charts and
    tables, self-contained) and prints the KPIs of A and B side by side.
    Differences are B − A. The orders whose route changed are listed with
    both routes and both explanations (policy, excluding fences, cost).

    Exit status: 0 when every orders line was read, 1 when some lines were
    rejected (the others are still replayed), 2 when a file cannot be read
    or written or a flag is wrong.
    """
    check_time_limit(time_limit)
    moment = now_option(now)
    _report_dir(out)
    params = WaveParams(time_limit=time_limit, seed=seed)
    names = _names(rules_a, rules_b)
    with user_errors():
        setup = read_setup(network, inventory, rules_a)
        other = load_rules(rules_b, known=NetworkRefs.from_network(setup.network))
        with open_orders(orders) as stream, progress_bar() as progress:
            read = read_reporting(progress, stream, orders.name, setup.network)
            sides = []
            for name, loaded in zip(names, (setup.rules, other), strict=True):
                progress.add_task(f"routing {len(read.orders)} orders under {name}", total=None)
                sides.append(
                    _side(
                        name,
                        loaded,
                        read.orders,
                        setup.network,
                        setup.stock,
                        strategy,
                        params,
                        moment,
                    )
                )
    document = {**compare(sides[0], sides[1], setup.network), "lines_rejected": len(read.rejected)}
    _write(out, document)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    console.print(_summary(document))
    console.print(f"report: {out / 'replay.html'} (figures: {out / 'replay.json'})", markup=False)
    if read.rejected:
        raise typer.Exit(1)


def _side(
    name: str,
    loaded: LoadedRules,
    orders: list[Order],
    network: Network,
    stock: MemoryInventory,
    strategy: Strategy,
    params: WaveParams,
    moment: datetime,
) -> ReplaySide:
    """One rule set's run: its own wave over the shared orders and stock, planned, answered."""
    return replay_side(
        name,
        loaded.rules,
        loaded.version,
        orders,
        network=network,
        stock=stock,
        now=moment,
        plan=lambda problem: run_strategy(problem, strategy, params),
    )


def _names(rules_a: Path, rules_b: Path) -> tuple[str, str]:
    """The rules files' names, or their paths when the names are the same."""
    if rules_a.name != rules_b.name:
        return rules_a.name, rules_b.name
    return str(rules_a), str(rules_b)


def _report_dir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(f"--out: {out}: cannot create: {error.strerror or error}")


def _write(out: Path, document: dict[str, Any]) -> None:
    try:
        (out / "replay.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        (out / "replay.html").write_text(render(document), encoding="utf-8")
    except OSError as error:
        fail(f"{error.filename or out}: cannot write: {error.strerror or error}")


def _summary(document: dict[str, Any]) -> Table:
    rules = document["rules"]
    view = table(
        f"Rules replay ({document['strategy']}, {document['orders']} orders, "
        f"{document['changed_orders_count']} routes changed)"
    )
    for name, header in (
        ("metric", "metric"),
        ("a", rules["a"]["name"]),
        ("b", rules["b"]["name"]),
    ):
        view.add_column(header, justify="left" if name == "metric" else "right")
    view.add_column("difference", justify="right")
    kpis = {row["metric"]: row for row in document["kpis"]}
    for metric in SUMMARY:
        row = kpis[metric]
        cells = [_figure(metric, row[side]) for side in ("a", "b")]
        change = _figure(metric, row["difference"])
        if metric == "fill_rate":  # a difference of two rates: percentage points
            change = f"{100 * row['difference']:.2f} pp"
        view.add_row(LABELS[metric], *cells, change if row["difference"] <= 0 else "+" + change)
    return view


def _figure(metric: str, value: float) -> str:
    if metric == "fill_rate":
        return f"{value:.2%}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.3f}" if metric == "fos_per_order" else f"{value:,.2f}"
