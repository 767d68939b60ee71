"""Row ↔ domain conversions of the order tables (pure functions over row objects)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from summary.exceptions import ProcessException
from summary.fulfillment import FulfillmentOrder, FulfillmentOrderLine
from summary.invoice import Invoice, InvoiceLine
from summary.items import OrderItemSummary
from summary.payment import PaymentSummary
from summary.summary import DeliveryGroupSummary


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def item_from_row(row: Any) -> OrderItemSummary:
    return OrderItemSummary(
        line_id=row.line_id,
        sku=row.sku,
        delivery_group=row.delivery_group,
        unit_price=row.unit_price,
        tax=row.tax,
        discount=row.discount,
        quantity_ordered=row.quantity_ordered,
        quantity_canceled=row.quantity_canceled,
        quantity_allocated=row.quantity_allocated,
        quantity_fulfilled=row.quantity_fulfilled,
        quantity_return_initiated=row.quantity_return_initiated,
        quantity_returned=row.quantity_returned,
        quantity_reshipped=row.quantity_reshipped,
        discount_returned=row.discount_returned,
        tax_returned=row.tax_returned,
        adjust_open_discount=row.adjust_open_discount,
        adjust_open_tax=row.adjust_open_tax,
        adjust_shipped_discount=row.adjust_shipped_discount,
        adjust_shipped_tax=row.adjust_shipped_tax,
        reship_of=row.reship_of,
    )


def group_from_row(row: Any) -> DeliveryGroupSummary:
    return DeliveryGroupSummary(
        id=row.group_id,
        method=row.method,
        charge=row.charge,
        charge_tax=row.charge_tax,
        location_id=row.location_id,
        delivery_method_id=row.delivery_method_id,
        lat=row.lat,
        lon=row.lon,
        country=row.country,
        postal_code=row.postal_code,
        charge_invoiced=bool(row.charge_invoiced),
        excluded_locations=list(json.loads(row.excluded_locations)),
        charge_canceled=row.charge_canceled,
        charge_tax_canceled=row.charge_tax_canceled,
    )


def payment_from_row(row: Any) -> PaymentSummary | None:
    if row.authorization_id is None:
        return None
    return PaymentSummary(
        authorization_id=row.authorization_id,
        gateway=row.gateway,
        authorized=row.authorized,
        expires_at=_utc(row.authorization_expires_at),
        captured=row.captured,
        refunded=row.refunded,
        credit=row.credit,
        credit_used=row.credit_used,
        transferred=row.transferred,
        credit_refunded=row.credit_refunded,
    )


def fo_from_rows(row: Any, lines: list[Any], invoice_ids: list[str]) -> FulfillmentOrder:
    return FulfillmentOrder(
        id=row.id,
        order_summary_id=row.summary_id,
        delivery_group=row.delivery_group,
        location_id=row.location_id,
        fulfillment_type=row.fulfillment_type,
        lines=[
            FulfillmentOrderLine(
                line_id=r.line_id,
                sku=r.sku,
                quantity=r.quantity,
                quantity_fulfilled=r.quantity_fulfilled,
                quantity_canceled=r.quantity_canceled,
            )
            for r in lines
        ],
        reservation_id=row.reservation_id,
        status=row.status,
        invoice_ids=invoice_ids,
        reason=row.reason,
    )


def invoice_values(invoice: Invoice) -> dict[str, Any]:
    lines = [
        [line.line_id, line.sku, line.quantity, line.amount, line.discount, line.tax]
        for line in invoice.lines
    ]
    return {
        "id": invoice.id,
        "summary_id": invoice.order_summary_id,
        "fulfillment_order_id": invoice.fulfillment_order_id,
        "lines": json.dumps(lines, separators=(",", ":")),
        "delivery": invoice.delivery,
        "delivery_tax": invoice.delivery_tax,
        "status": invoice.status,
        "captured": invoice.captured,
    }


def invoice_from_row(row: Any) -> Invoice:
    return Invoice(
        id=row.id,
        order_summary_id=row.summary_id,
        fulfillment_order_id=row.fulfillment_order_id,
        lines=tuple(InvoiceLine(*values) for values in json.loads(row.lines)),
        delivery=row.delivery,
        delivery_tax=row.delivery_tax,
        status=row.status,
        captured=row.captured,
    )


def exception_values(pe: ProcessException) -> dict[str, Any]:
    return {
        "id": pe.id,
        "summary_id": pe.order_summary_id,
        "category": pe.category,
        "severity": pe.severity,
        "priority": pe.priority,
        "status": pe.status,
        "message": pe.message,
        "description": pe.description,
        "attached_kind": pe.attached_kind,
        "attached_id": pe.attached_id,
        "note": pe.note,
        "created_at": pe.created_at,
        "updated_at": pe.updated_at,
    }


def exception_from_row(row: Any) -> ProcessException:
    created, updated = _utc(row.created_at), _utc(row.updated_at)
    assert created is not None and updated is not None  # NOT NULL columns
    return ProcessException(
        id=row.id,
        order_summary_id=row.summary_id,
        category=row.category,
        severity=row.severity,
        priority=row.priority,
        message=row.message,
        description=row.description,
        attached_kind=row.attached_kind,
        attached_id=row.attached_id,
        created_at=created,
        updated_at=updated,
        status=row.status,
        note=row.note,
    )
