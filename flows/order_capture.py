"""Capture at shipment: an invoice's amount is captured against the order's authorization.

Customers pay for what shipped. The gateway call happens between two transactions (never
while holding a database lock) with the invoice id as its idempotency key, so a capture
retried after any failure captures once. A refusal leaves the invoice unpaid and raises a
payment Process Exception; ``POST /v1/invoices/{id}/capture`` retries.
"""

from __future__ import annotations

import uuid

from flows.bootstrap import Services
from flows.order_routing import NotManaged
from flows.order_store import OrderUnitOfWork
from flows.payments import GatewayDeclined, GatewayUnavailable
from summary.errors import PaymentRefused
from summary.exceptions import new_exception
from summary.invoice import Invoice


def capture_invoice(services: Services, invoice_id: str, *, automatic: bool = False) -> Invoice:
    """Capture what ``invoice_id`` still owes. Automatic (at shipment): skipped while the
    summary has active process exceptions, and a refusal only raises a process exception;
    on demand, a refusal is also raised to the caller (HTTP 409)."""
    with services.uow() as uow:
        invoice = uow.invoice(invoice_id)
        summary = uow.summary(invoice.order_summary_id, lock=False)
        if invoice.status == "paid":
            return invoice
        if not summary.managed:
            raise NotManaged(f"order summary {summary.id} is unmanaged: omniroute never captures")
        if automatic and uow.active_exception_count(summary.id) > 0:
            return invoice
        payment = summary.payment
        try:
            if payment is None:
                raise PaymentRefused("payment", "the order has no payment authorization")
            payment.check_capture(invoice.balance, services.now())
        except PaymentRefused as refused:
            _refused(uow, invoice, refused.message)
            uow.commit()
            if automatic:
                return invoice
            raise
    try:
        services.gateway.capture(payment.authorization_id, invoice.balance, key=invoice.id)
    except (GatewayDeclined, GatewayUnavailable) as error:
        with services.uow() as uow:
            _refused(uow, invoice, f"gateway {payment.gateway}: {error}")
            uow.commit()
        if automatic:
            return invoice
        raise PaymentRefused("payment", str(error)) from None
    return _record_capture(services, invoice_id)


def _record_capture(services: Services, invoice_id: str) -> Invoice:
    with services.uow() as uow:
        invoice = uow.invoice(invoice_id)
        summary = uow.summary(invoice.order_summary_id)
        if invoice.status == "paid":  # a concurrent retry recorded it first
            return invoice
        assert summary.payment is not None
        amount = invoice.balance
        summary.payment.record_capture(amount)
        invoice.captured += amount
        invoice.status = "paid"
        uow.save_summary(summary)
        uow.save_invoice(invoice)
        _resolve_payment_exceptions(uow, invoice)
        uow.commit()
    return invoice


def _refused(uow: OrderUnitOfWork, invoice: Invoice, why: str) -> None:
    """One active payment exception per invoice, however often the capture is retried."""
    for pe in uow.exceptions(summary_id=invoice.order_summary_id, category="payment"):
        if pe.active and pe.attached_id == invoice.id:
            return
    uow.add_exception(
        new_exception(
            id=f"PE-{uuid.uuid4().hex[:20]}",
            order_summary_id=invoice.order_summary_id,
            category="payment",
            message=f"invoice {invoice.id}: capture of {invoice.balance} refused: {why}",
            attached=("invoice", invoice.id),
            now=uow.now,
        )
    )


def _resolve_payment_exceptions(uow: OrderUnitOfWork, invoice: Invoice) -> None:
    for pe in uow.exceptions(summary_id=invoice.order_summary_id, category="payment"):
        if pe.active and pe.attached_id == invoice.id:
            pe.move_to("resolved", uow.now, note="captured on retry")
            uow.save_exception(pe)
