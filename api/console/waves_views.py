"""How the waves page shows a job: its status as :func:`flows.wave_jobs.job_status` gives it,
with the figures a person reads (KPIs labelled as the replay report labels them, rates as
percentages, the gap to the bound, times without microseconds). Formatting only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.replay_charts import number
from api.replay_report import LABELS
from flows.wave_jobs import DONE, FAILED

FINAL = (DONE, FAILED)


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """The job's status plus ``final``, ``percent``, ``created``, ``took``, ``kpis`` (label,
    figure rows), ``gap`` (a sentence, or None before the KPIs), ``load`` rows and ``brief``."""
    kpis: dict[str, Any] | None = job["kpis"]
    return {
        **job,
        "final": job["status"] in FINAL,
        "percent": round(100 * float(job["progress"])),
        "created": _moment(job["created_at"]),
        "took": _took(job["started_at"], job["finished_at"]),
        "kpis": [] if kpis is None else kpi_rows(kpis),
        "gap": None if kpis is None else gap_sentence(kpis),
        "load": [] if kpis is None else sorted(kpis.get("load", {}).items(), key=_busiest),
        "brief": {} if kpis is None else brief(kpis),
    }


def brief(kpis: dict[str, Any]) -> dict[str, str]:
    """What a list of jobs shows of each: orders, total cost, gap."""
    return {
        "orders": number(kpis["orders"]),
        "total_cost": number(kpis["total_cost"]),
        "gap": "—" if kpis["gap"] is None else percent(kpis["gap"]),
    }


def kpi_rows(kpis: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("orders", number(kpis["orders"])),
        (LABELS["orders_routed"], number(kpis["orders_routed"])),
        (
            LABELS["units_filled"],
            f"{number(kpis['units_filled'])} of {number(kpis['units_ordered'])}",
        ),
        (LABELS["fill_rate"], percent(kpis["fill_rate"])),
        (LABELS["total_cost"], number(kpis["total_cost"])),
        (LABELS["fulfillment_orders"], number(kpis["fulfillment_orders"])),
        (LABELS["fos_per_order"], number(kpis["fos_per_order"])),
        (LABELS["average_distance_km"], number(kpis["average_distance_km"])),
        ("lower bound", "none" if kpis["lower_bound"] is None else number(kpis["lower_bound"])),
        ("gap to the bound", "—" if kpis["gap"] is None else percent(kpis["gap"])),
    ]
    if "committed_fulfillment_orders" in kpis:
        rows.append(("Fulfillment Orders committed", number(kpis["committed_fulfillment_orders"])))
    return rows


def gap_sentence(kpis: dict[str, Any]) -> str:
    if kpis["gap"] is None:
        return f"{kpis['strategy']} proves no lower bound: no gap to show."
    return (
        f"{percent(kpis['gap'])} above the lower bound "
        f"(cost {number(kpis['total_cost'])}, bound {number(kpis['lower_bound'])})."
    )


def percent(value: float) -> str:
    return f"{100 * float(value):.2f}%"


def _moment(iso: str | None) -> str:
    if iso is None:
        return ""
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S UTC")


def _took(started: str | None, finished: str | None) -> str:
    if started is None or finished is None:
        return ""
    seconds = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    return f"{seconds:.1f} s"


def _busiest(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]
