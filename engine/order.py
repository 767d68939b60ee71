"""The order document of DESIGN.md: what a checkout previews and what order intake records.

Every number has a documented bound (in the field's description, so the OpenAPI schema shows
it): a line asks for 1..1,000,000 units (as an order placed through intake), an order has at
most 1,000 lines, and the destination's coordinates are degrees of latitude and longitude.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

_STRICT = ConfigDict(extra="forbid", frozen=True)
MAX_LINE_QUANTITY = 1_000_000  # units of one line; order intake allows the same
MAX_LINES = 1_000  # lines of one order; order intake allows the same


class OrderLine(BaseModel):
    model_config = _STRICT
    id: str = Field(min_length=1)
    sku: str = Field(min_length=1)
    quantity: StrictInt = Field(
        ge=1, le=MAX_LINE_QUANTITY, description="units ordered, 1..1,000,000"
    )


class ShipDelivery(BaseModel):
    """Ship to an address; the coordinates are the destination used for distances."""

    model_config = _STRICT
    method: Literal["ship"]
    lat: float = Field(ge=-90, le=90, description="destination latitude, degrees, -90..90")
    lon: float = Field(ge=-180, le=180, description="destination longitude, degrees, -180..180")
    country: str | None = None
    delivery_method_id: str | None = None


class PickupDelivery(BaseModel):
    """Buy online, pick up in store at ``location_id``."""

    model_config = _STRICT
    method: Literal["pickup"]
    location_id: str = Field(min_length=1)
    delivery_method_id: str | None = None


Delivery = Annotated[ShipDelivery | PickupDelivery, Field(discriminator="method")]


class Order(BaseModel):
    model_config = _STRICT
    id: str = Field(min_length=1)
    channel: str = "web"
    lines: tuple[OrderLine, ...] = Field(
        min_length=1, max_length=MAX_LINES, description="1..1,000 lines, each id unique"
    )
    delivery: Delivery

    @model_validator(mode="after")
    def _unique_line_ids(self) -> Order:
        seen: set[str] = set()
        for i, line in enumerate(self.lines):
            if line.id in seen:
                raise ValueError(f"lines[{i}].id: duplicate line id {line.id!r}")
            seen.add(line.id)
        return self
