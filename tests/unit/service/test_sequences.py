"""Random sequences of intake, FO creation, shipment, FO line cancel, rejection and cancel on
the pure domain: the quantity algebra, the statuses and the money hold after every step.

A shadow model, written from DESIGN.md and the reference (b.2), follows every action and
the summary is compared with it. The money rules checked:

- the summary's totals are the original's minus its change orders (per component);
- a change order's ``capture_reduced + refund`` is its total, and ``refund`` is only delivery
  charge given back after the group's first shipment (captured: excess funds);
- invoices take each line's discount and tax as floors of the cumulative share from the
  start, the group's delivery charge once (its first shipment), each unit once;
- what the invoices charge net of refunds never exceeds the grand total, and equals it once
  every unit not canceled has shipped (a group canceled whole gives back what is left of its
  charge, prorated or not: it will never ship, so no invoice could take it).

Every refused request raises and leaves the summary exactly as it was.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from service.cancel import apply_cancel, plan_cancel
from service.changes import ChangeLine, ChangeOrder
from summary.errors import IllegalTransition, InvalidRequest
from summary.fulfillment import FORWARD, FoStatus
from summary.invoice import Invoice
from summary.order import Order
from summary.summary import OrderSummary, summary_from_order
from tests.unit.summary.builders import (
    allocate,
    design_grand_total,
    orders,
    w1001,
    w1001_summary,
)

ACTIVE = ("Allocated", "Assigned", "Pick Complete", "Pack Complete")
TERMINAL = ("Fulfilled", "Canceled", "Rejected")
LINES_CANCELABLE = ("Allocated", "Assigned")  # FO units can be taken off before picking


def reference_status(ordered: int, canceled: int, allocated: int, fulfilled: int) -> str:
    """The reference's b.2 precedence list, for the statuses reachable without returns."""
    quantity = ordered - canceled
    if quantity == 0 and canceled > 0:
        return "canceled"
    if quantity > 0 and quantity <= fulfilled:
        return "fulfilled"
    if quantity > 0 and fulfilled > 0:
        return "partially fulfilled"
    if quantity > 0 and quantity <= allocated:
        return "allocated"
    if quantity > 0 and allocated > 0:
        return "partially allocated"
    return "ordered"


@dataclass
class FoModel:
    group: str
    location: str
    status: str
    quantity: dict[str, int]
    fulfilled: dict[str, int] = field(default_factory=dict)
    canceled: dict[str, int] = field(default_factory=dict)

    def open(self, line_id: str) -> int:
        return (
            self.quantity[line_id] - self.fulfilled.get(line_id, 0) - self.canceled.get(line_id, 0)
        )

    @property
    def units_open(self) -> int:
        return sum(self.open(line_id) for line_id in self.quantity)


@dataclass
class LineModel:
    group: str
    unit_price: int
    tax: int
    discount: int  # the line's own discount plus its share of order discounts
    ordered: int
    canceled: int = 0
    allocated: int = 0
    fulfilled: int = 0

    @property
    def available(self) -> int:
        return self.ordered - self.canceled - self.allocated


@dataclass
class GroupModel:
    charge: int
    charge_tax: int
    charge_net: int
    charge_tax_net: int
    invoiced: bool = False
    invoiced_delivery: int = 0  # charge + tax on the group's first invoice
    refunded: int = 0
    excluded: list[str] = field(default_factory=list)


def _floor_share(amount: int, units: int, whole: int) -> int:
    return amount * units // whole


class OrderSequences(RuleBasedStateMachine):
    """One order, then random service actions; the invariants run after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.order: Order | None = None
        self.summary: OrderSummary
        self.lines: dict[str, LineModel] = {}
        self.groups: dict[str, GroupModel] = {}
        self.fos: dict[str, FoModel] = {}
        self.invoices: list[Invoice] = []
        self.changes: list[ChangeOrder] = []
        self.counter = 0

    # --- set up ------------------------------------------------------------------------

    @initialize(order=orders())
    def intake(self, order: Order) -> None:
        self.order = order
        self.summary = summary_from_order(order, "OS-1")
        for item in self.summary.items:
            self.lines[item.line_id] = LineModel(
                group=item.delivery_group,
                unit_price=item.unit_price,
                tax=item.tax,
                discount=item.discount,
                ordered=item.quantity_ordered,
            )
        # the order discounts are spread over the lines exactly
        line_discounts = sum(line.discount for line in order.lines)
        order_discounts = sum(d.amount for d in order.discounts)
        assert sum(m.discount for m in self.lines.values()) == line_discounts + order_discounts
        for g in order.delivery_groups:
            self.groups[g.id] = GroupModel(g.charge, g.charge_tax, g.charge, g.charge_tax)

    def _next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    # --- helpers -----------------------------------------------------------------------

    def _fos_in(self, statuses: tuple[str, ...]) -> list[str]:
        return [fo_id for fo_id, fo in self.fos.items() if fo.status in statuses]

    def _groups_with_available(self) -> list[str]:
        return sorted({m.group for m in self.lines.values() if m.available > 0})

    def _cancelable_lines(self) -> list[str]:
        return [line_id for line_id, m in self.lines.items() if m.available > 0]

    def _pick_quantities(
        self,
        data: st.DataObject,
        open_units: dict[str, int],
        label: str,
        max_lines: int | None = None,
    ) -> list[tuple[str, int]]:
        """A non-empty subset of ``open_units`` (line → units > 0) with 1..n units each;
        sometimes a line is named twice, split in two parts."""
        candidates = sorted(line_id for line_id, n in open_units.items() if n > 0)
        chosen = data.draw(
            st.lists(st.sampled_from(candidates), min_size=1, max_size=max_lines, unique=True),
            label=label,
        )
        asked: list[tuple[str, int]] = []
        for line_id in chosen:
            count = data.draw(st.integers(1, open_units[line_id]), label=f"{label} {line_id}")
            if count > 1 and data.draw(st.booleans(), label="split"):
                asked += [(line_id, 1), (line_id, count - 1)]
            else:
                asked.append((line_id, count))
        return asked

    @staticmethod
    def _summed(lines: list[tuple[str, int]]) -> dict[str, int]:
        total: dict[str, int] = {}
        for line_id, count in lines:
            total[line_id] = total.get(line_id, 0) + count
        return total

    def _refused(self, error: type[Exception], action: Callable[[], object]) -> None:
        before = copy.deepcopy(self.summary)
        with pytest.raises(error):
            action()
        assert self.summary == before, "a refused request changed the summary"

    # --- actions -----------------------------------------------------------------------

    @precondition(lambda self: bool(self._groups_with_available()))
    @rule(data=st.data())
    def create_fulfillment_order(self, data: st.DataObject) -> None:
        group_id = data.draw(st.sampled_from(self._groups_with_available()), label="group")
        available = {i: m.available for i, m in self.lines.items() if m.group == group_id}
        asked = self._pick_quantities(data, available, "allocate")
        location = data.draw(st.sampled_from(["DC1", "DC2", "ST1"]), label="location")
        fo_id = self._next_id("FO")
        fo = self.summary.add_fulfillment_order(
            fo_id=fo_id,
            group_id=group_id,
            location_id=location,
            fulfillment_type=self.summary.group(group_id).method,
            lines=asked,
            reservation_id=f"R-{fo_id}",
        )
        assert fo.status == "Draft"
        summed = self._summed(asked)
        self.fos[fo_id] = FoModel(group_id, location, "Draft", summed)
        event("action: create FO")
        for line_id, count in summed.items():
            self.lines[line_id].allocated += count
        if data.draw(st.integers(0, 9), label="activate") > 0:  # mostly: Allocated at once
            self.summary.set_status(fo_id, "Allocated")
            self.fos[fo_id].status = "Allocated"

    @precondition(lambda self: bool(self._fos_in(("Draft", *ACTIVE[:-1]))))
    @rule(data=st.data())
    def advance_fulfillment_order(self, data: st.DataObject) -> None:
        fo_id = data.draw(st.sampled_from(self._fos_in(("Draft", *ACTIVE[:-1]))), label="fo")
        current = self.fos[fo_id].status
        later = ["Allocated"] if current == "Draft" else list(ACTIVE[ACTIVE.index(current) + 1 :])
        status = data.draw(st.sampled_from(later), label="status")
        self.summary.set_status(fo_id, status)  # type: ignore[arg-type]
        self.fos[fo_id].status = status
        event("action: advance FO")

    @precondition(lambda self: bool(self._fos_in(ACTIVE)))
    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        fo_id = data.draw(st.sampled_from(self._fos_in(ACTIVE)), label="fo")
        model = self.fos[fo_id]
        open_units = {line_id: model.open(line_id) for line_id in model.quantity}
        lines: list[tuple[str, int]] | None
        if data.draw(st.booleans(), label="everything open"):
            lines, shipped = None, {i: n for i, n in open_units.items() if n}
        else:
            lines = self._pick_quantities(data, open_units, "ship")
            shipped = self._summed(lines)
        invoice_id = self._next_id("INV")
        group = self.groups[model.group]
        first = not group.invoiced
        expected_lines = {}
        for line_id, count in shipped.items():
            m = self.lines[line_id]
            done = m.fulfilled
            expected_lines[line_id] = (
                count,
                m.unit_price * count,
                _floor_share(m.discount, done + count, m.ordered)
                - _floor_share(m.discount, done, m.ordered),
                _floor_share(m.tax, done + count, m.ordered) - _floor_share(m.tax, done, m.ordered),
            )

        invoice = self.summary.ship(fo_id, lines, invoice_id)

        assert (invoice.id, invoice.order_summary_id, invoice.fulfillment_order_id) == (
            invoice_id,
            "OS-1",
            fo_id,
        )
        got = {
            line.line_id: (line.quantity, line.amount, line.discount, line.tax)
            for line in invoice.lines
        }
        assert len(got) == len(invoice.lines), "an invoice names a line twice"
        assert got == expected_lines
        if first:
            assert (invoice.delivery, invoice.delivery_tax) == (
                group.charge_net,
                group.charge_tax_net,
            )
            group.invoiced = True
            group.invoiced_delivery = group.charge_net + group.charge_tax_net
        else:
            assert (invoice.delivery, invoice.delivery_tax) == (0, 0)
        self.invoices.append(invoice)
        event("action: ship, all open" if lines is None else "action: ship, some")
        for line_id, count in shipped.items():
            self.lines[line_id].fulfilled += count
            model.fulfilled[line_id] = model.fulfilled.get(line_id, 0) + count
        if model.units_open == 0:
            model.status = "Fulfilled"

    @precondition(lambda self: bool(self._fos_in(LINES_CANCELABLE)))
    @rule(data=st.data())
    def cancel_fulfillment_lines(self, data: st.DataObject) -> None:
        fo_id = data.draw(st.sampled_from(self._fos_in(LINES_CANCELABLE)), label="fo")
        model = self.fos[fo_id]
        open_units = {line_id: model.open(line_id) for line_id in model.quantity}
        asked = self._pick_quantities(data, open_units, "take off")
        released = self.summary.cancel_fulfillment_lines(fo_id, asked)
        summed = self._summed(asked)
        assert dict(released) == summed
        for line_id, count in summed.items():
            model.canceled[line_id] = model.canceled.get(line_id, 0) + count
            self.lines[line_id].allocated -= count
        if model.units_open == 0:  # what shipped stays shipped
            model.status = "Fulfilled" if any(model.fulfilled.values()) else "Canceled"
        event("action: take units off an FO")
        if any(model.fulfilled.values()):
            event("took units off an FO that shipped some")

    @precondition(lambda self: bool(self._fos_in(("Draft", *ACTIVE))))
    @rule(data=st.data())
    def end_fulfillment_order(self, data: st.DataObject) -> None:
        """Rejected by its location (not from Draft) or canceled whole: open units go back."""
        fo_id = data.draw(st.sampled_from(self._fos_in(("Draft", *ACTIVE))), label="fo")
        model = self.fos[fo_id]
        choices = ["Canceled"] if model.status == "Draft" else ["Rejected", "Canceled"]
        status = data.draw(st.sampled_from(choices), label="end as")
        open_units = {i: model.open(i) for i in model.quantity if model.open(i)}
        released = self.summary.release_open(fo_id, status, "not_in_stock")  # type: ignore[arg-type]
        assert dict(released) == open_units
        for line_id, count in open_units.items():
            model.canceled[line_id] = model.canceled.get(line_id, 0) + count
            self.lines[line_id].allocated -= count
        model.status = status
        event(f"action: FO {status}")
        if any(model.fulfilled.values()):
            event(f"FO {status} after shipping some")
        if status == "Rejected" and model.location not in self.groups[model.group].excluded:
            self.groups[model.group].excluded.append(model.location)

    @precondition(lambda self: bool(self._cancelable_lines()))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        available = {i: m.available for i, m in self.lines.items()}
        asked = self._pick_quantities(data, available, "cancel", max_lines=2)
        prorate = data.draw(st.booleans(), label="prorate delivery")
        change_id = self._next_id("CO")
        summed = self._summed(asked)

        before = copy.deepcopy(self.summary)
        change = plan_cancel(
            self.summary, change_id, asked, "customer_request", prorate_delivery=prorate
        )
        assert self.summary == before, "plan_cancel changed the summary"

        # expected lines: price of the units, their shares taken from the end of the line
        expected_lines = {}
        for line_id, count in summed.items():
            m = self.lines[line_id]
            keep = m.ordered - m.canceled
            expected_lines[line_id] = ChangeLine(
                line_id,
                self.summary.item(line_id).sku,
                count,
                m.unit_price * count,
                _floor_share(m.discount, keep, m.ordered)
                - _floor_share(m.discount, keep - count, m.ordered),
                _floor_share(m.tax, keep, m.ordered) - _floor_share(m.tax, keep - count, m.ordered),
            )
        assert {line.line_id: line for line in change.lines} == expected_lines
        assert len(change.lines) == len(expected_lines)

        # expected delivery: a group's last units take what is left of its charge with them
        # (it will never ship); a prorated cancel leaves each touched group charge × left / whole
        delivery = delivery_tax = refund = 0
        new_net: dict[str, tuple[int, int]] = {}
        for group_id, g in self.groups.items():
            if not any(self.lines[i].group == group_id for i in summed):
                continue
            members = [m for i, m in self.lines.items() if m.group == group_id]
            whole = sum(m.ordered for m in members)
            left = sum(
                m.ordered - m.canceled - summed.get(i, 0)
                for i, m in self.lines.items()
                if m.group == group_id
            )
            if left == 0 or prorate:
                charge = _floor_share(g.charge, left, whole)
                tax = _floor_share(g.charge_tax, left, whole)
                give, give_tax = g.charge_net - charge, g.charge_tax_net - tax
                assert give >= 0 and give_tax >= 0
                delivery, delivery_tax = delivery + give, delivery_tax + give_tax
                if g.invoiced:
                    refund += give + give_tax
                new_net[group_id] = (charge, tax)
        assert (change.delivery, change.delivery_tax, change.refund) == (
            delivery,
            delivery_tax,
            refund,
        )
        assert (change.id, change.order_summary_id, change.kind, change.reason) == (
            change_id,
            "OS-1",
            "cancel",
            "customer_request",
        )
        assert change.capture_reduced + change.refund == change.total
        assert change.capture_reduced >= 0 and change.refund >= 0

        apply_cancel(self.summary, change)
        self.changes.append(change)
        event("action: cancel, prorated" if prorate else "action: cancel")
        if change.refund:
            event("cancel refunds delivery already invoiced")
        for line_id, count in summed.items():
            self.lines[line_id].canceled += count
        for group_id, (charge, tax) in new_net.items():
            g = self.groups[group_id]
            if g.invoiced:
                g.refunded += (g.charge_net - charge) + (g.charge_tax_net - tax)
            g.charge_net, g.charge_tax_net = charge, tax

        # applying the same change again: refused when its units are no longer available
        if any(self.lines[i].available < n for i, n in summed.items()):
            self._refused(InvalidRequest, lambda: apply_cancel(self.summary, change))

    # --- refused requests --------------------------------------------------------------

    @rule(data=st.data())
    def refused_request(self, data: st.DataObject) -> None:
        """A request the summary cannot honour raises and changes nothing."""
        s = self.summary
        kinds: dict[str, tuple[type[Exception], Callable[[], object]]] = {}
        line_ids = sorted(self.lines)
        line_id = data.draw(st.sampled_from(line_ids), label="line")
        m = self.lines[line_id]

        def new_fo(
            lines: list[tuple[str, int]], group: str = m.group, fo_id: str = "FO-X"
        ) -> Callable[[], object]:
            return lambda: s.add_fulfillment_order(
                fo_id=fo_id,
                group_id=group,
                location_id="DC1",
                fulfillment_type="ship",
                lines=lines,
                reservation_id=None,
                status="Allocated",
            )

        kinds["fo: more than available"] = (InvalidRequest, new_fo([(line_id, m.available + 1)]))
        if m.available:
            kinds["fo: named twice, more in all"] = (
                InvalidRequest,
                new_fo([(line_id, m.available), (line_id, 1)]),
            )
        kinds["fo: zero units"] = (InvalidRequest, new_fo([(line_id, 0)]))
        kinds["fo: no lines"] = (InvalidRequest, new_fo([]))
        kinds["fo: unknown line"] = (InvalidRequest, new_fo([("nope", 1)]))
        kinds["fo: unknown group"] = (InvalidRequest, new_fo([(line_id, 1)], group="DG-nope"))
        other_groups = sorted({g for g in self.groups if g != m.group})
        if other_groups and m.available:
            kinds["fo: line of another group"] = (
                InvalidRequest,
                new_fo([(line_id, 1)], group=other_groups[0]),
            )
        if self.fos and m.available:
            kinds["fo: id taken"] = (
                InvalidRequest,
                new_fo([(line_id, 1)], fo_id=next(iter(self.fos))),
            )
        kinds["cancel: more than available"] = (
            InvalidRequest,
            lambda: plan_cancel(s, "CO-X", [(line_id, m.available + 1)], "r"),
        )
        if m.available:
            kinds["cancel: named twice, more in all"] = (
                InvalidRequest,
                lambda: plan_cancel(s, "CO-X", [(line_id, m.available), (line_id, 1)], "r"),
            )
        kinds["cancel: zero units"] = (
            InvalidRequest,
            lambda: plan_cancel(s, "CO-X", [(line_id, 0)], "r", prorate_delivery=True),
        )
        kinds["cancel: no lines"] = (InvalidRequest, lambda: plan_cancel(s, "CO-X", [], "r"))
        kinds["cancel: unknown line"] = (
            InvalidRequest,
            lambda: plan_cancel(s, "CO-X", [("nope", 1)], "r"),
        )
        forged = ChangeOrder(
            "CO-F",
            "OS-1",
            "cancel",
            "r",
            (ChangeLine(line_id, "SKU", m.available + 1, 0, 0, 0),),
            1,
            1,
            0,
            2,
        )
        kinds["cancel: apply more than available"] = (
            InvalidRequest,
            lambda: apply_cancel(s, forged),
        )
        kinds["fo: unknown id"] = (InvalidRequest, lambda: s.ship("FO-nope", None, "INV-X"))
        for status in TERMINAL:
            kinds[f"set_status {status}"] = (
                InvalidRequest,
                lambda status=status: s.set_status(  # type: ignore[misc]
                    next(iter(self.fos), "FO-nope"), status
                ),
            )
        if self.fos:
            fo_id = data.draw(st.sampled_from(sorted(self.fos)), label="fo")
            fo = self.fos[fo_id]
            fo_line = data.draw(st.sampled_from(sorted(fo.quantity)), label="fo line")
            over = [(fo_line, fo.open(fo_line) + 1)]
            if fo.status in ACTIVE:
                kinds["ship: more than open"] = (InvalidRequest, lambda: s.ship(fo_id, over, "X"))
                kinds["ship: zero units"] = (
                    InvalidRequest,
                    lambda: s.ship(fo_id, [(fo_line, 0)], "X"),
                )
                kinds["ship: line not on the FO"] = (
                    InvalidRequest,
                    lambda: s.ship(fo_id, [("nope", 1)], "X"),
                )
                kinds["ship: no lines"] = (InvalidRequest, lambda: s.ship(fo_id, [], "X"))
            else:
                kinds["ship: not active"] = (IllegalTransition, lambda: s.ship(fo_id, None, "X"))
            if fo.status in LINES_CANCELABLE:
                kinds["fo lines: more than open"] = (
                    InvalidRequest,
                    lambda: s.cancel_fulfillment_lines(fo_id, over),
                )
                kinds["fo lines: no lines"] = (
                    InvalidRequest,
                    lambda: s.cancel_fulfillment_lines(fo_id, []),
                )
            else:
                kinds["fo lines: picking started or ended"] = (
                    IllegalTransition,
                    lambda: s.cancel_fulfillment_lines(fo_id, [(fo_line, 1)]),
                )
            if fo.status in ("Draft", *TERMINAL):
                kinds["reject: Draft or ended"] = (
                    IllegalTransition,
                    lambda: s.release_open(fo_id, "Rejected", "x"),
                )
            if fo.status in TERMINAL:
                kinds["cancel fo: ended"] = (
                    IllegalTransition,
                    lambda: s.release_open(fo_id, "Canceled", "x"),
                )
            backwards: list[FoStatus]
            if fo.status == "Draft":
                backwards = [f for f in FORWARD[:-1] if f != "Allocated"]
            elif fo.status in ACTIVE:
                backwards = [
                    f for f in FORWARD[:-1] if FORWARD.index(f) <= FORWARD.index(fo.status)
                ]
            else:
                backwards = list(FORWARD[:-1])
            back = data.draw(st.sampled_from(backwards), label="back to")
            kinds["set_status: back, same, or after the end"] = (
                IllegalTransition,
                lambda: s.set_status(fo_id, back),
            )
        kind = data.draw(st.sampled_from(sorted(kinds)), label="refused request")
        event(f"refused: {kind}")
        error, action = kinds[kind]
        self._refused(error, action)

    # --- invariants --------------------------------------------------------------------

    @invariant()
    def quantities_follow_the_model(self) -> None:
        for item in self.summary.items:
            m = self.lines[item.line_id]
            assert (
                item.quantity_ordered,
                item.quantity_canceled,
                item.quantity_allocated,
                item.quantity_fulfilled,
            ) == (m.ordered, m.canceled, m.allocated, m.fulfilled)
            assert 0 <= item.quantity_canceled <= item.quantity_ordered
            assert item.quantity_allocated >= 0 and item.quantity_fulfilled >= 0
            assert item.quantity_canceled + item.quantity_allocated <= item.quantity_ordered
            assert item.quantity_available_to_fulfill == m.available >= 0
            assert item.quantity_available_to_cancel == item.quantity_available_to_fulfill
            assert item.quantity_fulfilled <= item.quantity_allocated  # shipped units stay
            assert item.quantity_fulfilled <= item.quantity_net_ordered
            assert item.quantity_available_to_return == item.quantity_fulfilled
            assert (item.quantity_return_initiated, item.quantity_returned) == (0, 0)
            assert item.quantity_reshipped == 0

    @invariant()
    def statuses_follow_the_quantities(self) -> None:
        for item in self.summary.items:
            m = self.lines[item.line_id]
            assert item.status == reference_status(m.ordered, m.canceled, m.allocated, m.fulfilled)
        statuses = {item.status for item in self.summary.items}
        status = self.summary.status
        assert (status == "canceled") == (statuses == {"canceled"})
        live = statuses - {"canceled"}
        assert (status == "fulfilled") == (bool(live) and live == {"fulfilled"})
        if status == "ordered":
            assert live == {"ordered"}

    @invariant()
    def fulfillment_orders_account_for_the_allocated_units(self) -> None:
        on_fos = {line_id: 0 for line_id in self.lines}
        shipped = {line_id: 0 for line_id in self.lines}
        assert [fo.id for fo in self.summary.fulfillment_orders] == list(self.fos)
        for fo in self.summary.fulfillment_orders:
            model = self.fos[fo.id]
            assert (fo.status, fo.delivery_group, fo.location_id) == (
                model.status,
                model.group,
                model.location,
            )
            for line in fo.lines:
                assert self.lines[line.line_id].group == fo.delivery_group
                assert line.quantity == model.quantity[line.line_id] > 0
                assert line.quantity_fulfilled == model.fulfilled.get(line.line_id, 0) >= 0
                assert line.quantity_canceled == model.canceled.get(line.line_id, 0) >= 0
                assert line.quantity_fulfilled + line.quantity_canceled <= line.quantity
                on_fos[line.line_id] += line.quantity - line.quantity_canceled
                shipped[line.line_id] += line.quantity_fulfilled
            if fo.status in TERMINAL:
                assert fo.units_open == 0, f"a {fo.status} FO has units open"
            else:
                assert fo.units_open > 0, f"a {fo.status} FO has nothing open"
            assert fo.invoice_ids == [
                i.id for i in self.invoices if i.fulfillment_order_id == fo.id
            ]
        for item in self.summary.items:
            assert on_fos[item.line_id] == item.quantity_allocated
            assert shipped[item.line_id] == item.quantity_fulfilled
        for group in self.summary.groups:
            assert group.excluded_locations == self.groups[group.id].excluded
            assert group.charge_invoiced == self.groups[group.id].invoiced

    @invariant()
    def totals_are_the_original_less_the_change_orders(self) -> None:
        assert self.order is not None
        order, totals = self.order, self.summary.totals
        lines = [line for change in self.changes for line in change.lines]
        product = sum(line.unit_price * line.quantity for line in order.lines)
        discount = sum(line.discount for line in order.lines) + sum(
            d.amount for d in order.discounts
        )
        delivery = sum(g.charge for g in order.delivery_groups)
        tax = sum(line.tax for line in order.lines) + sum(
            g.charge_tax for g in order.delivery_groups
        )
        assert totals.product == product - sum(line.product for line in lines)
        assert totals.discount == discount - sum(line.discount for line in lines)
        assert totals.delivery == delivery - sum(c.delivery for c in self.changes)
        assert totals.tax == tax - sum(line.tax for line in lines) - sum(
            c.delivery_tax for c in self.changes
        )
        assert totals.grand_total == design_grand_total(order) - sum(c.total for c in self.changes)
        assert totals.grand_total >= 0
        for change in self.changes:
            assert change.capture_reduced + change.refund == change.total
        for group in self.summary.groups:
            g = self.groups[group.id]
            assert (group.charge_net, group.charge_tax_net) == (g.charge_net, g.charge_tax_net)
            assert 0 <= group.charge_net <= group.charge
            assert 0 <= group.charge_tax_net <= group.charge_tax

    @invariant()
    def no_money_is_charged_or_given_back_twice(self) -> None:
        grand_total = self.summary.totals.grand_total
        invoiced = sum(i.total for i in self.invoices)
        refunded = sum(c.refund for c in self.changes)
        # each line: every unit invoiced once, its shares as floors from the start
        for item in self.summary.items:
            parts = [
                line for i in self.invoices for line in i.lines if line.line_id == item.line_id
            ]
            units = sum(line.quantity for line in parts)
            assert units == item.quantity_fulfilled
            assert sum(line.amount for line in parts) == item.unit_price * units
            disc = sum(line.discount for line in parts)
            tax = sum(line.tax for line in parts)
            assert disc == _floor_share(item.discount, units, item.quantity_ordered)
            assert tax == _floor_share(item.tax, units, item.quantity_ordered)
            _, kept_discount, kept_tax = item.amounts
            assert disc <= kept_discount and tax <= kept_tax
            if item.quantity_fulfilled == item.quantity_net_ordered:
                assert (item.unit_price * units, disc, tax) == item.amounts
        # each group: its charge on one invoice at most; refunds never beyond what it invoiced
        for group_id, g in self.groups.items():
            fos = {fo_id for fo_id, fo in self.fos.items() if fo.group == group_id}
            carrying = [
                i
                for i in self.invoices
                if i.fulfillment_order_id in fos and (i.delivery or i.delivery_tax)
            ]
            assert len(carrying) <= 1
            assert sum(i.delivery + i.delivery_tax for i in carrying) <= g.invoiced_delivery
            assert g.refunded <= g.invoiced_delivery
            if g.invoiced:
                assert g.invoiced_delivery - g.refunded == g.charge_net + g.charge_tax_net
            else:
                assert g.refunded == 0
        assert refunded == sum(g.refunded for g in self.groups.values())
        # what is charged net of refunds never exceeds what the order now costs
        assert invoiced - refunded <= grand_total
        # and equals it exactly once everything not canceled has shipped: a group canceled
        # whole gave its charge back, so no charge is left that no invoice can take
        if all(i.quantity_fulfilled == i.quantity_net_ordered for i in self.summary.items):
            assert invoiced - refunded == grand_total
            assert self.order is not None
            assert design_grand_total(self.order) == invoiced + sum(
                c.capture_reduced for c in self.changes
            )
            event("complete: every unit not canceled has shipped")


OrderSequences.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_order_sequences = OrderSequences.TestCase


# --- the two money identities, on DESIGN.md's W-1001 ---------------------------------------
# W-1001: line 1 (DG1, ship, charge 599 + tax 48): 2 × 1999, discount 429, tax 320;
# line 2 (DG2, pickup, no charge): 1 × 4500, discount 271, tax 360. Grand total 9125.


def test_a_delivery_charge_given_back_after_it_was_invoiced_is_refunded_not_uninvoiced() -> None:
    """So the invoices may sum to more than the grand total: by exactly the refunds."""
    summary = w1001_summary()
    allocate(summary, "FO-1", "DG1", [("1", 1)])
    first = summary.ship("FO-1", None, "INV-1")  # carries DG1's charge: 599 + 48
    change = plan_cancel(summary, "CO-1", [("1", 1)], "customer_request", prorate_delivery=True)
    apply_cancel(summary, change)
    allocate(summary, "FO-2", "DG2", [("2", 1)], location_id="ST012")
    second = summary.ship("FO-2", None, "INV-2")

    assert (first.delivery, first.delivery_tax) == (599, 48)
    assert (change.delivery, change.delivery_tax) == (599 - 599 // 2, 48 - 48 // 2)
    assert (change.refund, change.capture_reduced) == (324, change.total - 324)
    assert summary.status == "fulfilled"
    assert first.total + second.total == summary.totals.grand_total + change.refund
    assert first.total + second.total > summary.totals.grand_total


def test_a_group_canceled_whole_leaves_no_delivery_charge_behind() -> None:
    summary = w1001_summary()
    change = plan_cancel(summary, "CO-1", [("1", 2)], "customer_request")
    apply_cancel(summary, change)
    allocate(summary, "FO-1", "DG2", [("2", 1)], location_id="ST012")
    invoice = summary.ship("FO-1", None, "INV-1")

    assert summary.status == "fulfilled"
    assert invoice.total == summary.totals.grand_total  # 4589 vs 5236 today
    assert change.total == design_grand_total(w1001()) - summary.totals.grand_total
