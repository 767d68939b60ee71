"""The route preview answer of DESIGN.md as pydantic models (the HTTP schema and the CLI's
JSON Lines share them).

Speed on the hot path (a preview is budgeted at ~0.1 ms): the many small leaf records (lines,
excluded candidates, pickup alternatives) are ``TypedDict``s rather than models, and the preview
assembles the composite models with ``model_construct`` (no validation: the engine produced
every value, and a test revalidates dumped answers). Validating constructors cost about 0.8 µs
per leaf model and 8 µs for a 40-entry explanation; this way a whole answer costs a few µs.
The JSON is the same either way. The per-route models (a few per answer) go through
:func:`built`, which is ``model_construct`` without its per-field default handling (0.5 µs
instead of 2 µs; a test checks it against validation).
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from engine.problem import Solver

_FROZEN = ConfigDict(frozen=True, extra="forbid")

Status = Literal["routable", "partial", "unroutable"]
LaterRoutes = Literal["next_best", "alternatives"]
FulfillmentType = Literal["ship", "pickup"]
Fence = Literal[
    "capability",
    "location_type",
    "location_group",
    "exclude_locations",
    "max_distance_km",
    "max_delivery_days",
    "pickup_location",
]


M = TypeVar("M", bound=BaseModel)


def built(cls: type[M], values: dict[str, Any]) -> M:
    """``cls.model_construct(**values)`` for ``values`` that name every field of ``cls``
    (what ``model_construct`` does then, minus its per-field default lookups)."""
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", set(values))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


class LineOut(TypedDict):
    line_id: str
    sku: str
    quantity: int


class FulfillmentOrderOut(BaseModel):
    """What one location fulfils. ``distance_km`` is to the destination (0 for pickup).
    The dates (ISO ``YYYY-MM-DD``) are present when a delivery method applies; a pickup's
    ``estimated_delivery_date`` is the day it is ready."""

    model_config = _FROZEN
    location_id: str
    location_type: Literal["warehouse", "store"]
    fulfillment_type: FulfillmentType
    distance_km: float
    lines: list[LineOut]
    ship_date: str | None = None
    estimated_delivery_date: str | None = None


class RouteOut(BaseModel):
    model_config = _FROZEN
    rank: int = Field(ge=1)
    cost: float
    fulfillment_orders: list[FulfillmentOrderOut]
    unfilled: list[LineOut]


class PickupAlternative(TypedDict):
    """Another pickup location that can fill the whole order; ``distance_km`` from the
    store the customer chose."""

    location_id: str
    distance_km: float


class ExcludedCandidate(TypedDict):
    location_id: str
    excluded_by: Fence


class Explanation(BaseModel):
    """Why the routes are what they are.

    ``candidates``: excluded locations and the first fence that dropped each. By default only
    those holding usable stock of one of the order's SKUs (the ones a person would ask about;
    for a pickup order, the other stores are never listed, their count is enough); with
    ``explain="full"`` every excluded location. ``excluded_counts``: locations per fence, all of
    them. ``eligible``: locations that pass every fence; ``stocked``: those of them holding
    usable stock of at least one of the order's SKUs (the optimizer's candidates).
    """

    model_config = _FROZEN
    candidates: list[ExcludedCandidate]
    excluded_counts: dict[str, int]
    eligible: int
    stocked: int
    solver: Solver
    later_routes: LaterRoutes = Field(
        default="alternatives",
        description="what routes 2..k are: `next_best` = the true 2nd..kth cheapest routes "
        "(the CP-SAT path without pruning); `alternatives` = valid routes sorted by cost that "
        "mostly try other locations, not guaranteed to be the next cheapest",
    )


class PreviewAnswer(BaseModel):
    """One order's route preview. ``reason`` is set only when ``status`` is ``unroutable``."""

    model_config = _FROZEN
    order_id: str
    policy: str | None
    status: Status
    rules_version: str
    routes: list[RouteOut]
    reason: str | None = None
    pickup_alternatives: list[PickupAlternative] = Field(default_factory=list)
    explanation: Explanation
