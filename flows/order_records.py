"""Repositories of the records beside an Order Summary: invoices, process exceptions and
routing attempts. A mixin of :class:`flows.order_store.OrderUnitOfWork`, sharing its
connection (one transaction)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    func,
    insert,
    literal,
    select,
    tuple_,
    update,
)

from flows.errors import FlowError
from flows.order_rows import (
    exception_from_row,
    exception_values,
    invoice_from_row,
    invoice_values,
)
from flows.order_schema import (
    change_orders,
    credit_memos,
    fulfillment_order_cancels,
    invoices,
    process_exceptions,
    routing_attempts,
)
from service.changes import ChangeLine, ChangeOrder
from summary.exceptions import (
    ACTIVE_STATUSES,
    Category,
    Level,
    ProcessException,
    new_exception,
)
from summary.invoice import Invoice


class NotFound(FlowError, LookupError):
    """No record of that kind with that id (HTTP 404)."""

    def __init__(self, what: str, key: str) -> None:
        self.what = what
        self.key = key
        super().__init__(f"no {what} {key!r}")


def as_utc(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; everything stored here was UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# How a list of process exceptions can be ordered: ``id`` (the API's order), ``priority`` or
# ``severity`` (high first, then oldest first), ``age`` (oldest first).
ExceptionSort = Literal["id", "priority", "severity", "age"]
_LEVEL_RANK = {level: rank for rank, level in enumerate(get_args(Level))}  # high, low


def _sort_keys(sort: ExceptionSort) -> list[ColumnElement[Any]]:
    """The columns a sort orders by, the id last (every key unique: a keyset cursor)."""
    table = process_exceptions
    if sort == "id":
        return [table.c.id]
    keys: list[ColumnElement[Any]] = [table.c.created_at, table.c.id]
    if sort in ("priority", "severity"):
        rank = case(_LEVEL_RANK, value=table.c[sort], else_=len(_LEVEL_RANK))
        keys.insert(0, rank)
    return keys


class OrderRecords:
    @property
    def conn(self) -> Connection:
        raise NotImplementedError

    @property
    def now(self) -> datetime:
        raise NotImplementedError

    # -- invoices ---------------------------------------------------------------------------

    def add_invoice(self, invoice: Invoice) -> None:
        self.conn.execute(insert(invoices).values(**invoice_values(invoice), created_at=self.now))

    def invoice(self, invoice_id: str) -> Invoice:
        row = self.conn.execute(select(invoices).where(invoices.c.id == invoice_id)).one_or_none()
        if row is None:
            raise NotFound("invoice", invoice_id)
        return invoice_from_row(row)

    def invoices_of(self, summary_id: str) -> list[Invoice]:
        query = (
            select(invoices)
            .where(invoices.c.summary_id == summary_id)
            .order_by(invoices.c.created_at, invoices.c.id)
        )
        return [invoice_from_row(r) for r in self.conn.execute(query)]

    def save_invoice(self, invoice: Invoice) -> None:
        self.conn.execute(
            update(invoices)
            .where(invoices.c.id == invoice.id)
            .values(status=invoice.status, captured=invoice.captured)
        )

    # -- process exceptions -----------------------------------------------------------------

    def add_exception(self, exception: ProcessException) -> None:
        self.conn.execute(insert(process_exceptions).values(**exception_values(exception)))

    def exception(self, exception_id: str) -> ProcessException:
        query = select(process_exceptions).where(process_exceptions.c.id == exception_id)
        row = self.conn.execute(query).one_or_none()
        if row is None:
            raise NotFound("process exception", exception_id)
        return exception_from_row(row)

    def save_exception(self, exception: ProcessException) -> None:
        values = exception_values(exception)
        self.conn.execute(
            update(process_exceptions)
            .where(process_exceptions.c.id == exception.id)
            .values(status=values["status"], note=values["note"], updated_at=values["updated_at"])
        )

    def exceptions(
        self,
        *,
        statuses: Collection[str] | None = None,
        category: str | None = None,
        summary_id: str | None = None,
        after: str | None = None,
        limit: int = 100,
        sort: ExceptionSort = "id",
        descending: bool = False,
    ) -> list[ProcessException]:
        """A page of exceptions in ``sort`` order (``descending``: every key reversed), the
        ones after the exception ``after`` (a keyset cursor: that exception's own sort keys,
        so a page is never computed over all rows); ``statuses``: any of these."""
        table = process_exceptions
        keys = _sort_keys(sort)
        query = select(table).order_by(*(k.desc() if descending else k for k in keys))
        for column, value in (
            (table.c.category, category),
            (table.c.summary_id, summary_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if statuses is not None:
            query = query.where(table.c.status.in_(sorted(statuses)))
        if after is not None:
            query = query.where(self._after(keys, after, descending))
        return [exception_from_row(r) for r in self.conn.execute(query.limit(limit))]

    def _after(
        self, keys: list[ColumnElement[Any]], after: str, descending: bool
    ) -> ColumnElement[bool]:
        if len(keys) == 1:  # by id: the cursor is the key itself
            return keys[0] < after if descending else keys[0] > after
        found = self.conn.execute(
            select(*keys).where(process_exceptions.c.id == after)
        ).one_or_none()
        if found is None:
            raise NotFound("process exception", after)
        here = tuple_(*keys)
        last = tuple_(*(literal(v, k.type) for v, k in zip(found, keys, strict=True)))
        return here < last if descending else here > last

    def raise_exception(
        self,
        summary_id: str,
        category: Category,
        attached: tuple[str, str],
        message: str,
        *,
        description: str = "",
    ) -> None:
        """One active exception per (category, record it is attached to): however often its
        cause recurs (a capture retried, a refund refused again), a person sees it once."""
        for pe in self.exceptions(summary_id=summary_id, category=category, limit=10_000):
            if pe.active and (pe.attached_kind, pe.attached_id) == attached:
                return
        self.add_exception(
            new_exception(
                id=f"PE-{uuid.uuid4().hex[:20]}",
                order_summary_id=summary_id,
                category=category,
                message=message,
                description=description,
                attached=attached,
                now=self.now,
            )
        )

    def resolve_exceptions(
        self, summary_id: str, category: Category, attached: tuple[str, str], note: str
    ) -> None:
        """Resolve the active exceptions a cause now gone had raised (with ``note`` saying why)."""
        for pe in self.exceptions(summary_id=summary_id, category=category, limit=10_000):
            if pe.active and (pe.attached_kind, pe.attached_id) == attached:
                pe.move_to("resolved", self.now, note=note)
                self.save_exception(pe)

    def active_exception_count(self, summary_id: str) -> int:
        table = process_exceptions
        query = select(func.count()).where(
            and_(table.c.summary_id == summary_id, table.c.status.in_(sorted(ACTIVE_STATUSES)))
        )
        return int(self.conn.execute(query).scalar_one())

    # -- routing attempts -------------------------------------------------------------------

    def add_routing_attempt(
        self,
        summary_id: str,
        group_id: str,
        rules_version: str,
        status: str,
        fo_ids: Sequence[str],
        answer: dict[str, Any],
    ) -> None:
        self.conn.execute(
            insert(routing_attempts).values(
                summary_id=summary_id,
                delivery_group=group_id,
                attempted_at=self.now,
                rules_version=rules_version,
                status=status,
                fulfillment_order_ids=json.dumps(list(fo_ids)),
                answer=json.dumps(answer, separators=(",", ":")),
            )
        )

    def routing_attempts(self, summary_id: str) -> list[dict[str, Any]]:
        table = routing_attempts
        query = select(table).where(table.c.summary_id == summary_id).order_by(table.c.id)
        return [
            {
                "attempt": n,
                "delivery_group": r.delivery_group,
                "attempted_at": as_utc(r.attempted_at),
                "rules_version": r.rules_version,
                "status": r.status,
                "fulfillment_order_ids": json.loads(r.fulfillment_order_ids),
                "answer": json.loads(r.answer),
            }
            for n, r in enumerate(self.conn.execute(query), start=1)
        ]

    # -- change orders ----------------------------------------------------------------------

    def add_change_order(
        self, change: ChangeOrder, *, key: str | None, fingerprint: str | None
    ) -> None:
        lines = [
            [x.line_id, x.sku, x.quantity, x.product, x.discount, x.tax, x.post_fulfilment]
            for x in change.lines
        ]
        self.conn.execute(
            insert(change_orders).values(
                id=change.id,
                summary_id=change.order_summary_id,
                kind=change.kind,
                reason=change.reason,
                lines=json.dumps(lines, separators=(",", ":")),
                delivery=change.delivery,
                delivery_tax=change.delivery_tax,
                refund=change.refund,
                capture_reduced=change.capture_reduced,
                refund_status="pending" if change.refund else "none",
                prorate_delivery=change.prorate_delivery,
                fee=change.fee,
                applied=change.applied,
                linked_id=change.linked_id,
                idempotency_key=key,
                fingerprint=fingerprint,
                created_at=self.now,
            )
        )

    def change_order_by_key(self, summary_id: str, key: str) -> tuple[ChangeOrder, str] | None:
        """The change order submitted with ``key`` on that summary, and its body's fingerprint."""
        query = select(change_orders).where(
            and_(change_orders.c.summary_id == summary_id, change_orders.c.idempotency_key == key)
        )
        row = self.conn.execute(query).one_or_none()
        return None if row is None else (_change_from_row(row), str(row.fingerprint))

    def change_orders_of(self, summary_id: str) -> list[tuple[ChangeOrder, str]]:
        """Every change order of a summary, oldest first, with its refund status."""
        query = (
            select(change_orders)
            .where(change_orders.c.summary_id == summary_id)
            .order_by(change_orders.c.created_at, change_orders.c.id)
        )
        return [(_change_from_row(r), str(r.refund_status)) for r in self.conn.execute(query)]

    def add_credit_memo(self, memo_id: str, change: ChangeOrder) -> None:
        self.conn.execute(
            insert(credit_memos).values(
                id=memo_id,
                summary_id=change.order_summary_id,
                change_order_id=change.id,
                created_at=self.now,
            )
        )

    def credit_memo(self, memo_id: str) -> tuple[ChangeOrder, str, datetime]:
        """The change order behind a credit memo, its refund status, when it was made."""
        query = (
            select(change_orders, credit_memos.c.created_at.label("memo_at"))
            .join(credit_memos, credit_memos.c.change_order_id == change_orders.c.id)
            .where(credit_memos.c.id == memo_id)
        )
        row = self.conn.execute(query).one_or_none()
        if row is None:
            raise NotFound("credit memo", memo_id)
        return _change_from_row(row), str(row.refund_status), as_utc(row.memo_at)

    def credit_memo_of(self, change_id: str) -> str | None:
        query = select(credit_memos.c.id).where(credit_memos.c.change_order_id == change_id)
        found = self.conn.execute(query).scalar_one_or_none()
        return None if found is None else str(found)

    def pending_refunds(self) -> list[tuple[str, str]]:
        """``(change order id, summary id)`` of refunds not yet confirmed by the gateway."""
        query = select(change_orders.c.id, change_orders.c.summary_id).where(
            change_orders.c.refund_status == "pending"
        )
        return [(r.id, r.summary_id) for r in self.conn.execute(query)]

    def refund_done(self, change_id: str) -> bool:
        """Mark a change order's refund done; False if it already was (exactly once)."""
        result = self.conn.execute(
            update(change_orders)
            .where(
                and_(change_orders.c.id == change_id, change_orders.c.refund_status == "pending")
            )
            .values(refund_status="done")
        )
        return result.rowcount == 1

    # -- units taken off fulfillment orders: their idempotency keys -------------------------

    def fo_cancel_print(self, fo_id: str, key: str) -> str | None:
        """The body fingerprint of the FO cancel made with ``key``, if there was one."""
        table = fulfillment_order_cancels
        query = select(table.c.fingerprint).where(
            and_(table.c.fulfillment_order_id == fo_id, table.c.idempotency_key == key)
        )
        found = self.conn.execute(query).scalar_one_or_none()
        return None if found is None else str(found)

    def add_fo_cancel_key(self, fo_id: str, key: str, fingerprint: str) -> None:
        self.conn.execute(
            insert(fulfillment_order_cancels).values(
                fulfillment_order_id=fo_id,
                idempotency_key=key,
                fingerprint=fingerprint,
                created_at=self.now,
            )
        )


def _change_from_row(row: Any) -> ChangeOrder:
    return ChangeOrder(
        id=row.id,
        order_summary_id=row.summary_id,
        kind=row.kind,
        reason=row.reason,
        lines=tuple(ChangeLine(*values) for values in json.loads(row.lines)),
        delivery=row.delivery,
        delivery_tax=row.delivery_tax,
        refund=row.refund,
        capture_reduced=row.capture_reduced,
        prorate_delivery=bool(row.prorate_delivery),
        fee=row.fee,
        applied=row.applied,
        linked_id=row.linked_id,
    )
