"""The rules-file schema of DESIGN.md as pydantic models.

A rules file is an ordered list of policies; the first policy whose ``when`` matches an
order applies to it. Every model forbids unknown keys so that a typo in a rules file fails
loudly instead of silently doing nothing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.network import LocationType
from engine.order import Order

_STRICT = ConfigDict(extra="forbid", frozen=True)

DeliveryMethodName = Literal["ship", "pickup"]


def _as_set(value: str | tuple[str, ...] | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset((value,)) if isinstance(value, str) else frozenset(value)


class When(BaseModel):
    """Conditions on the order; an absent condition matches every order."""

    model_config = _STRICT
    delivery_method: DeliveryMethodName | tuple[DeliveryMethodName, ...] | None = None
    channel: str | tuple[str, ...] | None = None
    country: str | tuple[str, ...] | None = None

    def matches(self, order: Order) -> bool:
        delivery = order.delivery
        checks: list[tuple[frozenset[str] | None, str | None]] = [
            (_as_set(self.delivery_method), delivery.method),
            (_as_set(self.channel), order.channel),
            (_as_set(self.country), getattr(delivery, "country", None)),
        ]
        return all(allowed is None or value in allowed for allowed, value in checks)


class Sources(BaseModel):
    """Which locations may serve an order (the fences of DESIGN.md)."""

    model_config = _STRICT
    location_group: str | None = None
    location_types: tuple[LocationType, ...] = Field(default=("warehouse", "store"), min_length=1)
    max_distance_km: float | None = Field(default=None, gt=0)
    exclude_locations: tuple[str, ...] = ()
    max_delivery_days: int | None = Field(default=None, ge=0)


class InventoryRules(BaseModel):
    model_config = _STRICT
    buffer_units: dict[LocationType, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)

    def buffer_for(self, location_type: LocationType) -> int:
        return max(0, self.buffer_units.get(location_type, 0))


class Split(BaseModel):
    model_config = _STRICT
    max_locations: int = Field(default=3, ge=1)
    line_split: bool = True
    ship_complete: bool = False


class Cost(BaseModel):
    model_config = _STRICT
    per_km: float = Field(default=0.0, ge=0)
    split_penalty: float = Field(default=0.0, ge=0)
    unfilled_unit_penalty: float = Field(default=1000.0, ge=0)
    priority_weight: float = Field(default=0.0, ge=0)


class Policy(BaseModel):
    model_config = _STRICT
    name: str = Field(min_length=1)
    when: When = Field(default_factory=When)
    sources: Sources = Field(default_factory=Sources)
    inventory: InventoryRules = Field(default_factory=InventoryRules)
    split: Split = Field(default_factory=Split)
    cost: Cost = Field(default_factory=Cost)


class Rules(BaseModel):
    model_config = _STRICT
    version: Literal[1] = 1
    policies: tuple[Policy, ...] = Field(min_length=1)

    def select_policy(self, order: Order) -> Policy | None:
        """The first policy whose ``when`` matches ``order``, or ``None``."""
        return next((p for p in self.policies if p.when.matches(order)), None)
