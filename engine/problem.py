"""The optimizer's immutable input and output (PyVRP style: problem data → solve() → result).

A :class:`RoutingProblem` is one order already reduced to numbers: its lines, the eligible
candidate locations (fences applied), the usable stock of each of the order's SKUs at each
candidate (buffers and safety stock already subtracted, never negative) and the cost terms of
DESIGN.md's objective. Indices, not ids, flow through the solver; ids are re-attached by the
preview layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class RoutingProblem:
    """One order's routing problem.

    Attributes:
        line_sku: for each order line, the row of ``stock`` holding its SKU (lines with the
            same SKU share a row, and so share stock).
        quantity: ordered units per line, each >= 1.
        stock: usable units, shape ``(n_skus, n_candidates)``, int64, >= 0.
        fixed_cost: per candidate, ``shipment_cost + per_km * distance_km``; paid once per
            Fulfillment Order at that candidate.
        unit_cost: per candidate, ``handling_cost_per_unit + priority_weight * priority``;
            paid per unit shipped from it.
        max_locations: most Fulfillment Orders (distinct locations) in a route, >= 1.
        line_split: whether one line's units may come from several locations.
        ship_complete: whether a route must fill every unit.
        split_penalty: paid per Fulfillment Order beyond the first.
        unfilled_unit_penalty: paid per unit left unfilled.
        max_routes: how many distinct routes to return, best first, >= 1.
    """

    line_sku: tuple[int, ...]
    quantity: tuple[int, ...]
    stock: IntArray
    fixed_cost: FloatArray
    unit_cost: FloatArray
    max_locations: int
    line_split: bool
    ship_complete: bool
    split_penalty: float
    unfilled_unit_penalty: float
    max_routes: int = 3

    @property
    def n_lines(self) -> int:
        return len(self.quantity)

    @property
    def n_candidates(self) -> int:
        return int(self.fixed_cost.shape[0])


@dataclass(frozen=True, slots=True)
class FulfillmentPlan:
    """The units one candidate location ships: ``(line index, quantity)`` pairs, quantity >= 1."""

    location: int
    lines: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Route:
    """One way to fill the order. ``plans`` are sorted by location index; every plan ships
    at least one unit and no location appears twice. ``unfilled`` lists ``(line, units)``
    with units >= 1."""

    cost: float
    plans: tuple[FulfillmentPlan, ...]
    unfilled: tuple[tuple[int, int], ...]


Solver = Literal["dp", "search", "mip", "cpsat", "none"]


@dataclass(frozen=True, slots=True)
class RoutingResult:
    """Routes best first (empty when the order is unroutable); ``solver`` names the path
    that proved the optimum."""

    routes: tuple[Route, ...]
    solver: Solver
    stats: dict[str, float] = field(default_factory=dict)
