"""Exchange: returned units pay for replacement units on a new Order Summary.

The returned lines are a direct return (the units come back now, the reason's fee is kept):
what that return would refund is the exchange's credit ``C``. The replacements cost
``N = Σ(unit_price × quantity + tax)``. The credit applied to the new summary is
``min(C, N)``; what is left of it, ``C − applied``, is refunded to the original payment; what
it does not cover, ``N − C``, is charged on a new authorization the customer gives. An even
exchange (``N == C``) charges nothing and refunds nothing.

The new summary (:func:`exchange_order`) ships where the first returned line's delivery group
shipped (or is picked up at the same store), with no delivery charge; its payment holds the
credit (captured first, no gateway call) and, when something is charged, the new authorization.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from service.changes import ChangeOrder
from service.returns import ReturnLine, ReturnPolicy, apply_return, plan_return
from summary.errors import InvalidRequest
from summary.order import Address, Line, Order, Payment, PickupGroup, ShipGroup, check_order
from summary.summary import OrderSummary, summary_from_order

MAX_QUANTITY = 1_000_000  # as an order line allows
MAX_MONEY = 10**13
MAX_ORDER_NUMBER = 64
CREDIT_GATEWAY = "exchange_credit"  # the payment of an exchange the credit covers whole


@dataclass(frozen=True, slots=True)
class Replacement:
    """A replacement line; ``tax`` is for the whole line, as in an order."""

    sku: str
    quantity: int
    unit_price: int
    tax: int = 0

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity + self.tax


@dataclass(frozen=True, slots=True)
class ExchangeMoney:
    credit: int  # C: what the return would refund, after its fees
    cost: int  # N: what the replacements cost

    @property
    def applied(self) -> int:
        """The credit spent on the new summary."""
        return min(self.credit, self.cost)

    @property
    def refund(self) -> int:
        """The credit left over: refunded to the original payment."""
        return self.credit - self.applied

    @property
    def charge(self) -> int:
        """What the credit does not cover: charged on a new authorization."""
        return max(0, self.cost - self.credit)


@dataclass(frozen=True, slots=True)
class ExchangePlan:
    change: ChangeOrder  # kind "exchange", on the original summary
    restock: tuple[tuple[str, int], ...]  # (sku, units) going back into stock
    money: ExchangeMoney
    replacements: tuple[Replacement, ...]
    group_id: str  # the original delivery group the new summary delivers like


def check_replacements(replacements: Sequence[Replacement]) -> None:
    """Raise :class:`InvalidRequest` naming the first bad field of ``replacements``."""
    if not replacements:
        raise InvalidRequest("replacements", "name at least one replacement")
    for i, r in enumerate(replacements):
        where = f"replacements[{i}]"
        if not 1 <= len(r.sku) <= 64:
            raise InvalidRequest(f"{where}.sku", "must be 1 to 64 characters")
        if not 1 <= r.quantity <= MAX_QUANTITY:
            raise InvalidRequest(f"{where}.quantity", f"must be 1 to {MAX_QUANTITY}")
        if not 0 <= r.unit_price <= MAX_MONEY:
            raise InvalidRequest(f"{where}.unit_price", f"must be 0 to {MAX_MONEY} minor units")
        if not 0 <= r.tax <= MAX_MONEY:
            raise InvalidRequest(f"{where}.tax", f"must be 0 to {MAX_MONEY} minor units")


def check_payment(money: ExchangeMoney, amount: int | None, *, required: bool) -> None:
    """A charge needs a new authorization of at least the charge (``required``: a submit; a
    preview shows the charge without one); an exchange that charges nothing takes none."""
    if amount is None:
        if money.charge and required:
            raise InvalidRequest(
                "payment",
                f"the replacements cost {money.cost}, the return's credit is {money.credit}: "
                f"authorize at least {money.charge} for the difference",
            )
        return
    if not money.charge:
        raise InvalidRequest(
            "payment",
            f"the return's credit ({money.credit}) covers the replacements ({money.cost}): "
            "nothing to authorize",
        )
    if amount < money.charge:
        raise InvalidRequest(
            "payment.amount", f"{amount} does not cover the difference of {money.charge}"
        )


def plan_exchange(
    summary: OrderSummary,
    change_id: str,
    returns: Sequence[ReturnLine],
    replacements: Sequence[Replacement],
    policy: ReturnPolicy | None,
    *,
    linked_id: str | None,
    reason: str | None = None,
    payment_amount: int | None = None,
    payment_required: bool = True,
) -> ExchangePlan:
    """The change order an exchange would be, and its money; changes nothing. ``linked_id``:
    the new summary's id (None in a preview, which creates none)."""
    try:
        returned = plan_return(summary, change_id, returns, policy)
    except InvalidRequest as error:  # the return's lines are this body's "returns"
        raise InvalidRequest(_renamed(error.field), error.message) from None
    check_replacements(replacements)
    money = ExchangeMoney(returned.change.refund, sum(r.amount for r in replacements))
    check_payment(money, payment_amount, required=payment_required)
    change = dataclasses.replace(
        returned.change,
        kind="exchange",
        reason=reason or returned.change.reason,
        refund=money.refund,
        applied=money.applied,
        linked_id=linked_id,
    )
    group_id = summary.item(returns[0][0]).delivery_group
    return ExchangePlan(change, returned.restock, money, tuple(replacements), group_id)


def apply_exchange(summary: OrderSummary, change: ChangeOrder) -> None:
    """The return, and the credit it moves to the exchange summary: captured funds the
    original no longer holds (its refunds can no longer give them back)."""
    apply_return(summary, change)
    if summary.payment is not None:
        summary.payment.transferred += change.applied


def _renamed(field: str) -> str:
    return "returns" + field.removeprefix("lines") if field.startswith("lines") else field


def exchange_number(order_number: str, n: int) -> str:
    number = f"{order_number}-EX{n}"
    if len(number) > MAX_ORDER_NUMBER:
        raise InvalidRequest(
            "order_number", f"the exchange's order number {number!r} would be too long"
        )
    return number


def exchange_cost(exchange: OrderSummary) -> int:
    """``N`` of an exchange's summary, from its lines as placed (later changes aside)."""
    return sum(
        i.unit_price * i.quantity_ordered + i.tax for i in exchange.items if i.reship_of is None
    )


def exchange_order(
    original: OrderSummary,
    plan: ExchangePlan,
    *,
    order_number: str,
    placed_at: datetime,
    payment: Payment | None,
    credit_memo_id: str,
) -> Order:
    """The new Order of an exchange: the replacements, delivered like the first returned line,
    no delivery charge; paid by the new authorization, or by the credit alone."""
    group = original.group(plan.group_id)
    delivery: ShipGroup | PickupGroup
    if group.method == "pickup":
        if group.location_id is None:
            raise InvalidRequest("returns[0].line_id", f"group {group.id} has no pickup location")
        delivery = PickupGroup(
            id=group.id,
            method="pickup",
            delivery_method_id=group.delivery_method_id,
            location_id=group.location_id,
        )
    else:
        if group.country is None:
            raise InvalidRequest("returns[0].line_id", f"group {group.id} has no country")
        address = Address(
            country=group.country, postal_code=group.postal_code, lat=group.lat, lon=group.lon
        )
        delivery = ShipGroup(
            id=group.id,
            method="ship",
            delivery_method_id=group.delivery_method_id,
            address=address,
        )
    lines = tuple(
        Line(
            id=str(n),
            sku=r.sku,
            quantity=r.quantity,
            unit_price=r.unit_price,
            tax=r.tax,
            delivery_group=group.id,
        )
        for n, r in enumerate(plan.replacements, start=1)
    )
    if not plan.money.charge:
        payment = Payment(
            authorization_id=f"credit:{credit_memo_id}", gateway=CREDIT_GATEWAY, amount=0
        )
    elif payment is None:
        raise InvalidRequest("payment", f"authorize at least {plan.money.charge}")
    return check_order(
        Order(
            order_number=order_number,
            channel=original.channel,
            currency=original.currency,
            lifecycle="managed",
            placed_at=placed_at,
            delivery_groups=(delivery,),
            lines=lines,
            payment=payment,
            source="exchange",
        )
    )


def exchange_summary(
    order: Order, summary_id: str, original: OrderSummary, plan: ExchangePlan
) -> OrderSummary:
    """The new summary of ``order``: linked to ``original``, holding the applied credit."""
    summary = summary_from_order(order, summary_id)
    summary.exchange_of = original.id
    assert summary.payment is not None  # an exchange's order always has one
    summary.payment.credit = plan.money.applied
    return summary
