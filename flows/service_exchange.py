"""Exchange on an Order Summary: preview (nothing written) and submit, idempotent on the
caller's ``Idempotency-Key``.

One transaction records the whole exchange: the returned units on the original summary, its
change order (kind ``exchange``, linked to the new summary) and credit memo, the new Order
and its summary with routing step 1 (Draft FOs). A crash can leave neither half alone. After
the commit, as a direct return and an intake do: the returned units restock where their
reason says so, the new summary's reservations are made (steps 2-3 of routing; a failure
there leaves the order recorded, and reconciliation or a later route finishes it), and what
the credit does not spend is refunded to the original payment, exactly once.
"""

from __future__ import annotations

import copy
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from flows.bootstrap import Services
from flows.errors import FlowError
from flows.order_intake import fingerprint, known_skus, record_summary, summary_document
from flows.order_routing import Plan, carry_out, route_summary
from flows.order_store import OrderUnitOfWork
from flows.service_flows import (
    change_document,
    credit_memo_id,
    fingerprint_of,
    open_for_change,
    refund,
)
from inventory.errors import InventoryError
from inventory.model import StockAdjust
from service.changes import ChangeOrder
from service.exchange import (
    ExchangePlan,
    Replacement,
    apply_exchange,
    exchange_cost,
    exchange_number,
    exchange_order,
    exchange_summary,
    plan_exchange,
)
from service.returns import ReturnLine
from summary.errors import InvalidRequest
from summary.order import Payment
from summary.summary import OrderSummary

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExchangeRequest:
    returns: list[ReturnLine]
    replacements: list[Replacement]
    location_id: str | None = None  # where the returned units come back
    payment: Payment | None = None  # the new authorization for a difference
    reason: str | None = None


def exchange(
    services: Services,
    key: str,
    request: ExchangeRequest,
    *,
    idempotency_key: str | None,
    body: dict[str, Any],
    preview: bool,
) -> dict[str, Any]:
    """An exchange (or its preview). The answer is the other service actions' plus
    ``exchange_order_summary`` (None in a preview) and ``charge``."""
    print_ = fingerprint_of(body)
    with services.uow() as uow:
        original, earlier = open_for_change(uow, key, "exchanges", idempotency_key, print_, preview)
        if earlier is not None:
            return _answer_in(uow, original, earlier)
        _check_request(services, uow, request)
        new_id = None if preview else f"OS-{uuid.uuid4().hex[:20]}"
        plan = plan_exchange(
            original,
            f"CO-{uuid.uuid4().hex[:20]}",
            request.returns,
            request.replacements,
            services.config().rules.rules.returns,
            linked_id=new_id,
            reason=request.reason,
            payment_amount=request.payment.amount if request.payment else None,
            payment_required=not preview,
        )
        if new_id is None:
            after = copy.deepcopy(original)
            apply_exchange(after, plan.change)
            active = uow.active_exception_count(original.id)
            return _answer(None, plan.change, after, active, None, plan.money.charge)
        routing = _record(services, uow, original, plan, new_id, request, idempotency_key, print_)
        uow.commit()
    _after_commit(services, plan, new_id, routing, request.location_id)
    return _current_answer(services, plan.change)


def _check_request(services: Services, uow: OrderUnitOfWork, request: ExchangeRequest) -> None:
    """What the plan cannot see: the return location, the replacements' SKUs (as intake
    checks an order's), the new authorization's gateway and expiry."""
    location = request.location_id
    if location is not None and location not in services.config().network.index:
        raise InvalidRequest("location_id", f"unknown location {location!r}")
    known = known_skus(uow, [r.sku for r in request.replacements])
    for i, r in enumerate(request.replacements):
        if r.sku not in known:
            raise InvalidRequest(f"replacements[{i}].sku", f"unknown SKU {r.sku!r}")
    payment = request.payment
    if payment is None:
        return
    if services.gateway_for(payment.gateway) is None:
        raise InvalidRequest("payment.gateway", f"no payment gateway {payment.gateway!r}")
    if payment.expires_at is not None and payment.expires_at <= services.now():
        raise InvalidRequest("payment.expires_at", "the authorization has expired already")


def _record(
    services: Services,
    uow: OrderUnitOfWork,
    original: OrderSummary,
    plan: ExchangePlan,
    new_id: str,
    request: ExchangeRequest,
    idempotency_key: str | None,
    print_: str,
) -> Plan | None:
    """Every write of the exchange, in ``uow``: the return on the original, its change order
    and credit memo, the new Order and summary (routing step 1). Returns the routing plan."""
    change = plan.change
    memo = credit_memo_id(change)
    assert memo is not None  # every exchange has one
    order = exchange_order(
        original,
        plan,
        order_number=_next_number(uow, original),
        placed_at=services.now(),
        payment=request.payment,
        credit_memo_id=memo,
    )
    apply_exchange(original, change)
    uow.save_summary(original)
    uow.add_change_order(change, key=idempotency_key, fingerprint=print_)
    uow.add_credit_memo(memo, change)
    new = exchange_summary(order, new_id, original, plan)
    body = order.model_dump_json(exclude_none=True)
    uow.add_order(order.order_number, new.id, fingerprint(order), body, order.source, None)
    return record_summary(services, uow, new)


def _next_number(uow: OrderUnitOfWork, original: OrderSummary) -> str:
    """``{number}-EX{n}``: n counts the original's exchanges (a number taken by an order
    placed under it is skipped). The original is locked, so its exchanges come one by one."""
    n = 1 + sum(c.kind == "exchange" for c, _ in uow.change_orders_of(original.id))
    while uow.order_row(exchange_number(original.order_number, n)) is not None:
        n += 1
    return exchange_number(original.order_number, n)


def _after_commit(
    services: Services, plan: ExchangePlan, new_id: str, routing: Plan | None, at: str | None
) -> None:
    if at is not None and plan.restock:
        services.inventory.write_stock([StockAdjust(at, sku, count) for sku, count in plan.restock])
    try:
        if routing is not None:
            carry_out(services, routing, automatic=True)
        else:
            route_summary(services, new_id, automatic=True)
    except (InventoryError, FlowError, SQLAlchemyError) as error:
        log.warning("exchange summary %s recorded but not routed yet: %s", new_id, error)
    if plan.change.refund:
        refund(services, plan.change.id)


def _current_answer(services: Services, change: ChangeOrder) -> dict[str, Any]:
    with services.uow() as uow:
        original = uow.summary(change.order_summary_id, lock=False)
        return _answer_in(uow, original, change)


def _answer_in(uow: OrderUnitOfWork, original: OrderSummary, change: ChangeOrder) -> dict[str, Any]:
    """The answer of a recorded exchange, as things stand now."""
    assert change.linked_id is not None
    new = uow.summary(change.linked_id, lock=False)
    document = summary_document(new, uow.active_exception_count(new.id))
    charge = exchange_cost(new) - change.applied  # N − min(C, N): the difference, or 0
    active = uow.active_exception_count(original.id)
    return _answer(change.id, change, original, active, document, charge)


def _answer(
    change_id: str | None,
    change: ChangeOrder,
    original: OrderSummary,
    active: int,
    exchange_document: dict[str, Any] | None,
    charge: int,
) -> dict[str, Any]:
    return {
        "change_order_id": change_id,
        "refund": change.refund,
        "capture_reduced": change.capture_reduced,
        "credit_memo_id": credit_memo_id(change) if change_id else None,
        "change_order": change_document(change),
        "summary": summary_document(original, active),
        "exchange_order_summary": exchange_document,
        "charge": charge,
    }
