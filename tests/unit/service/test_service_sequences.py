"""Random sequences of every service action on the pure domain: intake, fulfilment
(FOs, partial shipments, units taken off FOs), cancel, direct return, return orders (open,
approve, receive returned/rejected/canceled units, cancel), exchange (a return whose credit
pays for a new summary), adjust (amount or percent) and reship, interleaved. After every
step:

- the quantity algebra holds for every line and follows a shadow count of each action;
- every line's status is the reference's b.2 precedence list applied to its quantities;
- the summary's totals are the original's less its change orders, component by component
  (return fees kept are added back), and every change order splits its total exactly into
  refund, capture reduced, fee and credit applied;
- money: captures (every invoice is captured when it is made) never exceed the
  authorization, refunds (every change order's refund, once) never exceed captures, what is
  captured net of refunds and of credit moved to exchanges never exceeds the grand total,
  and equals it exactly whenever no unit is left to ship.

Every refused request raises and leaves the summary exactly as it was. The exact shares of
the cancel-only actions are checked against a closed-form model in ``test_sequences``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from service.adjust import AdjustLine, apply_adjust, plan_adjust
from service.cancel import apply_cancel, plan_cancel
from service.changes import ChangeOrder
from service.exchange import Replacement, apply_exchange, plan_exchange
from service.reship import apply_reship, available_to_reship, plan_reship
from service.return_orders import cancel_return_order, open_return_order, receive
from service.returns import apply_return, plan_return
from summary.errors import IllegalTransition, InvalidRequest
from summary.items import OrderItemSummary
from summary.order import Order
from summary.return_order import ReceiptLine, ReturnOrder
from summary.summary import OrderSummary, summary_from_order
from tests.unit.summary.builders import design_grand_total, orders

ACTIVE = ("Allocated", "Assigned", "Pick Complete", "Pack Complete")


@dataclass(frozen=True)
class Reason:
    restock: bool
    fee_per_unit: int


@dataclass(frozen=True)
class Policy:
    def for_reason(self, reason: str) -> Reason:
        return Reason(True, 150 if reason == "changed_mind" else 0)


def reference_status(item: OrderItemSummary) -> str:
    """The reference's b.2 list, top-down, written out from its criteria."""
    ordered, canceled, returned = (
        item.quantity_ordered,
        item.quantity_canceled,
        item.quantity_returned,
    )
    quantity = ordered - canceled - returned
    fulfilled, initiated = item.quantity_fulfilled, item.quantity_return_initiated
    if quantity > 0 and 0 < initiated == fulfilled and returned < initiated:
        return "return initiated"
    if item.quantity_reshipped > 0 and item.quantity_reshipped >= fulfilled > 0:
        return "reshipped"
    if quantity == 0 and returned > 0:
        return "returned"
    if quantity == 0:
        return "canceled"
    if ordered - canceled <= fulfilled:
        return "fulfilled"
    if fulfilled > 0:
        return "partially fulfilled"
    if quantity <= item.quantity_allocated:
        return "allocated"
    if item.quantity_allocated > 0:
        return "partially allocated"
    return "ordered"


@dataclass
class Counts:
    """What the actions did to one line, counted independently of the summary."""

    ordered: int
    canceled: int = 0
    fulfilled: int = 0
    returned: int = 0
    reshipped: int = 0
    initiated: int = 0  # on open return orders, not received yet


class ServiceSequences(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.order: Order
        self.summary: OrderSummary
        self.counts: dict[str, Counts] = {}
        self.changes: list[ChangeOrder] = []
        self.captured = 0
        self.refunded = 0
        self.applied = 0  # credit moved to exchange summaries
        self.return_orders: list[ReturnOrder] = []
        self.n = 0

    @initialize(order=orders(max_lines=4, max_quantity=5), head_start=st.booleans())
    def intake(self, order: Order, head_start: bool) -> None:
        """``head_start``: every unit allocated and shipped first, so that most sequences
        reach the post-fulfilment actions."""
        self.order = order
        self.summary = summary_from_order(order, "OS-1")
        for item in self.summary.items:
            self.counts[item.line_id] = Counts(item.quantity_ordered)
        for group in self.summary.groups if head_start else ():
            fo = self.summary.add_fulfillment_order(
                fo_id=self._id("FO"),
                group_id=group.id,
                location_id="DC1",
                fulfillment_type=group.method,
                lines=[(i.line_id, i.quantity_ordered) for i in self.summary.items_of(group.id)],
                reservation_id=None,
                status="Allocated",
            )
            self.captured += self.summary.ship(fo.id, None, self._id("INV")).total
            for line in fo.lines:
                self.counts[line.line_id].fulfilled += line.quantity

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n}"

    def _pick(self, data: st.DataObject, room: dict[str, int], label: str) -> list[tuple[str, int]]:
        """Some lines of ``room`` (line → units > 0), 1..room units each."""
        candidates = sorted(line_id for line_id, n in room.items() if n > 0)
        chosen = data.draw(
            st.lists(st.sampled_from(candidates), min_size=1, max_size=2, unique=True), label
        )
        return [(i, data.draw(st.integers(1, room[i]), label=f"{label} {i}")) for i in chosen]

    def _room(self, of: Callable[[OrderItemSummary], int]) -> dict[str, int]:
        return {i.line_id: of(i) for i in self.summary.items if of(i) > 0}

    def _fos(self) -> list[str]:
        return [fo.id for fo in self.summary.fulfillment_orders if fo.status in ACTIVE]

    def _refused(
        self, action: Callable[[], object], error: type[Exception] = InvalidRequest
    ) -> None:
        before = copy.deepcopy(self.summary)
        with pytest.raises(error):
            action()
        assert self.summary == before, "a refused request changed the summary"

    def _record(self, change: ChangeOrder) -> None:
        self.changes.append(change)
        self.refunded += change.refund  # sent once: the flows mark it done exactly once
        self.applied += change.applied

    # --- fulfilment ------------------------------------------------------------------------

    @precondition(lambda self: bool(self._room(lambda i: i.quantity_available_to_fulfill)))
    @rule(data=st.data())
    def allocate(self, data: st.DataObject) -> None:
        room = self._room(lambda i: i.quantity_available_to_fulfill)
        line_id = data.draw(st.sampled_from(sorted(room)), label="line")
        group = self.summary.item(line_id).delivery_group
        room = {i: n for i, n in room.items() if self.summary.item(i).delivery_group == group}
        self.summary.add_fulfillment_order(
            fo_id=self._id("FO"),
            group_id=group,
            location_id="DC1",
            fulfillment_type="ship",
            lines=self._pick(data, room, "allocate"),
            reservation_id=None,
            status="Allocated",
        )

    @precondition(lambda self: bool(self._fos()))
    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        fo = self.summary.fulfillment_order(data.draw(st.sampled_from(self._fos()), label="fo"))
        room = {line.line_id: line.quantity_open for line in fo.lines if line.quantity_open}
        lines = None if data.draw(st.booleans(), label="all") else self._pick(data, room, "ship")
        invoice = self.summary.ship(fo.id, lines, self._id("INV"))
        for line in invoice.lines:
            self.counts[line.line_id].fulfilled += line.quantity
        assert invoice.total >= 0
        self.captured += invoice.total  # captured at shipment
        event("ship")

    @precondition(lambda self: bool(self._fos()))
    @rule(data=st.data())
    def take_units_off_a_fulfillment_order(self, data: st.DataObject) -> None:
        fo_id = data.draw(st.sampled_from(self._fos()), label="fo")
        fo = self.summary.fulfillment_order(fo_id)
        if fo.status not in ("Allocated", "Assigned"):
            return
        room = {line.line_id: line.quantity_open for line in fo.lines if line.quantity_open}
        self.summary.cancel_fulfillment_lines(fo_id, self._pick(data, room, "take off"))

    # --- service actions -------------------------------------------------------------------

    @precondition(lambda self: bool(self._room(lambda i: i.quantity_available_to_cancel)))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        asked = self._pick(data, self._room(lambda i: i.quantity_available_to_cancel), "cancel")
        prorate = data.draw(st.booleans(), label="prorate")
        change = plan_cancel(self.summary, self._id("CO"), asked, "r", prorate_delivery=prorate)
        apply_cancel(self.summary, change)
        for line_id, count in asked:
            self.counts[line_id].canceled += count
        self._record(change)
        event("cancel")

    @precondition(lambda self: bool(self._room(lambda i: i.quantity_available_to_return)))
    @rule(data=st.data(), reason=st.sampled_from(["changed_mind", "damaged"]))
    def direct_return(self, data: st.DataObject, reason: str) -> None:
        room = self._room(lambda i: i.quantity_available_to_return)
        asked = [(i, n, reason) for i, n in self._pick(data, room, "return")]
        delivery = data.draw(st.booleans(), label="refund delivery")
        planned = plan_return(
            self.summary, self._id("CO"), asked, Policy(), refund_delivery=delivery
        )
        apply_return(self.summary, planned.change)
        for line_id, count, _ in asked:
            self.counts[line_id].returned += count
        self._record(planned.change)
        event(f"return ({reason})" + (", delivery refunded" if planned.change.delivery else ""))

    @precondition(lambda self: bool(self._room(lambda i: i.quantity_available_to_return)))
    @rule(data=st.data(), reason=st.sampled_from(["changed_mind", "damaged"]))
    def open_a_return_order(self, data: st.DataObject, reason: str) -> None:
        room = self._room(lambda i: i.quantity_available_to_return)
        asked = [(i, n, reason) for i, n in self._pick(data, room, "rma")]
        ro = open_return_order(self.summary, self._id("RO"), asked, None)
        for line_id, count, _ in asked:
            self.counts[line_id].initiated += count
        if data.draw(st.booleans(), label="approve"):
            ro.approve()
        self.return_orders.append(ro)
        event("open an RMA")

    def _open_rmas(self) -> list[int]:
        return [
            n
            for n, ro in enumerate(self.return_orders)
            if ro.status in ("Submitted", "Approved", "Received") and ro.quantity_outstanding
        ]

    @precondition(lambda self: bool(self._open_rmas()))
    @rule(data=st.data())
    def receive_or_cancel_a_return_order(self, data: st.DataObject) -> None:
        ro = self.return_orders[data.draw(st.sampled_from(self._open_rmas()), label="rma")]
        if ro.status == "Submitted":
            self._refused(lambda: ro.move_to("Closed"), IllegalTransition)
            if data.draw(st.booleans(), label="cancel it"):
                cancel_return_order(self.summary, ro)
                for line in ro.lines:
                    self.counts[line.line_id].initiated -= line.quantity_canceled
                event("cancel an RMA")
                return
            ro.approve()
        receipt = []
        for line in ro.lines:
            if not line.quantity_outstanding:
                continue
            came = data.draw(st.integers(0, line.quantity_outstanding), label="received")
            returned = data.draw(st.integers(0, came), label="returned")
            canceled = data.draw(st.integers(0, line.quantity_outstanding - came), label="no-show")
            if came or canceled:
                rejected = came - returned
                why = "worn" if rejected else None
                receipt.append(ReceiptLine(line.line_id, came, returned, rejected, canceled, why))
        if not receipt:
            return
        over = [ReceiptLine(receipt[0].line_id, 10**6, 10**6)]
        self._refused(
            lambda: receive(
                self.summary, ro, over, change_id="X", policy=Policy(), key=None, fingerprint="f"
            )
        )
        plan = receive(
            self.summary,
            ro,
            receipt,
            change_id=self._id("CO"),
            policy=Policy(),
            key=None,
            fingerprint="f",
            refund_delivery=data.draw(st.booleans(), label="refund delivery"),
        )
        for got in receipt:
            c = self.counts[got.line_id]
            c.initiated -= got.received + got.canceled
            c.returned += got.returned
        if plan.change is not None:
            self._record(plan.change)
        event("receive on an RMA" + (", returned" if plan.change else ""))

    @precondition(lambda self: bool(self._room(lambda i: i.quantity_available_to_return)))
    @rule(data=st.data(), price=st.integers(0, 50_000), tax=st.integers(0, 4_000))
    def exchange(self, data: st.DataObject, price: int, tax: int) -> None:
        room = self._room(lambda i: i.quantity_available_to_return)
        asked = [(i, n, "changed_mind") for i, n in self._pick(data, room, "exchange")]
        replacement = Replacement("SKU-9", 1, price, tax)
        plan = plan_exchange(
            self.summary,
            self._id("CO"),
            asked,
            [replacement],
            Policy(),
            linked_id="OS-2",
            payment_required=False,
        )
        money = plan.money
        assert money.applied == min(money.credit, money.cost)
        assert money.refund == money.credit - money.applied
        assert money.applied + money.charge == replacement.amount
        apply_exchange(self.summary, plan.change)
        for line_id, count, _ in asked:
            self.counts[line_id].returned += count
        self._record(plan.change)
        kind = "charged" if money.charge else "refunded" if money.refund else "even"
        event(f"exchange, {kind}")

    @precondition(
        lambda self: any(i.quantity > 0 and i.amounts[0] > i.amounts[1] for i in self.summary.items)
    )
    @rule(data=st.data())
    def adjust(self, data: st.DataObject) -> None:
        live = [
            i.line_id for i in self.summary.items if i.quantity > 0 and i.amounts[0] > i.amounts[1]
        ]
        line_id = data.draw(st.sampled_from(live), label="line")
        item = self.summary.item(line_id)
        net = item.amounts[0] - item.amounts[1]
        if data.draw(st.booleans(), label="percent"):
            percent = data.draw(st.decimals(Decimal("0.01"), Decimal(100), places=2), label="%")
            if (Decimal(net) * percent / 100).quantize(Decimal(1)) == 0:
                return
            asked = AdjustLine(line_id, percent=percent)
        else:
            asked = AdjustLine(line_id, amount=data.draw(st.integers(1, net), label="amount"))
        change = plan_adjust(self.summary, self._id("CO"), [asked], "appeasement")
        apply_adjust(self.summary, change)
        self._record(change)
        event("adjust" + (", crediting shipped units" if change.refund else ""))

    @precondition(lambda self: bool(self._room(available_to_reship)))
    @rule(data=st.data())
    def reship(self, data: st.DataObject) -> None:
        asked = self._pick(data, self._room(available_to_reship), "reship")
        change = plan_reship(self.summary, self._id("CO"), asked, "lost_in_transit")
        before = {i.line_id for i in self.summary.items}
        apply_reship(self.summary, change)
        for line_id, count in asked:
            self.counts[line_id].reshipped += count
        added = [i for i in self.summary.items if i.line_id not in before]
        for item in added:
            self.counts[item.line_id] = Counts(item.quantity_ordered)
        assert sorted(i.quantity_ordered for i in added) == sorted(n for _, n in asked)
        self._record(change)
        event("reship")

    @rule(data=st.data())
    def refused_request(self, data: st.DataObject) -> None:
        s = self.summary
        item = s.items[data.draw(st.integers(0, len(s.items) - 1), label="line")]
        i = item.line_id
        kinds: dict[str, Callable[[], object]] = {
            "cancel beyond cancelable": lambda: plan_cancel(
                s, "X", [(i, item.quantity_available_to_cancel + 1)], "r"
            ),
            "return beyond returnable": lambda: plan_return(
                s, "X", [(i, item.quantity_available_to_return + 1, "damaged")], Policy()
            ),
            "a positive discount": lambda: plan_adjust(s, "X", [AdjustLine(i, amount=-1)], "r"),
            "a discount over 100%": lambda: plan_adjust(
                s, "X", [AdjustLine(i, percent=Decimal("100.01"))], "r"
            ),
            "a discount beyond the line": lambda: plan_adjust(
                s, "X", [AdjustLine(i, amount=item.amounts[0] - item.amounts[1] + 1)], "r"
            ),
            "reship beyond what shipped": lambda: plan_reship(
                s, "X", [(i, max(available_to_reship(item), 0) + 1)], "r"
            ),
        }
        kind = data.draw(st.sampled_from(sorted(kinds)), label="refused")
        event(f"refused: {kind}")
        self._refused(kinds[kind])

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def the_quantity_algebra_holds_for_every_line(self) -> None:
        for item in self.summary.items:
            c = self.counts[item.line_id]
            assert (
                item.quantity_ordered,
                item.quantity_canceled,
                item.quantity_fulfilled,
                item.quantity_returned,
                item.quantity_reshipped,
            ) == (c.ordered, c.canceled, c.fulfilled, c.returned, c.reshipped)
            assert item.quantity == c.ordered - c.canceled - c.returned >= 0
            assert item.quantity_canceled + item.quantity_allocated <= item.quantity_ordered
            assert item.quantity_fulfilled <= item.quantity_allocated
            assert item.quantity_returned <= item.quantity_return_initiated
            assert item.quantity_return_initiated == c.returned + c.initiated
            assert item.quantity_return_initiated <= item.quantity_fulfilled
            assert item.quantity_available_to_return >= 0
            assert item.quantity_available_to_cancel == item.quantity_available_to_fulfill >= 0
            product, discount, tax = item.amounts
            assert 0 <= discount <= product and tax >= 0
            assert min(item.adjust_open_discount, item.adjust_open_tax) >= 0
            assert min(item.adjust_shipped_discount, item.adjust_shipped_tax) >= 0
            if item.units_open == 0:
                assert item.adjust_open_discount == item.adjust_open_tax == 0

    @invariant()
    def statuses_follow_the_quantities(self) -> None:
        for item in self.summary.items:
            assert item.status == reference_status(item)

    @invariant()
    def totals_are_the_original_less_the_change_orders(self) -> None:
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
        fees = sum(c.fee for c in self.changes)
        assert totals.product == product - sum(line.product for line in lines)
        assert totals.discount == discount - sum(line.discount for line in lines)
        assert totals.delivery == delivery - sum(c.delivery for c in self.changes)
        assert totals.tax == tax - sum(line.tax for line in lines) - sum(
            c.delivery_tax for c in self.changes
        )
        assert totals.fees == fees
        assert (
            totals.grand_total
            == design_grand_total(order) - sum(c.total for c in self.changes) + fees
        )
        for change in self.changes:
            assert change.refund + change.capture_reduced + change.fee + change.applied == (
                change.total
            )
            assert min(change.refund, change.capture_reduced, change.fee, change.applied) >= 0

    @invariant()
    def money_is_captured_within_the_authorization_and_refunded_once(self) -> None:
        authorized = design_grand_total(self.order)
        grand_total = self.summary.totals.grand_total
        assert 0 <= self.refunded + self.applied <= self.captured <= authorized
        assert self.captured - self.refunded - self.applied <= grand_total
        if all(i.units_open == 0 for i in self.summary.items):
            assert self.captured - self.refunded - self.applied == grand_total
            payment = self.summary.payment
            if payment is not None:  # what the summary shows as still owed
                assert payment.transferred == self.applied
            event("complete: nothing left to ship")


ServiceSequences.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_service_sequences = ServiceSequences.TestCase
