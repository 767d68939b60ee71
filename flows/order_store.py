"""The unit of work of the order life, and its repositories (SQLAlchemy Core on SQLite or
PostgreSQL).

One :class:`OrderUnitOfWork` is one database transaction: a use case loads what it changes,
changes it in the domain, saves, and commits; leaving the block without ``commit()`` rolls
everything back, so a failing step leaves nothing half-written. Writers of one summary are
serialised: PostgreSQL locks the summary row (``FOR UPDATE``) when it is loaded for change;
SQLite takes the database write lock when the transaction starts (``BEGIN IMMEDIATE``: no
lock upgrade, so no deadlock between two writers). ``version`` is checked on save as well.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, bindparam, insert, select, update

from flows.errors import FlowError
from flows.order_records import NotFound as NotFound  # re-exported: the edges catch it here
from flows.order_records import OrderRecords, as_utc
from flows.order_rows import (
    fo_from_rows,
    group_from_row,
    item_from_row,
    payment_from_row,
)
from flows.order_schema import (
    delivery_group_summaries,
    fulfillment_order_history,
    fulfillment_order_lines,
    fulfillment_orders,
    invoices,
    order_item_summaries,
    order_summaries,
    orders,
)
from flows.return_order_records import ReturnOrderRecords
from summary.fulfillment import FulfillmentOrder
from summary.summary import OrderSummary

_ITEM_QUANTITIES = (
    "quantity_canceled",
    "quantity_allocated",
    "quantity_fulfilled",
    "quantity_return_initiated",
    "quantity_returned",
    "quantity_reshipped",
    "discount_returned",
    "tax_returned",
    "adjust_open_discount",
    "adjust_open_tax",
    "adjust_shipped_discount",
    "adjust_shipped_tax",
)


class ConcurrentUpdate(FlowError):
    """Another writer changed the summary since it was loaded; the use case retries."""


class OrderUnitOfWork(OrderRecords, ReturnOrderRecords):
    def __init__(self, engine: Engine, now: Callable[[], datetime]) -> None:
        self._engine = engine
        self._now = now
        self._conn: Connection | None = None
        self._loaded: dict[str, dict[str, tuple[str, tuple[tuple[int, int], ...]]]] = {}
        # what items and groups held when loaded: a save writes only those that changed
        self._parts: dict[str, tuple[dict[str, tuple[int, ...]], dict[str, tuple[Any, ...]]]] = {}
        self._committed = False

    def __enter__(self) -> OrderUnitOfWork:
        self._conn = self._engine.connect()
        self._conn.begin()
        if self._engine.dialect.name == "sqlite":
            self._conn.exec_driver_sql("BEGIN IMMEDIATE")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        conn = self.conn
        try:
            if not self._committed:
                conn.rollback()
        finally:
            conn.close()
            self._conn = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    @property
    def now(self) -> datetime:
        return self._now()

    def commit(self) -> None:
        self.conn.commit()
        self._committed = True

    # -- orders -----------------------------------------------------------------------------

    def add_order(
        self,
        order_number: str,
        summary_id: str,
        fingerprint: str,
        body: str,
        source: str,
        external_id: str | None,
    ) -> None:
        self.conn.execute(
            insert(orders).values(
                order_number=order_number,
                summary_id=summary_id,
                fingerprint=fingerprint,
                body=body,
                source=source,
                external_id=external_id,
                received_at=self.now,
            )
        )

    def order_row(self, order_number: str) -> Row[Any] | None:
        query = select(orders).where(orders.c.order_number == order_number)
        return self.conn.execute(query).one_or_none()

    def summary_id_of(self, key: str) -> str:
        """The summary id for a summary id, an order number or a source's external id."""
        if key.startswith("OS-"):
            found = self.conn.execute(
                select(order_summaries.c.id).where(order_summaries.c.id == key)
            ).scalar_one_or_none()
            if found is not None:
                return str(found)
        return self._summary_id_by_order(key)

    def summary_currency(self, key: str) -> str:
        summary_id = self.summary_id_of(key)
        query = select(order_summaries.c.currency).where(order_summaries.c.id == summary_id)
        return str(self.conn.execute(query).scalar_one())

    def _summary_id_by_order(self, key: str) -> str:
        """The summary id of an order number or a source's external id."""
        query = select(orders.c.summary_id).where(orders.c.order_number == key)
        found = self.conn.execute(query).scalar_one_or_none()
        if found is None:
            query = select(orders.c.summary_id).where(orders.c.external_id == key).limit(1)
            found = self.conn.execute(query).scalar_one_or_none()
        if found is None:
            raise NotFound("order summary", key)
        return str(found)

    # -- summaries --------------------------------------------------------------------------

    def add_summary(self, summary: OrderSummary) -> None:
        payment = summary.payment
        self.conn.execute(
            insert(order_summaries).values(
                id=summary.id,
                order_number=summary.order_number,
                lifecycle=summary.lifecycle,
                currency=summary.currency,
                channel=summary.channel,
                source=summary.source,
                external_id=summary.external_id,
                placed_at=summary.placed_at,
                created_at=self.now,
                version=summary.version,
                authorization_id=payment and payment.authorization_id,
                gateway=payment and payment.gateway,
                authorized=payment.authorized if payment else 0,
                captured=payment.captured if payment else 0,
                refunded=payment.refunded if payment else 0,
                authorization_expires_at=payment and payment.expires_at,
                credit=payment.credit if payment else 0,
                credit_used=payment.credit_used if payment else 0,
                transferred=payment.transferred if payment else 0,
                credit_refunded=payment.credit_refunded if payment else 0,
                exchange_of=summary.exchange_of,
            )
        )
        self.conn.execute(
            insert(order_item_summaries),
            [
                {"summary_id": summary.id, "position": n, **_item_values(item)}
                for n, item in enumerate(summary.items)
            ],
        )
        self.conn.execute(
            insert(delivery_group_summaries),
            [
                {
                    "summary_id": summary.id,
                    "group_id": g.id,
                    "position": n,
                    "method": g.method,
                    "location_id": g.location_id,
                    "delivery_method_id": g.delivery_method_id,
                    "lat": g.lat,
                    "lon": g.lon,
                    "country": g.country,
                    "postal_code": g.postal_code,
                    "charge": g.charge,
                    "charge_tax": g.charge_tax,
                    "charge_invoiced": g.charge_invoiced,
                    "excluded_locations": json.dumps(g.excluded_locations),
                    "charge_canceled": g.charge_canceled,
                    "charge_tax_canceled": g.charge_tax_canceled,
                }
                for n, g in enumerate(summary.groups)
            ],
        )
        self._loaded[summary.id] = {}
        self._parts[summary.id] = _parts_state(summary)
        self._save_fulfillment_orders(summary)

    def summary(self, key: str, *, lock: bool = True) -> OrderSummary:
        """Load a summary by id or order number; ``lock``: for change (serialises writers)."""
        row = self._summary_row(key, lock) if key.startswith("OS-") else None
        if row is None:  # an order number or an external id (or no such summary)
            row = self._summary_row(self._summary_id_by_order(key), lock)
        if row is None:
            raise NotFound("order summary", key)
        summary_id = row.id
        items = self.conn.execute(
            select(order_item_summaries)
            .where(order_item_summaries.c.summary_id == summary_id)
            .order_by(order_item_summaries.c.position)
        ).all()
        groups = self.conn.execute(
            select(delivery_group_summaries)
            .where(delivery_group_summaries.c.summary_id == summary_id)
            .order_by(delivery_group_summaries.c.position)
        ).all()
        summary = OrderSummary(
            id=row.id,
            order_number=row.order_number,
            lifecycle=row.lifecycle,
            currency=row.currency,
            channel=row.channel,
            placed_at=as_utc(row.placed_at),
            items=[item_from_row(r) for r in items],
            groups=[group_from_row(r) for r in groups],
            payment=payment_from_row(row),
            source=row.source,
            external_id=row.external_id,
            fulfillment_orders=list(self._fulfillment_orders(summary_id)),
            version=row.version,
            return_fees=row.return_fees,
            exchange_of=row.exchange_of,
        )
        self._loaded[summary.id] = {fo.id: _fo_state(fo) for fo in summary.fulfillment_orders}
        self._parts[summary.id] = _parts_state(summary)
        return summary

    def _summary_row(self, summary_id: str, lock: bool) -> Row[Any] | None:
        query = select(order_summaries).where(order_summaries.c.id == summary_id)
        if lock and self._engine.dialect.name == "postgresql":
            query = query.with_for_update()
        return self.conn.execute(query).one_or_none()

    def _fulfillment_orders(self, summary_id: str) -> Iterator[FulfillmentOrder]:
        fos = self.conn.execute(
            select(fulfillment_orders)
            .where(fulfillment_orders.c.summary_id == summary_id)
            .order_by(fulfillment_orders.c.position)
        ).all()
        yield from self._assembled(fos)

    def _assembled(self, fos: Sequence[Row[Any]]) -> list[FulfillmentOrder]:
        """FO rows with their lines and invoice ids: two more statements, however many FOs
        (the invoices only once some unit has shipped)."""
        if not fos:
            return []
        ids = [fo.id for fo in fos]
        lines = self.conn.execute(
            select(fulfillment_order_lines)
            .where(fulfillment_order_lines.c.fulfillment_order_id.in_(ids))
            .order_by(fulfillment_order_lines.c.position)
        ).all()
        billed: Sequence[Any] = ()
        if any(r.quantity_fulfilled for r in lines):  # invoices exist only once units shipped
            billed = self.conn.execute(
                select(invoices.c.id, invoices.c.fulfillment_order_id)
                .where(invoices.c.fulfillment_order_id.in_(ids))
                .order_by(invoices.c.created_at, invoices.c.id)
            ).all()
        lines_of: dict[str, list[Any]] = {fo_id: [] for fo_id in ids}
        for line in lines:
            lines_of[line.fulfillment_order_id].append(line)
        invoices_of: dict[str, list[str]] = {fo_id: [] for fo_id in ids}
        for invoice in billed:
            invoices_of[invoice.fulfillment_order_id].append(invoice.id)
        return [fo_from_rows(fo, lines_of[fo.id], invoices_of[fo.id]) for fo in fos]

    def save_summary(self, summary: OrderSummary) -> None:
        """Write what changed; raise :class:`ConcurrentUpdate` if another writer saved first."""
        payment = summary.payment
        result = self.conn.execute(
            update(order_summaries)
            .where(
                and_(
                    order_summaries.c.id == summary.id, order_summaries.c.version == summary.version
                )
            )
            .values(
                version=summary.version + 1,
                captured=payment.captured if payment else 0,
                refunded=payment.refunded if payment else 0,
                credit_used=payment.credit_used if payment else 0,
                transferred=payment.transferred if payment else 0,
                credit_refunded=payment.credit_refunded if payment else 0,
                return_fees=summary.return_fees,
            )
        )
        if result.rowcount != 1:
            raise ConcurrentUpdate(f"order summary {summary.id} changed meanwhile")
        summary.version += 1
        items_before, groups_before = self._parts.get(summary.id, ({}, {}))
        items_now, groups_now = _parts_state(summary)
        table = order_item_summaries
        known = summary.id in self._parts  # else: not loaded here, so every row exists
        added = [i for i in summary.items if known and i.line_id not in items_before]
        if added:  # reshipment lines
            self.conn.execute(
                insert(order_item_summaries),
                [
                    {"summary_id": summary.id, "position": summary.items.index(i)} | _item_values(i)
                    for i in added
                ],
            )
        changed_items = [
            i for i in summary.items if not known or _changed(items_before, items_now, i.line_id)
        ]
        if changed_items:
            self.conn.execute(
                update(table)
                .where(and_(table.c.summary_id == summary.id, table.c.line_id == _bind("b_line")))
                .values({name: _bind(f"b_{name}") for name in _ITEM_QUANTITIES}),
                [
                    {"b_line": i.line_id, **{f"b_{n}": getattr(i, n) for n in _ITEM_QUANTITIES}}
                    for i in changed_items
                ],
            )
        groups = delivery_group_summaries
        changed_groups = [g for g in summary.groups if groups_before.get(g.id) != groups_now[g.id]]
        if changed_groups:
            self.conn.execute(
                update(groups)
                .where(
                    and_(groups.c.summary_id == summary.id, groups.c.group_id == _bind("b_group"))
                )
                .values(
                    charge_invoiced=_bind("b_invoiced"),
                    excluded_locations=_bind("b_excluded"),
                    charge_canceled=_bind("b_canceled"),
                    charge_tax_canceled=_bind("b_tax_canceled"),
                ),
                [
                    {
                        "b_group": g.id,
                        "b_invoiced": g.charge_invoiced,
                        "b_excluded": json.dumps(g.excluded_locations),
                        "b_canceled": g.charge_canceled,
                        "b_tax_canceled": g.charge_tax_canceled,
                    }
                    for g in changed_groups
                ],
            )
        self._parts[summary.id] = (items_now, groups_now)
        self._save_fulfillment_orders(summary)

    def _save_fulfillment_orders(self, summary: OrderSummary) -> None:
        loaded = self._loaded.setdefault(summary.id, {})
        now = self.now
        for position, fo in enumerate(summary.fulfillment_orders):
            state = _fo_state(fo)
            before = loaded.get(fo.id)
            if before == state:
                continue
            if before is None:
                self._insert_fo(fo, position, now)
            else:
                self._update_fo(fo, before, now)
            loaded[fo.id] = state

    def _insert_fo(self, fo: FulfillmentOrder, position: int, now: datetime) -> None:
        self.conn.execute(
            insert(fulfillment_orders).values(
                id=fo.id,
                summary_id=fo.order_summary_id,
                position=position,
                delivery_group=fo.delivery_group,
                location_id=fo.location_id,
                fulfillment_type=fo.fulfillment_type,
                status=fo.status,
                reservation_id=fo.reservation_id,
                reason=fo.reason,
                created_at=now,
                updated_at=now,
            )
        )
        self.conn.execute(
            insert(fulfillment_order_lines),
            [
                {
                    "fulfillment_order_id": fo.id,
                    "line_id": line.line_id,
                    "position": n,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "quantity_fulfilled": line.quantity_fulfilled,
                    "quantity_canceled": line.quantity_canceled,
                }
                for n, line in enumerate(fo.lines)
            ],
        )
        self._history(fo, now)

    def _update_fo(
        self, fo: FulfillmentOrder, before: tuple[str, tuple[tuple[int, int], ...]], now: datetime
    ) -> None:
        old_status, old_lines = before
        self.conn.execute(
            update(fulfillment_orders)
            .where(fulfillment_orders.c.id == fo.id)
            .values(status=fo.status, reason=fo.reason, updated_at=now)
        )
        lines = fulfillment_order_lines
        changed = [
            line
            for line, old in zip(fo.lines, old_lines, strict=True)
            if (line.quantity_fulfilled, line.quantity_canceled) != old
        ]
        if changed:
            self.conn.execute(
                update(lines)
                .where(
                    and_(lines.c.fulfillment_order_id == fo.id, lines.c.line_id == _bind("b_line"))
                )
                .values(quantity_fulfilled=_bind("b_done"), quantity_canceled=_bind("b_canceled")),
                [
                    {
                        "b_line": line.line_id,
                        "b_done": line.quantity_fulfilled,
                        "b_canceled": line.quantity_canceled,
                    }
                    for line in changed
                ],
            )
        if fo.status != old_status:
            self._history(fo, now)

    def _history(self, fo: FulfillmentOrder, now: datetime) -> None:
        self.conn.execute(
            insert(fulfillment_order_history).values(
                fulfillment_order_id=fo.id, status=fo.status, at=now
            )
        )

    def activate_drafts(self, summary_id: str, fo_ids: Sequence[str]) -> int:
        """Draft → Allocated for ``fo_ids`` of one summary, without loading it; the summary's
        version moves as on any save. Returns how many FOs were Draft and moved."""
        now = self.now
        bumped = self.conn.execute(
            update(order_summaries)
            .where(order_summaries.c.id == summary_id)
            .values(version=order_summaries.c.version + 1)
        )
        moved = self.conn.execute(
            update(fulfillment_orders)
            .where(
                and_(
                    fulfillment_orders.c.id.in_(list(fo_ids)),
                    fulfillment_orders.c.status == "Draft",
                )
            )
            .values(status="Allocated", updated_at=now)
        )
        if bumped.rowcount != 1:
            return 0
        self.conn.execute(
            insert(fulfillment_order_history),
            [{"fulfillment_order_id": f, "status": "Allocated", "at": now} for f in fo_ids],
        )
        return int(moved.rowcount)

    def fulfillment_order_summary_id(
        self, fo_id: str, visible: frozenset[str] | None = None
    ) -> str:
        """The FO's summary id; NotFound also when the FO's location is not in ``visible``
        (a store key's own locations: another location's FO does not exist for it)."""
        table = fulfillment_orders
        query = select(table.c.summary_id, table.c.location_id).where(table.c.id == fo_id)
        found = self.conn.execute(query).one_or_none()
        if found is None or (visible is not None and found.location_id not in visible):
            raise NotFound("fulfillment order", fo_id)
        return str(found.summary_id)

    def fulfillment_order_history(self, fo_id: str) -> list[tuple[str, datetime]]:
        table = fulfillment_order_history
        query = (
            select(table.c.status, table.c.at)
            .where(table.c.fulfillment_order_id == fo_id)
            .order_by(table.c.id)
        )
        return [(r.status, as_utc(r.at)) for r in self.conn.execute(query)]

    def fulfillment_order_page(
        self,
        *,
        location_id: str | None,
        status: str | None,
        after: str | None,
        limit: int,
        visible: frozenset[str] | None = None,
    ) -> list[FulfillmentOrder]:
        """A page of FOs ordered by id (a store's work queue); ``after``: the cursor;
        ``visible``: only these locations' FOs (None: every location's). At most three
        statements whatever the page's size: the FOs, their lines, their invoices."""
        table = fulfillment_orders
        query = select(table).order_by(table.c.id).limit(limit)
        if location_id is not None:
            query = query.where(table.c.location_id == location_id)
        if visible is not None:
            query = query.where(table.c.location_id.in_(sorted(visible)))
        if status is not None:
            query = query.where(table.c.status == status)
        if after is not None:
            query = query.where(table.c.id > after)
        return self._assembled(self.conn.execute(query).all())

    def stale_drafts(self, older_than: datetime) -> list[tuple[str, str]]:
        """``(fo id, summary id)`` of Draft FOs not touched since ``older_than``."""
        table = fulfillment_orders
        query = select(table.c.id, table.c.summary_id).where(
            and_(table.c.status == "Draft", table.c.updated_at < older_than)
        )
        return [(r.id, r.summary_id) for r in self.conn.execute(query)]

    def fulfillment_order_states(self, fo_ids: Sequence[str]) -> dict[str, str]:
        table = fulfillment_orders
        query = select(table.c.id, table.c.status).where(table.c.id.in_(list(fo_ids)))
        return {r.id: r.status for r in self.conn.execute(query)}


def _changed(before: dict[str, Any], now: dict[str, Any], key: str) -> bool:
    """An existing part whose state differs (a new one is inserted, not changed)."""
    return key in before and before[key] != now[key]


def _bind(name: str) -> Any:
    return bindparam(name)


def _item_values(item: Any) -> dict[str, Any]:
    return {
        "line_id": item.line_id,
        "sku": item.sku,
        "delivery_group": item.delivery_group,
        "unit_price": item.unit_price,
        "tax": item.tax,
        "discount": item.discount,
        "quantity_ordered": item.quantity_ordered,
        "reship_of": item.reship_of,
        **{name: getattr(item, name) for name in _ITEM_QUANTITIES},
    }


def _fo_state(fo: FulfillmentOrder) -> tuple[str, tuple[tuple[int, int], ...]]:
    return fo.status, tuple((line.quantity_fulfilled, line.quantity_canceled) for line in fo.lines)


def _parts_state(
    summary: OrderSummary,
) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[Any, ...]]]:
    items = {i.line_id: tuple(getattr(i, n) for n in _ITEM_QUANTITIES) for i in summary.items}
    groups = {
        g.id: (
            g.charge_invoiced,
            tuple(g.excluded_locations),
            g.charge_canceled,
            g.charge_tax_canceled,
        )
        for g in summary.groups
    }
    return items, groups
