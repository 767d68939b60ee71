"""Adjust and reship on an Order Summary: preview and submit through the shared submit path
of :mod:`flows.service_flows` (managed check, idempotency key, change order, credit memo)."""

from __future__ import annotations

from typing import Any

from flows.bootstrap import Services
from flows.order_routing import route_summary
from flows.service_flows import order_answer, settle, submit_change
from service.adjust import AdjustLine, apply_adjust, plan_adjust
from service.changes import ChangeOrder
from service.reship import apply_reship, plan_reship
from summary.summary import OrderSummary, Quantities


def adjust(
    services: Services,
    key: str,
    *,
    lines: list[AdjustLine],
    reason: str,
    idempotency_key: str | None,
    body: dict[str, Any],
    preview: bool,
) -> dict[str, Any]:
    """A discount on lines: what is not shipped yet will capture less; what shipped is a
    Credit Memo refunded now."""

    def plan(summary: OrderSummary, change_id: str) -> tuple[ChangeOrder, None]:
        return plan_adjust(summary, change_id, lines, reason), None

    done = submit_change(
        services, key, "adjusts it", plan, apply_adjust, idempotency_key, body, preview=preview
    )
    return done if isinstance(done, dict) else settle(services, done[0])


def reship(
    services: Services,
    key: str,
    *,
    lines: Quantities,
    reason: str,
    idempotency_key: str | None,
    body: dict[str, Any],
    preview: bool,
) -> dict[str, Any]:
    """Replacement units at no charge, routed into new Fulfillment Orders at once (should
    that step be interrupted, the periodic upkeep routes the units left unrouted)."""
    groups: list[str] = []

    def plan(summary: OrderSummary, change_id: str) -> tuple[ChangeOrder, None]:
        return plan_reship(summary, change_id, lines, reason), None

    def apply(summary: OrderSummary, change: ChangeOrder) -> None:
        groups.extend(apply_reship(summary, change))

    done = submit_change(
        services, key, "reships", plan, apply, idempotency_key, body, preview=preview
    )
    if isinstance(done, dict):
        return done
    change, _ = done
    route_summary(services, change.order_summary_id, groups=set(groups))
    return order_answer(services, change.order_summary_id, change)
