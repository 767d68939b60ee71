"""The replay report as one self-contained HTML page, from the replay document
(:func:`engine.wave.replay.compare`): charts as inline SVG, the KPI and per-location tables,
and the orders whose route changed (the first :data:`CHANGED_SHOWN`) with both routes and
why. Plain string formatting (jinja2 is no dependency); every text goes through
``html.escape``; no script, no stylesheet or image from elsewhere."""

from __future__ import annotations

from html import escape
from itertools import pairwise
from typing import Any

from api.replay_charts import grouped_bars, network_map, number

CHANGED_SHOWN = 200
LABELS = {
    "total_cost": "total cost",
    "routing_cost": "routing cost (without unfilled penalty)",
    "unfilled_penalty": "unfilled penalty",
    "units_ordered": "units ordered",
    "units_filled": "units filled",
    "fill_rate": "fill rate",
    "orders_routed": "orders routed",
    "fulfillment_orders": "Fulfillment Orders",
    "fos_per_order": "FOs per order",
    "average_distance_km": "average distance (km)",
}
CHARTED = (("total_cost", "routing_cost"), ("fos_per_order",), ("fill_rate",))
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left;
  vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
.charts svg { border: 1px solid #eee; background: #fff; }
.why { font-size: 0.8rem; color: #555; }
"""


def render(document: dict[str, Any]) -> str:
    """The whole page."""
    rules = document["rules"]
    title = f"Rules replay: {rules['a']['name']} vs {rules['b']['name']}"
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            report_body(document),
            "</body></html>\n",
        ]
    )


def report_body(document: dict[str, Any]) -> str:
    """The report without its page and title (the console shows it inside its own): facts,
    charts, tables, changed orders. Every text in it is escaped here."""
    rules = document["rules"]
    names = (f"A: {rules['a']['name']}", f"B: {rules['b']['name']}")
    return "".join(
        [
            _facts(document),
            "<h2>Charts</h2>",
            _charts(document, names),
            "<h2>KPIs (difference = B − A)</h2>",
            _kpi_table(document["kpis"]),
            "<h2>Load per location</h2>",
            _location_table(document["locations"]),
            _changed(document),
        ]
    )


def _facts(document: dict[str, Any]) -> str:
    rules = document["rules"]
    items = [
        f"A: {rules['a']['name']} (version {rules['a']['version']})",
        f"B: {rules['b']['name']} (version {rules['b']['version']})",
        f"strategy: {document['strategy']}",
        f"orders: {document['orders']}",
        f"orders whose route changed: {document['changed_orders_count']}",
    ]
    if document.get("lines_rejected"):
        items.append(
            f"orders lines rejected (replayed under neither rule set): {document['lines_rejected']}"
        )
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def _charts(document: dict[str, Any], names: tuple[str, str]) -> str:
    kpis = {row["metric"]: row for row in document["kpis"]}
    charts = []
    for metrics in CHARTED:
        labels = [LABELS[m].split(" (")[0] for m in metrics]
        a = [float(kpis[m]["a"]) for m in metrics]
        b = [float(kpis[m]["b"]) for m in metrics]
        charts.append(grouped_bars(" / ".join(labels), labels, a, b, names, width=300))
    distances = document["distributions"]["distance_km"]
    edges = distances["edges"]
    bins = [f"{number(lo)}–{number(hi)}" for lo, hi in pairwise(edges)]
    charts.append(
        grouped_bars(
            "Orders by mean distance (km)", bins, distances["a"], distances["b"], names, width=640
        )
    )
    fos = document["distributions"]["fulfillment_orders"]
    counts = [str(n) for n in fos["counts"]]
    charts.append(
        grouped_bars("Orders by FO count (0: unrouted)", counts, fos["a"], fos["b"], names)
    )
    charts.append(network_map(document["locations"], names))
    return '<div class="charts">' + "".join(charts) + "</div>"


def _kpi_table(rows: list[dict[str, Any]]) -> str:
    body = [
        (LABELS.get(row["metric"], row["metric"]), row["a"], row["b"], row["difference"])
        for row in rows
    ]
    return _table(("metric", "A", "B", "difference"), body)


def _location_table(rows: list[dict[str, Any]]) -> str:
    used = [row for row in rows if row["units_a"] or row["units_b"]]
    used.sort(key=lambda row: (-abs(row["difference"]), row["location_id"]))
    body = [(row["location_id"], row["units_a"], row["units_b"], row["difference"]) for row in used]
    idle = len(rows) - len(used)
    note = f"<p>{idle} locations take no units under either rule set.</p>" if idle else ""
    return _table(("location", "units A", "units B", "difference"), body) + note


def _changed(document: dict[str, Any]) -> str:
    changed = document["changed_orders"]
    shown = changed[:CHANGED_SHOWN]
    head = f"<h2>Orders whose route changed ({document['changed_orders_count']})</h2>"
    if not changed:
        return head + "<p>None: every order ships the same units from the same places.</p>"
    if len(changed) > len(shown):
        head += f"<p>The first {len(shown)}; replay.json lists them all.</p>"
    rows = "".join(
        "<tr>"
        f"<td>{escape(order['order_id'])}</td>"
        f"<td>{_route(order['a'])}<div class='why'>{_why(order['a'])}</div></td>"
        f"<td>{_route(order['b'])}<div class='why'>{_why(order['b'])}</div></td>"
        "</tr>"
        for order in shown
    )
    return (
        head
        + "<table><tr><th>order</th><th>route A, why</th><th>route B, why</th></tr>"
        + rows
        + "</table>"
    )


def _route(side: dict[str, Any]) -> str:
    if not side["route"]:
        return "<b>no route</b>"
    shipped = ", ".join(f"{fo['location_id']} × {fo['units']}" for fo in side["route"])
    unfilled = f"; {side['unfilled_units']} unfilled" if side["unfilled_units"] else ""
    return f"<b>{escape(shipped + unfilled)}</b>"


def _why(side: dict[str, Any]) -> str:
    """The explanation's relevant part, on a few short lines."""
    lines = [f"policy {side['policy'] or '(none)'}, {side['status']}"]
    if side["cost"] is not None:
        lines.append(f"cost {number(side['cost'])}")
    if side["reason"]:
        lines.append(f"reason: {side['reason']}")
    if side["excluded"]:
        dropped = ", ".join(f"{c['location_id']} ({c['excluded_by']})" for c in side["excluded"])
        lines.append(f"excluded with stock: {dropped}")
    if side["excluded_counts"]:
        fences = ", ".join(f"{fence} {n}" for fence, n in sorted(side["excluded_counts"].items()))
        lines.append(f"locations per fence: {fences}")
    lines.append(f"eligible {side['eligible']}, stocked {side['stocked']}")
    return "<br>".join(escape(line) for line in lines)


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(_cell(value, i) for i, value in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: Any, column: int) -> str:
    """Numbers right-aligned; the difference column (the fourth) signed."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = ("+" if column == 3 and value > 0 else "") + number(value)
        return f'<td class="n">{escape(text)}</td>'
    return f"<td>{escape('' if value is None else str(value))}</td>"
