"""Return Orders (RMA) in the database: a mixin of the order unit of work.

``lines``: a JSON list of the lines and their quantities; ``change_order_ids``: a JSON list
with one entry per receipt, {"change_order_id", "key", "fingerprint"} (the change order is
null when the receipt returned nothing; ``key``/``fingerprint`` make receipts idempotent).
The ``idempotency_key``/``fingerprint`` columns: those of the creation.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, insert, select, update

from flows.order_records import NotFound, as_utc
from flows.order_schema import return_orders
from summary.return_order import Receipt, ReturnOrder, ReturnOrderLine


class ReturnOrderRecords:
    @property
    def conn(self) -> Connection:
        raise NotImplementedError

    @property
    def now(self) -> datetime:
        raise NotImplementedError

    def add_return_order(self, ro: ReturnOrder, *, key: str | None, fingerprint: str) -> None:
        now = self.now
        self.conn.execute(
            insert(return_orders).values(
                id=ro.id,
                summary_id=ro.order_summary_id,
                idempotency_key=key,
                fingerprint=fingerprint,
                created_at=now,
                updated_at=now,
                **_return_order_values(ro),
            )
        )

    def save_return_order(self, ro: ReturnOrder) -> None:
        self.conn.execute(
            update(return_orders)
            .where(return_orders.c.id == ro.id)
            .values(updated_at=self.now, **_return_order_values(ro))
        )

    def return_order(self, ro_id: str) -> StoredReturnOrder:
        query = select(return_orders).where(return_orders.c.id == ro_id)
        row = self.conn.execute(query).one_or_none()
        if row is None:
            raise NotFound("return order", ro_id)
        return _return_order_from_row(row)

    def return_order_summary_id(self, ro_id: str) -> str:
        """The summary of a return order (read without a lock: load the summary for change
        next, then the return order, so writers of one return order serialise on it)."""
        query = select(return_orders.c.summary_id).where(return_orders.c.id == ro_id)
        found = self.conn.execute(query).scalar_one_or_none()
        if found is None:
            raise NotFound("return order", ro_id)
        return str(found)

    def return_order_by_key(
        self, summary_id: str, key: str
    ) -> tuple[StoredReturnOrder, str] | None:
        """The return order created with ``key`` on that summary, and its body's fingerprint."""
        query = select(return_orders).where(
            and_(return_orders.c.summary_id == summary_id, return_orders.c.idempotency_key == key)
        )
        row = self.conn.execute(query).one_or_none()
        return None if row is None else (_return_order_from_row(row), str(row.fingerprint))

    def return_orders_of(self, summary_id: str) -> list[StoredReturnOrder]:
        query = (
            select(return_orders)
            .where(return_orders.c.summary_id == summary_id)
            .order_by(return_orders.c.created_at, return_orders.c.id)
        )
        return [_return_order_from_row(r) for r in self.conn.execute(query)]


class StoredReturnOrder(NamedTuple):
    order: ReturnOrder
    created_at: datetime
    updated_at: datetime


def _return_order_values(ro: ReturnOrder) -> dict[str, Any]:
    lines = [dataclasses.asdict(x) for x in ro.lines]  # read back as ReturnOrderLine(**x)
    receipts = [
        {"change_order_id": r.change_order_id, "key": r.key, "fingerprint": r.fingerprint}
        for r in ro.receipts
    ]
    return {
        "status": ro.status,
        "location_id": ro.location_id,
        "lines": json.dumps(lines, separators=(",", ":")),
        "change_order_ids": json.dumps(receipts, separators=(",", ":")),
    }


def _return_order_from_row(row: Any) -> StoredReturnOrder:
    order = ReturnOrder(
        id=row.id,
        order_summary_id=row.summary_id,
        lines=[ReturnOrderLine(**x) for x in json.loads(row.lines)],
        location_id=row.location_id,
        status=row.status,
        receipts=[
            Receipt(r["key"], r["fingerprint"], r["change_order_id"])
            for r in json.loads(row.change_order_ids)
        ],
    )
    return StoredReturnOrder(order, as_utc(row.created_at), as_utc(row.updated_at))
