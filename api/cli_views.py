"""Rich views shared by the order commands: money as people read it, plain tables, and the
service records of a summary (change orders, return orders)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich import box
from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
)
from rich.table import Table
from rich.text import Text

from flows.shopify import CURRENCY_EXPONENTS


def progress() -> Progress:
    """A progress bar on stderr (stdout carries the command's answer), drawn only on a
    terminal; lines printed through its console reach stderr either way."""
    console = Console(stderr=True)
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        transient=True,
        console=console,
        disable=not console.is_terminal,
    )


@contextmanager
def ticking(bar: Progress, task: TaskID, seconds: float) -> Iterator[None]:
    """``task`` advancing with the clock for ``seconds`` while the block runs (a strategy
    that plans until its time limit reports nothing in between), full when it ends."""
    start, done = time.monotonic(), threading.Event()

    def tick() -> None:
        while not done.wait(0.25):
            bar.update(task, completed=min(time.monotonic() - start, seconds))

    ticker = threading.Thread(target=tick, name="progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        bar.update(task, completed=seconds)


def table(title: str) -> Table:
    # SIMPLE: no vertical rules, so a row reads (and splits) as plain words.
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, title_style="bold")


def money(minor: int, currency: str) -> str:
    """Minor units as a person reads them: 9125 USD -> "91.25 USD", 500 JPY -> "500 JPY"."""
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None:  # not guessed: KWD has three decimals, JPY none
        return f"{minor} {currency} (minor units)"
    if exponent == 0:
        return f"{minor} {currency}"
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole}.{fraction:0{exponent}d} {currency}"


def change_orders_view(changes: list[dict[str, Any]], currency: str) -> RenderableType:
    if not changes:
        return Text("Change orders: none", style="bold")
    view = table("Change orders")
    for name in (
        "id",
        "kind",
        "reason",
        "lines",
        "total",
        "refund",
        "refund status",
        "credit memo",
    ):
        view.add_column(name)
    for change in changes:
        lines = ", ".join(f"{x['line_id']}: {x['sku']} x {x['quantity']}" for x in change["lines"])
        view.add_row(
            change["id"],
            change["kind"],
            change["reason"],
            lines,
            money(change["total"], currency),
            money(change["refund"], currency),
            change["refund_status"],
            change.get("credit_memo_id") or "-",
        )
    return view


def return_orders_view(returns: list[dict[str, Any]]) -> RenderableType:
    if not returns:
        return Text("Return orders: none", style="bold")
    view = table("Return orders")
    for name in ("id", "status", "location", "lines (expected/returned/rejected/canceled)"):
        view.add_column(name)
    for ro in returns:
        lines = ", ".join(
            f"{x['line_id']}: {x['quantity_expected']}/{x['quantity_returned']}/"
            f"{x['quantity_rejected']}/{x['quantity_canceled']} {x['reason']}"
            for x in ro["lines"]
        )
        view.add_row(ro["id"], ro["status"], ro["location_id"] or "-", lines)
    return view
