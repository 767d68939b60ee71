"""``omniroute wave``: route a wave of orders together over shared stock and capacity.

Everything from files, as ``omniroute preview``: no database, no Redis. The plan is JSON Lines,
one preview answer per order in input order (its route the one the wave chose); the KPIs are
printed as a table and written as JSON next to the plan (``PLAN.kpis.json``). A bad orders
line is reported on stderr with its number and skipped; the rest of the wave is still planned
and written.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer
from rich.console import Console, Group
from rich.progress import Progress
from rich.table import Table

from api.cli_errors import fail, now_option, user_errors
from api.cli_views import progress as progress_bar
from api.cli_views import table, ticking
from engine.answer import PreviewAnswer
from engine.network import Network
from engine.wave.answer import answers, kpi_document
from engine.wave.exact import WaveParams
from engine.wave.model import NO_LIMIT, WavePlan, WaveProblem, build_wave
from engine.wave.strategies import plan_wave
from flows.json_lines import count_lines
from flows.settings import ExecutorKind
from flows.wave_executor import executor_for
from flows.wave_files import WaveOrders, open_orders, read_orders, read_setup

MAX_TIME_LIMIT = 86_400.0  # a day
MAX_WORKERS = 64
RAY_ADDRESS_VARIABLE = "OMNIROUTE_RAY_ADDRESS"
TOP_LOCATIONS = 10


class Strategy(StrEnum):
    optimize = "optimize"
    sequential = "sequential"
    fewest_splits = "fewest_splits"
    nearest = "nearest"


def wave_command(
    network: Annotated[Path, typer.Option(help="network file (JSON or YAML)")],
    inventory: Annotated[Path, typer.Option(help="inventory file (CSV or JSON)")],
    rules: Annotated[Path, typer.Option(help="rules file (YAML or JSON)")],
    orders: Annotated[Path, typer.Option(help="orders, one preview order (JSON) per line")],
    out: Annotated[
        Path, typer.Option(help="plan to write (JSON Lines); the KPIs go to <name>.kpis.json")
    ],
    strategy: Annotated[
        Strategy, typer.Option(help="optimize (joint), or a peer's order-by-order baseline")
    ] = Strategy.optimize,
    time_limit: Annotated[
        float, typer.Option(help="seconds optimize may take (baselines ignore it)")
    ] = 30.0,
    seed: Annotated[int, typer.Option(help="optimize's random seed")] = 0,
    max_steps: Annotated[
        int | None,
        typer.Option(
            help="a budget of work for a plan that repeats run after run: optimize's search"
            " stops after this many neighbourhoods (with --max-nodes)",
            show_default=False,
        ),
    ] = None,
    max_nodes: Annotated[
        int | None,
        typer.Option(
            help="branch-and-bound nodes per program optimize solves (with --max-steps)",
            show_default=False,
        ),
    ] = None,
    now: Annotated[str | None, typer.Option(help="wave time, ISO 8601 (default: now)")] = None,
    workers: Annotated[
        int,
        typer.Option(help="neighbourhoods optimize's search routes at once (1: in turn)"),
    ] = 1,
    executor: Annotated[
        ExecutorKind | None,
        typer.Option(
            help="where optimize's search routes them: inline (here, in turn), process (a pool"
            " of --workers processes) or ray (a Ray cluster; the 'ray' extra)."
            " Default: process when --workers is above 1, else inline",
            show_default=False,
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            help="the Ray cluster to join (host:port of its head, or auto). Default:"
            f" ${RAY_ADDRESS_VARIABLE}, else a local Ray instance of --workers CPUs",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Route a wave of orders together and write its plan and KPIs.

    OUT gets one answer per order, in input order, in the preview's
    shape; its first route is the one the wave chose. The KPIs are
    printed and written as JSON next to it (OUT's name, .kpis.json).

    Blank lines are skipped. A bad line is reported on stderr with its
    number and skipped; the others are still planned. An unknown SKU is
    simply not stocked (unfilled).

    Exit status: 0 when every line was read, 1 when some lines were
    rejected, 2 when a file cannot be read or written or a flag is wrong.
    """
    check_time_limit(time_limit)
    if max_steps is not None and max_steps < 0:
        fail(f"--max-steps: expected 0 or more, got {max_steps}")
    if max_nodes is not None and max_nodes < 1:
        fail(f"--max-nodes: expected 1 or more, got {max_nodes}")
    if not 1 <= workers <= MAX_WORKERS:
        fail(f"--workers: expected 1 to {MAX_WORKERS}, got {workers}")
    if ray_address is not None and executor is not ExecutorKind.ray:
        fail("--ray-address: only with --executor ray")
    if executor is ExecutorKind.ray:
        ray_address = ray_address or os.environ.get(RAY_ADDRESS_VARIABLE) or None
    moment = now_option(now)
    kpis_path = out.with_suffix(".kpis.json")
    if not out.parent.is_dir():
        fail(f"--out: {out.parent} is not a directory")
    with user_errors():
        setup = read_setup(network, inventory, rules)
        with open_orders(orders) as stream, progress_bar() as progress:
            read = read_reporting(progress, stream, orders.name, setup.network)
            timed = strategy is Strategy.optimize  # plans until its time limit
            what = f"planning {len(read.orders)} orders: {strategy}"
            planning = progress.add_task(
                f"{what} (up to {time_limit:g} s)" if timed else what,
                total=time_limit if timed else None,
            )
            problem = build_wave(
                read.orders,
                network=setup.network,
                rules=setup.rules.rules,
                stock=setup.stock,
                now=moment,
            )
            params = WaveParams(
                time_limit=time_limit,
                seed=seed,
                parallel=workers,
                max_steps=max_steps,
                max_nodes=max_nodes,
            )
            with ticking(progress, planning, time_limit) if timed else nullcontext():
                plan = run_strategy(problem, strategy, params, executor, ray_address)
            planned = answers(
                problem,
                plan,
                network=setup.network,
                rules=setup.rules.rules,
                rules_version=setup.rules.version,
            )
    document = {**kpi_document(problem, plan), "lines_rejected": len(read.rejected)}
    _write(out, planned, kpis_path, document)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    console.print(_summary(document, problem))
    if read.rejected:
        raise typer.Exit(1)


def check_time_limit(time_limit: float) -> None:
    if not 0 < time_limit <= MAX_TIME_LIMIT:
        fail(f"--time-limit: expected seconds in (0, {MAX_TIME_LIMIT:g}], got {time_limit}")


def read_reporting(progress: Progress, stream: BinaryIO, name: str, network: Network) -> WaveOrders:
    """The orders of ``stream`` with a bar while they are read; each rejected line is printed
    on stderr, one line each however long (off a terminal rich wraps at 80 columns)."""
    task = progress.add_task(f"reading {name}", total=count_lines(stream))
    read = read_orders(stream, network, lambda: progress.advance(task))
    for number, why in read.rejected:
        progress.console.print(
            f"line {number}: {why}", markup=False, highlight=False, soft_wrap=True
        )
    progress.update(task, visible=False)
    return read


def run_strategy(
    problem: WaveProblem,
    strategy: Strategy,
    params: WaveParams,
    kind: ExecutorKind | None = None,
    address: str | None = None,
) -> WavePlan:
    """optimize's search routes ``params.parallel`` neighbourhoods at once through an executor
    of ``kind`` (default: a pool of as many processes when above 1, else in turn here);
    ``address``: the Ray cluster to join. The baselines need none."""
    with executor_for(strategy.value, kind, params.parallel, address) as executor:
        return plan_wave(problem, strategy.value, params, executor)


def _write(
    out: Path, planned: list[PreviewAnswer], kpis_path: Path, document: dict[str, Any]
) -> None:
    try:
        with out.open("w", encoding="utf-8", newline="\n") as stream:
            for answer in planned:
                stream.write(answer.model_dump_json())
                stream.write("\n")
        kpis_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        fail(f"{error.filename or out}: cannot write: {error.strerror or error}")


def _summary(document: dict[str, Any], problem: WaveProblem) -> Group:
    figures = table(f"Wave KPIs ({document['strategy']})")
    figures.show_header = False
    figures.add_column()
    figures.add_column(justify="right")
    rows = [
        ("orders routed", f"{document['orders_routed']} of {document['orders']}"),
        ("lines rejected", str(document["lines_rejected"])),
        ("total cost", f"{document['total_cost']:,.2f}"),
        ("units ordered", str(document["units_ordered"])),
        ("units filled", str(document["units_filled"])),
        ("fill rate", f"{document['fill_rate']:.2%}"),
        ("FOs per order", f"{document['fos_per_order']:.3f}"),
        ("average distance", f"{document['average_distance_km']:,.1f} km"),
    ]
    if document["lower_bound"] is not None:
        rows.append(("lower bound", f"{document['lower_bound']:,.2f}"))
        rows.append(("gap", f"{document['gap']:.3%}"))
    for name, value in rows:
        figures.add_row(name, value)
    return Group(figures, _load(document["load"], problem))


def _load(load: dict[str, int], problem: WaveProblem) -> Table:
    view = table(f"Load per location (top {TOP_LOCATIONS})")
    for name in ("location", "units", "capacity"):
        view.add_column(name, justify="left" if name == "location" else "right")
    column = {loc: i for i, loc in enumerate(problem.location_ids)}
    busiest = sorted(load.items(), key=lambda item: (-item[1], item[0]))[:TOP_LOCATIONS]
    for loc, units in busiest:
        capacity = int(problem.capacity[column[loc]])
        view.add_row(loc, str(units), "-" if capacity == NO_LIMIT else str(capacity))
    return view
