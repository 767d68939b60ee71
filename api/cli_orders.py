"""``omniroute orders``: import a JSON Lines file of orders, show one Order Summary.

``import`` sends every line through the same intake use case as ``POST /v1/orders``
(:func:`flows.order_sources.take_order`), so a file and the API can never disagree about what
an order is. The order number is the idempotency key, which is what makes a partial import
safe to run again: lines already recorded answer "already there".

They use the configured database and, when ``OMNIROUTE_REDIS_URL`` is set, the shared Redis
inventory, so a running service sees the imported orders' reservations at once. With
in-process inventory each ``serve`` process holds its own cache: ``import`` ends by starting a
new generation of the record, which a running service notices and rebuilds from (until then
it does not know the new reservations, so import while it is stopped, or use Redis).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import DataError

from api.cli_errors import fail, user_errors
from api.cli_views import change_orders_view, money, return_orders_view
from api.cli_views import progress as progress_bar
from api.cli_views import table as new_table
from flows import order_queries as queries
from flows import service_flows, service_rma
from flows.access import cli_actor, record
from flows.bootstrap import Services, bootstrap
from flows.errors import FlowError, InvalidDocument
from flows.json_lines import count_lines, decode_line, line_body
from flows.order_sources import take_order
from flows.settings import Settings

orders_app = typer.Typer(
    name="orders",
    help="Import orders (JSON Lines) and show Order Summaries.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

ACTIVE_EXCEPTION_STATUSES = ("new", "in_progress")


@contextmanager
def _services(*, read_only: bool) -> Iterator[Services]:
    with user_errors():
        # ``show`` needs neither stock nor the inventory cache: skip seeding and building them.
        services = (
            bootstrap(Settings.from_env(), build_cache=False, seed_inventory=False)
            if read_only
            else bootstrap(Settings.from_env())
        )
        try:
            yield services
        finally:
            services.close()


# -- import -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    imported: int = 0
    already_there: int = 0
    routed: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = (
            f"imported {self.imported}, already there {self.already_there}, "
            f"rejected {len(self.rejected)}"
        )
        # One line per rejection, whatever a message holds, so the report reads (and greps)
        # one rejected line per output line.
        return [head, *(f"line {n}: {' '.join(why.split())}" for n, why in self.rejected)]


@orders_app.command("import")
def import_orders(
    file: Annotated[Path, typer.Argument(help="orders, one intake JSON document per line")],
) -> None:
    """Record and route every order of a JSON Lines file, exactly as POST /v1/orders does.

    Blank lines are skipped. A bad line is reported with its number, field and
    problem, and never stops the others.

    An order already recorded with the same body counts as already there,
    so running an import again is safe.

    Exit status: 0 when no line was rejected, 1 when some lines were rejected,
    2 when the file cannot be read.
    """
    with _open(file) as stream:
        total = count_lines(stream)
        report = ImportReport()
        with _services(read_only=False) as services, progress_bar() as progress:
            task = progress.add_task(f"importing {file.name}", total=total)
            for number, raw in enumerate(stream, start=1):
                _import_line(services, number, raw, report)
                progress.advance(task)
            if report.routed and services.settings.redis_url is None:
                services.inventory.rebuild(force=True)  # new generation: running servers reload
            # Refused lines are in the report; the entry says how many went in.
            done = f"{report.imported} imported, {len(report.rejected)} rejected"
            record(services, cli_actor(), "import_orders", str(file), done, 200)
    for line in report.lines():
        typer.echo(line)
    if report.rejected:
        raise typer.Exit(1)


@contextmanager
def _open(path: Path) -> Iterator[BinaryIO]:
    # Bytes, not text: a line that is not UTF-8 is that line's problem, not the whole file's.
    try:
        stream = path.open("rb")
    except OSError as error:
        fail(f"{path}: cannot read: {error.strerror or error}")
    with stream:
        yield stream


def _import_line(services: Services, number: int, raw: bytes, report: ImportReport) -> None:
    body = line_body(raw)
    if not body.strip():
        return
    try:
        document, text = decode_line(body, first=number == 1)
        intake = take_order(services, document, text)
    except InvalidDocument as error:
        report.rejected.append((number, "; ".join(str(issue) for issue in error.issues)))
        return
    except FlowError as error:  # e.g. OrderConflict: another body under that order number
        report.rejected.append((number, str(error)))
        return
    except DataError as error:
        # A value longer than its column (PostgreSQL refuses it; the intake model does not
        # bound every text field yet). The unit of work rolled back: only this line is lost.
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "refused"
        report.rejected.append((number, f"a value the database cannot store: {reason}"))
        return
    if intake.placed.created:
        report.imported += 1
        report.routed += intake.routed
    else:
        report.already_there += 1


# -- show ---------------------------------------------------------------------------------


@orders_app.command("show")
def show(
    number: Annotated[
        str, typer.Argument(help="order number, Order Summary id, or the source's id (Shopify)")
    ],
) -> None:
    """Show an Order Summary: items, quantities, totals, payment, FOs, process exceptions.

    Exit status 2 when no order has that number.
    """
    with _services(read_only=True) as services:  # NotFound: exit 2, one line
        summary = queries.order_summary(services, number)
        fos = [
            queries.fulfillment_order(services, fo["id"]) for fo in summary["fulfillment_orders"]
        ]
        exceptions = queries.process_exceptions(
            services,
            status=None,
            category=None,
            summary_key=summary["id"],
            cursor=None,
            limit=queries.MAX_PAGE,
        )["items"]
        changes = service_flows.change_orders(services, summary["id"])["change_orders"]
        returns = service_rma.return_orders(services, summary["id"])["return_orders"]
    active = [pe for pe in exceptions if pe["status"] in ACTIVE_EXCEPTION_STATUSES]
    # Off a terminal (a pipe, a file, a test) rich would wrap at 80 columns; wide enough
    # instead that every row stays on one line for grep.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    console.print(_summary_view(summary, fos, active, changes, returns))


def _summary_view(
    summary: dict[str, Any],
    fos: list[dict[str, Any]],
    exceptions: list[dict[str, Any]],
    changes: list[dict[str, Any]] | None = None,
    returns: list[dict[str, Any]] | None = None,
) -> RenderableType:
    currency = str(summary["currency"])
    parts: list[RenderableType] = [
        Text(f"Order {summary['order_number']}  ({summary['id']})", style="bold"),
        _header(summary),
        _items(summary["items"]),
        _amounts("Totals", _totals_rows(summary["totals"]), currency),
        _amounts("Payment", _payment_rows(summary["payment"]), currency),
        _fulfillment_orders(fos),
        change_orders_view(changes or [], currency),
        return_orders_view(returns or []),
        _exceptions(exceptions),
    ]
    return Group(*parts)


def _header(summary: dict[str, Any]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim")
    grid.add_column()
    grid.add_column(style="dim")
    grid.add_column()
    grid.add_row("lifecycle", summary["lifecycle"], "status", summary["status"])
    grid.add_row("currency", summary["currency"], "placed at", _moment(summary["placed_at"]))
    grid.add_row("channel", summary["channel"], "source", _source(summary))
    return grid


def _source(summary: dict[str, Any]) -> str:
    external = summary.get("external_id")
    return f"{summary['source']} (id {external})" if external else str(summary["source"])


def _moment(value: object) -> str:
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    return str(value)


def _items(items: list[dict[str, Any]]) -> Table:
    table = new_table("Items")
    for name in ("line", "sku", "group", "status"):
        table.add_column(name)
    quantities = {
        "ordered": "quantity_ordered",
        "canceled": "quantity_canceled",
        "allocated": "quantity_allocated",
        "fulfilled": "quantity_fulfilled",
        "returned": "quantity_returned",
        "to fulfill": "quantity_available_to_fulfill",
    }
    for name in quantities:
        table.add_column(name, justify="right")
    for item in items:
        table.add_row(
            item["line_id"],
            item["sku"],
            item["delivery_group"],
            item["status"],
            *(str(item[key]) for key in quantities.values()),
        )
    return table


def _totals_rows(totals: dict[str, Any]) -> list[tuple[str, int]]:
    # The discount is subtracted, so it is shown negative: the column then adds up.
    return [
        ("product", totals["product"]),
        ("discount", -totals["discount"]),
        ("delivery", totals["delivery"]),
        ("tax", totals["tax"]),
        ("grand total", totals["grand_total"]),
    ]


def _payment_rows(payment: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        ("authorized", payment["authorized"]),
        ("captured", payment["captured"]),
        ("refunded", payment["refunded"]),
        *[(name.replace("_", " "), payment[name]) for name in _CREDIT if payment.get(name)],
        ("balance due", payment["balance_due"]),
    ]


_CREDIT = ("credit", "credit_used", "transferred")  # exchanges only: shown when not zero


def _amounts(title: str, rows: list[tuple[str, int]], currency: str) -> Table:
    table = new_table(title)
    table.show_header = False
    table.add_column()
    table.add_column(justify="right")
    for name, minor in rows:
        table.add_row(name, money(minor, currency))
    return table


def _fulfillment_orders(fos: list[dict[str, Any]]) -> RenderableType:
    if not fos:
        return Text("Fulfillment orders: none", style="bold")
    table = new_table("Fulfillment orders")
    for name in ("id", "group", "location", "type", "status", "lines"):
        table.add_column(name)
    for fo in fos:
        table.add_row(
            fo["id"],
            fo["delivery_group"],
            fo["location_id"],
            fo["fulfillment_type"],
            fo["status"],
            ", ".join(_fo_line(line) for line in fo["lines"]),
        )
    return table


def _fo_line(line: dict[str, Any]) -> str:
    done = [
        f"{line[key]} {name}"
        for key, name in (("quantity_fulfilled", "fulfilled"), ("quantity_canceled", "canceled"))
        if line[key]
    ]
    extra = f" ({', '.join(done)})" if done else ""
    return f"{line['line_id']}: {line['sku']} x {line['quantity']}{extra}"


def _exceptions(exceptions: list[dict[str, Any]]) -> RenderableType:
    if not exceptions:
        return Text("Active process exceptions: none", style="bold")
    table = new_table("Active process exceptions")
    for name in ("id", "category", "severity", "priority", "status", "message"):
        table.add_column(name)
    for pe in exceptions:
        table.add_row(
            pe["id"],
            pe["category"],
            str(pe["severity"]),
            str(pe["priority"]),
            pe["status"],
            pe["message"],
        )
    return table
