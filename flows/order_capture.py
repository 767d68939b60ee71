"""Capture at shipment: an invoice's amount is captured against the order's authorization.

Customers pay for what shipped. The gateway call happens between two transactions (never
while holding a database lock) with the invoice id as its idempotency key, so a capture
retried after any failure captures once. A refusal leaves the invoice unpaid and raises a
payment Process Exception; ``POST /v1/invoices/{id}/capture`` retries.
"""

from __future__ import annotations

from flows.bootstrap import Services
from flows.order_routing import NotManaged
from flows.order_store import OrderUnitOfWork
from flows.payments import GatewayDeclined, GatewayUnavailable
from summary.errors import PaymentRefused
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
        if invoice.balance == 0:  # a reshipment's invoice: nothing to capture
            invoice.status = "paid"
            uow.save_invoice(invoice)
            uow.commit()
            return invoice
        payment = summary.payment
        try:
            if payment is None:
                raise PaymentRefused("payment", "the order has no payment authorization")
            from_card = payment.split(invoice.balance)[1]  # an exchange's credit goes first
            gateway = services.gateway_for(payment.gateway) if from_card else None
            if from_card and gateway is None:
                raise PaymentRefused(
                    "payment.gateway", f"no payment gateway {payment.gateway!r} is configured"
                )
            payment.check_capture(invoice.balance, services.now())
        except PaymentRefused as refused:
            _refused(uow, invoice, refused.message)
            uow.commit()
            if automatic:
                return invoice
            raise
    try:
        if gateway is not None:
            gateway.capture(payment.authorization_id, from_card, key=invoice.id)
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
        uow.resolve_exceptions(
            invoice.order_summary_id, "payment", ("invoice", invoice.id), "captured on retry"
        )
        uow.commit()
    return invoice


def _refused(uow: OrderUnitOfWork, invoice: Invoice, why: str) -> None:
    uow.raise_exception(
        invoice.order_summary_id,
        "payment",
        ("invoice", invoice.id),
        f"invoice {invoice.id}: capture of {invoice.balance} refused: {why}",
    )
