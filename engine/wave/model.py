"""The wave problem (immutable data in, PyVRP style) and the plan a strategy returns.

Each order keeps the routing problem the preview pipeline builds for it alone (its policy's
fences, candidates, costs and constraints); what the wave adds is that stock is shared: a
unit at a location goes to one order. A policy's buffers (safety stock) make its usable
stock smaller than what is available; a wave keeps, per SKU and location, the largest buffer
any of its orders' policies keeps there, so every order's route stays within its policy
whatever the others take. ``capacity`` caps the units a location takes in one wave (the
network's ``daily_capacity_units``), ``max_orders`` the orders it serves (the rules file's
``waves.max_orders_per_location``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from engine.candidates import Candidates, pickup_candidates, ship_candidates, sku_rows
from engine.delivery import resolve_method
from engine.network import Network
from engine.order import Order
from engine.preview import StockReader, select_policy
from engine.problem import Route, RoutingProblem
from rules.schema import Rules

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
NO_LIMIT = -1


@dataclass(frozen=True, eq=False)
class WaveOrder:
    """One order of a wave. ``problem`` is ``None`` when no policy takes the order or no
    location may serve it (it stays unrouted, whatever the strategy). ``locations``: the
    network index of each of the problem's candidate columns; ``skus``: the wave's stock row
    of each of the problem's SKU rows; ``distance_km`` per candidate."""

    order_id: str
    units: int
    problem: RoutingProblem | None
    locations: IntArray
    skus: IntArray
    distance_km: FloatArray
    order: Order | None = None  # what it was built from, to answer in the preview's shape
    candidates: Candidates | None = None

    def with_stock(self, stock: IntArray) -> RoutingProblem:
        """The order's own problem over what is left of the wave's ``stock``."""
        assert self.problem is not None
        left = stock[np.ix_(self.skus, self.locations)]
        return dataclasses.replace(self.problem, stock=left, max_routes=1)

    def unrouted_cost(self) -> float:
        """An order left without a route pays the unfilled penalty on every unit."""
        return 0.0 if self.problem is None else self.problem.unfilled_unit_penalty * self.units


@dataclass(frozen=True, eq=False)
class WaveProblem:
    """``stock``: usable units shared by the wave, ``(n_skus, n_locations)``; ``capacity``:
    units each location may take in the wave, ``NO_LIMIT`` for none."""

    orders: tuple[WaveOrder, ...]
    stock: IntArray
    capacity: IntArray
    sku_ids: tuple[str, ...]
    location_ids: tuple[str, ...]
    max_orders: int = NO_LIMIT  # most orders one location serves in the wave


@dataclass(frozen=True)
class WavePlan:
    """One route per order (in that order's candidate indices), ``None`` for an order left
    unrouted. ``lower_bound``: a proven bound on the wave's cost, when the strategy has one."""

    routes: tuple[Route | None, ...]
    strategy: str
    lower_bound: float | None = None
    stats: dict[str, float] = field(default_factory=dict)


def build_wave(
    orders: Sequence[Order],
    *,
    network: Network,
    rules: Rules,
    stock: StockReader,
    now: datetime,
) -> WaveProblem:
    """The wave of ``orders`` over ``stock`` as it is now (one read for every SKU)."""
    sku_ids = tuple(dict.fromkeys(line.sku for order in orders for line in order.lines))
    row = {sku: i for i, sku in enumerate(sku_ids)}
    n_locations = len(network.location_ids)
    atf = stock.atf_matrix(sku_ids, network.location_ids) if sku_ids else _empty(n_locations)
    buffer = np.zeros_like(atf)
    wave_orders = []
    for order in orders:
        built, kept_back = _wave_order(order, network, rules, atf, row, now)
        wave_orders.append(built)
        if kept_back is not None:  # only the order's own SKUs and candidates: waves are big
            at = np.ix_(built.skus, built.locations)
            buffer[at] = np.maximum(buffer[at], kept_back)
    capacity = np.array(
        [
            NO_LIMIT if loc.daily_capacity_units is None else loc.daily_capacity_units
            for loc in network.locations
        ],
        dtype=np.int64,
    )
    limits = rules.waves
    most = limits.max_orders_per_location if limits is not None else None
    return WaveProblem(
        orders=tuple(wave_orders),
        stock=np.maximum(atf - buffer, 0),
        capacity=capacity,
        sku_ids=sku_ids,
        location_ids=network.location_ids,
        max_orders=NO_LIMIT if most is None else most,
    )


def _wave_order(
    order: Order,
    network: Network,
    rules: Rules,
    atf: IntArray,
    row: dict[str, int],
    now: datetime,
) -> tuple[WaveOrder, IntArray | None]:
    """The order's part of the wave, and the buffer its policy keeps per SKU and candidate
    (``None`` when no location may serve it)."""
    skus, line_sku = sku_rows(order)
    rows = np.array([row[sku] for sku in skus], dtype=np.int64)
    units = sum(line.quantity for line in order.lines)
    policy = select_policy(rules, order)
    cands: Candidates | None = None
    if policy is not None:
        order_atf = atf[rows]
        method = resolve_method(order, network)
        if order.delivery.method == "pickup":
            if order.delivery.location_id in network.index:
                store = network.index[order.delivery.location_id]
                cands = pickup_candidates(
                    order, policy, network, store, order_atf, line_sku, method, now, 1
                )
        else:
            cands = ship_candidates(order, policy, network, order_atf, line_sku, method, now, 1)
    if cands is None or cands.problem is None:
        nothing = np.zeros(0, dtype=np.int64)
        unrouted = WaveOrder(order.id, units, None, nothing, rows, np.zeros(0), order, cands)
        return unrouted, None
    locations = cands.locations.astype(np.int64)
    usable = cands.problem.stock
    available = atf[np.ix_(rows, locations)]
    # what the policy keeps back: all of it where nothing is usable
    held = np.where(usable > 0, available - usable, available)
    kept_back = np.maximum(held, 0)
    wave_order = WaveOrder(
        order.id,
        units,
        cands.problem,
        locations,
        rows,
        cands.distance_km.astype(np.float64),
        order,
        cands,
    )
    return wave_order, kept_back


def _empty(n_locations: int) -> IntArray:
    return np.zeros((0, n_locations), dtype=np.int64)
