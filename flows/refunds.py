"""Refunds of change orders: sent to the gateway exactly once, however often retried.

The change order commits first with its refund pending; the gateway is called with the
change order's id as its idempotency key; the refund is recorded on the payment summary in
the transaction that marks it done (guarded by its pending status), so two workers or a retry
never refund twice. A refusal raises a payment process exception and stays pending for
reconciliation to retry.

An exchange's summary was paid partly by credit that came from its original order's capture:
a refund gives back what the exchange's own authorization paid first, and the rest through
the original order's payment (the credit goes back where it came from).
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.bootstrap import Services
from flows.order_store import OrderUnitOfWork
from flows.payments import GatewayDeclined, GatewayUnavailable, PaymentGateway
from service.changes import ChangeOrder
from summary.payment import PaymentSummary
from summary.summary import OrderSummary


@dataclass(frozen=True, slots=True)
class _Leg:
    gateway: PaymentGateway
    payment: PaymentSummary
    amount: int
    key: str


class _Refused(Exception):
    pass


def refund(services: Services, change_id: str) -> bool:
    """Send a change order's pending refund to the gateway(s); True once it is done."""
    with services.uow() as uow:
        pending = dict(uow.pending_refunds())
        if change_id not in pending:
            return True
        summary = uow.summary(pending[change_id], lock=False)
        change = next(c for c, _ in uow.change_orders_of(summary.id) if c.id == change_id)
        origin = uow.summary(summary.exchange_of, lock=False) if summary.exchange_of else None
    try:
        legs = _legs(services, summary, origin, change)
        for leg in legs:
            try:
                leg.gateway.refund(leg.payment.authorization_id, leg.amount, key=leg.key)
            except (GatewayDeclined, GatewayUnavailable) as error:
                raise _Refused(str(error)) from None
    except _Refused as refused:
        with services.uow() as uow:
            _refund_refused(uow, summary.id, change, str(refused))
            uow.commit()
        return False
    assert summary.payment is not None  # else _legs refused
    credit = summary.payment.refund_split(change.refund)[1]  # through the original's payment
    with services.uow() as uow:
        locked = uow.summary(summary.id)
        if uow.refund_done(change.id) and locked.payment is not None:
            locked.payment.refunded += change.refund  # once: the status update is the guard
            locked.payment.credit_refunded += credit
            uow.save_summary(locked)
            if credit and origin is not None:
                _credit_returned(uow, origin.id, credit)
        uow.commit()
    return True


def _legs(
    services: Services, summary: OrderSummary, origin: OrderSummary | None, change: ChangeOrder
) -> list[_Leg]:
    """Who refunds what: never through another gateway, nor more than was captured."""
    payment = summary.payment
    if payment is None:
        raise _Refused("the order has no payment")
    if change.refund > payment.refundable:
        raise _Refused("more than was captured")
    card, credit = payment.refund_split(change.refund)
    parts = [(payment, card, change.id)]
    if credit:
        if origin is None or origin.payment is None:
            raise _Refused("the exchange credit has no original payment to go back to")
        parts.append((origin.payment, credit, f"{change.id}:credit"))
    legs = []
    for paid_by, amount, key in parts:
        gateway = services.gateway_for(paid_by.gateway)
        if amount and gateway is None:
            raise _Refused(f"no payment gateway {paid_by.gateway!r} is configured")
        if amount and gateway is not None:
            legs.append(_Leg(gateway, paid_by, amount, key))
    return legs


def _credit_returned(uow: OrderUnitOfWork, origin_id: str, amount: int) -> None:
    """The original order gives back the credit it had moved to its exchange."""
    origin = uow.summary(origin_id)
    if origin.payment is not None:
        origin.payment.transferred -= amount
        origin.payment.refunded += amount
        uow.save_summary(origin)


def _refund_refused(uow: OrderUnitOfWork, summary_id: str, change: ChangeOrder, why: str) -> None:
    uow.raise_exception(
        summary_id,
        "payment",
        ("change_order", change.id),
        f"change order {change.id}: refund of {change.refund} refused: {why}",
    )
