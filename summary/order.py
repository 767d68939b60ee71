"""The Order as placed (DESIGN.md's "Order intake" document). Immutable once recorded.

Field-level rules live in the pydantic models; rules across fields (a line naming a missing
delivery group, a payment in another currency, discounts above what they discount) are
checked by :func:`check_order`, so that every problem is reported with its field path.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from summary.errors import InvalidOrder

_FROZEN = ConfigDict(extra="forbid", frozen=True)
Money = Annotated[StrictInt, Field(ge=0, le=10**13)]  # minor units; 10^13 cents = 100 G$
Id = Annotated[str, Field(min_length=1, max_length=64)]
Lifecycle = Literal["managed", "unmanaged"]


class Customer(BaseModel):
    model_config = _FROZEN
    id: str | None = None
    email: str | None = None


class Address(BaseModel):
    model_config = _FROZEN
    name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = Field(default=None, max_length=16)
    country: str = Field(min_length=2, max_length=3)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class ShipGroup(BaseModel):
    model_config = _FROZEN
    id: Id
    method: Literal["ship"]
    delivery_method_id: str | None = None
    address: Address
    charge: Money = 0
    charge_tax: Money = 0


class PickupGroup(BaseModel):
    model_config = _FROZEN
    id: Id
    method: Literal["pickup"]
    delivery_method_id: str | None = None
    location_id: Id
    charge: Money = 0
    charge_tax: Money = 0


DeliveryGroup = Annotated[ShipGroup | PickupGroup, Field(discriminator="method")]


class Line(BaseModel):
    model_config = _FROZEN
    id: Id
    sku: Id
    quantity: StrictInt = Field(gt=0, le=1_000_000)
    unit_price: Money
    tax: Money = 0
    discount: Money = 0
    delivery_group: Id


class OrderDiscount(BaseModel):
    model_config = _FROZEN
    code: str | None = None
    amount: Money


class Payment(BaseModel):
    model_config = _FROZEN
    authorization_id: Id
    gateway: str = Field(default="test", min_length=1, max_length=32)
    amount: Money
    currency: str | None = None
    expires_at: AwareDatetime | None = None


class Order(BaseModel):
    """What the customer placed. Recorded once, never changed: later changes are change
    orders on the Order Summary."""

    model_config = _FROZEN
    order_number: Id
    channel: str = Field(default="web", min_length=1, max_length=64)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    lifecycle: Lifecycle = "managed"
    placed_at: AwareDatetime
    customer: Customer | None = None
    delivery_groups: tuple[DeliveryGroup, ...] = Field(min_length=1, max_length=100)
    lines: tuple[Line, ...] = Field(min_length=1, max_length=1000)
    discounts: tuple[OrderDiscount, ...] = ()
    payment: Payment | None = None
    external_id: str | None = Field(default=None, max_length=64)
    source: str = Field(default="api", min_length=1, max_length=32)


def check_order(order: Order) -> Order:
    """Raise :class:`InvalidOrder` listing every cross-field problem; return ``order``."""
    issues: list[tuple[str, str]] = []
    _unique("delivery_groups", [g.id for g in order.delivery_groups], issues)
    _unique("lines", [line.id for line in order.lines], issues)
    groups = {g.id for g in order.delivery_groups}
    used: set[str] = set()
    for i, line in enumerate(order.lines):
        if line.delivery_group not in groups:
            issues.append(
                (f"lines[{i}].delivery_group", f"no delivery group {line.delivery_group!r}")
            )
        used.add(line.delivery_group)
        if line.discount > line.unit_price * line.quantity:
            issues.append((f"lines[{i}].discount", "exceeds the line's amount"))
    for i, group in enumerate(order.delivery_groups):
        if group.id not in used:
            issues.append((f"delivery_groups[{i}]", f"no line is delivered by {group.id!r}"))
    net = sum(max(0, line.unit_price * line.quantity - line.discount) for line in order.lines)
    if sum(d.amount for d in order.discounts) > net:
        issues.append(("discounts", "order discounts exceed the lines' net amount"))
    _check_payment(order, issues)
    if issues:
        raise InvalidOrder(issues)
    return order


def _unique(where: str, ids: list[str], issues: list[tuple[str, str]]) -> None:
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            issues.append((f"{where}[{i}].id", f"duplicate id {value!r}"))
        seen.add(value)


def _check_payment(order: Order, issues: list[tuple[str, str]]) -> None:
    payment = order.payment
    if payment is None:
        if order.lifecycle == "managed":
            issues.append(("payment", "a managed order needs a payment authorization"))
        return
    if payment.currency is not None and payment.currency != order.currency:
        issues.append(
            ("payment.currency", f"{payment.currency} is not the order's currency {order.currency}")
        )
