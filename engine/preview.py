"""Route preview: (order, network, rules, stock) → DESIGN.md's preview answer. Read-only.

The hot path per order: pick the policy, read available-to-fulfill once for the order's SKUs
at every location (one ``atf_matrix`` call, always with the network's constant id tuple so an
inventory can cache its slot mapping), apply the fences (:mod:`engine.candidates`), solve
exactly (:func:`engine.solve.solve`), and re-attach ids to the solver's index-based routes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import compress
from typing import Literal, Protocol, cast

import numpy as np
import numpy.typing as npt

from engine.answer import (
    ExcludedCandidate,
    Explanation,
    FulfillmentOrderOut,
    LineOut,
    PickupAlternative,
    PreviewAnswer,
    RouteOut,
    Status,
    built,
)
from engine.candidates import (
    FENCES,
    PICKUP_LOCATION,
    Candidates,
    PolicyView,
    buffers,
    network_view,
    pickup_candidates,
    policy_view,
    ship_candidates,
    sku_rows,
)
from engine.delivery import resolve_method
from engine.geo import distances_km
from engine.input_errors import PreviewInputError, UnknownLocation
from engine.network import DeliveryMethod, Network
from engine.order import Order
from engine.params import SolveParams
from engine.problem import FulfillmentPlan, RoutingResult
from engine.solve import solve
from rules.schema import Policy, Rules

IntArray = npt.NDArray[np.int64]
Explain = Literal["relevant", "full"]
MAX_PICKUP_ALTERNATIVES = 3
_NO_STOCK: IntArray = np.zeros((0, 0), dtype=np.int64)


class StockReader(Protocol):
    """What a preview needs of inventory (``inventory.ports.Inventory`` provides it)."""

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> IntArray:
        """Available to fulfill per sku (rows) at each location (columns), int64."""
        ...


@dataclass(frozen=True, slots=True)
class _Context:
    network: Network
    rules_version: str
    now: datetime
    max_routes: int
    explain: Explain
    params: SolveParams | None


def preview(
    order: Order,
    *,
    network: Network,
    rules: Rules,
    rules_version: str,
    stock: StockReader,
    now: datetime,
    max_routes: int = 3,
    explain: Explain = "relevant",
    params: SolveParams | None = None,
) -> PreviewAnswer:
    """The route preview of one order. Raises :class:`PreviewInputError` for an order that
    names a location or delivery method the network does not know."""
    method = _checked_method(order, network)
    policy = rules.select_policy(order)
    skus, line_sku = sku_rows(order)
    # an order no policy takes needs no stock: skip the read
    atf = _NO_STOCK if policy is None else stock.atf_matrix(skus, network.location_ids)
    ctx = _Context(network, rules_version, now, max_routes, explain, params)
    return _answer(order, policy, method, atf, line_sku, ctx)


def preview_many(
    orders: Sequence[Order],
    *,
    network: Network,
    rules: Rules,
    rules_version: str,
    stock: StockReader,
    now: datetime,
    max_routes: int = 3,
    explain: Explain = "relevant",
    params: SolveParams | None = None,
) -> list[PreviewAnswer]:
    """Previews of many orders with one stock read for the union of their SKUs. Every order
    is checked before any is answered; an error's field is prefixed with ``orders[i].``."""
    methods: list[DeliveryMethod | None] = []
    for i, order in enumerate(orders):
        try:
            methods.append(_checked_method(order, network))
        except PreviewInputError as exc:
            raise type(exc)(f"orders[{i}].{exc.field}", exc.message) from exc
    rows: dict[str, int] = {}
    for order in orders:
        for line in order.lines:
            rows.setdefault(line.sku, len(rows))
    atf = stock.atf_matrix(tuple(rows), network.location_ids) if rows else None
    ctx = _Context(network, rules_version, now, max_routes, explain, params)
    answers = []
    for order, method in zip(orders, methods, strict=True):
        skus, line_sku = sku_rows(order)
        assert atf is not None  # every order has a line
        order_atf = atf[[rows[sku] for sku in skus]]
        answers.append(_answer(order, rules.select_policy(order), method, order_atf, line_sku, ctx))
    return answers


def _checked_method(order: Order, network: Network) -> DeliveryMethod | None:
    delivery = order.delivery
    if delivery.method == "pickup" and delivery.location_id not in network.index:
        raise UnknownLocation(
            "delivery.location_id", f"unknown pickup location {delivery.location_id!r}"
        )
    return resolve_method(order, network)


def _answer(
    order: Order,
    policy: Policy | None,
    method: DeliveryMethod | None,
    atf: IntArray,
    line_sku: tuple[int, ...],
    ctx: _Context,
) -> PreviewAnswer:
    if policy is None:
        explanation = Explanation(
            candidates=[], excluded_counts={}, eligible=0, stocked=0, solver="none"
        )
        return PreviewAnswer(
            order_id=order.id,
            policy=None,
            status="unroutable",
            rules_version=ctx.rules_version,
            routes=[],
            reason="no policy matches",
            explanation=explanation,
        )
    delivery = order.delivery
    network = ctx.network
    if delivery.method == "pickup":
        store = network.index[delivery.location_id]
        cands = pickup_candidates(
            order, policy, network, store, atf, line_sku, method, ctx.now, ctx.max_routes
        )
    else:
        store = -1
        cands = ship_candidates(
            order, policy, network, atf, line_sku, method, ctx.now, ctx.max_routes
        )
    result = None if cands.problem is None else solve(cands.problem, ctx.params)
    routes = [] if result is None else _routes(order, cands, result, network)
    complete = bool(routes) and not routes[0].unfilled
    status: Status = "routable" if complete else ("partial" if routes else "unroutable")
    alternatives: list[PickupAlternative] = []
    if store >= 0 and not complete:
        alternatives = _pickup_alternatives(order, policy, network, store, atf, line_sku)
    return built(
        PreviewAnswer,
        {
            "order_id": order.id,
            "policy": policy.name,
            "status": status,
            "rules_version": ctx.rules_version,
            "routes": routes,
            "reason": None if routes else _reason(cands, store >= 0),
            "pickup_alternatives": alternatives,
            "explanation": _explanation(cands, policy, network, atf, store, ctx.explain, result),
        },
    )


def _reason(cands: Candidates, pickup: bool) -> str:
    if cands.eligible == 0:
        return "no eligible location"
    if pickup:
        return "pickup store cannot fill the order"
    if cands.problem is None:
        return "no stock at eligible locations"
    return "no route fills every unit (ship_complete)"


def _routes(
    order: Order, cands: Candidates, result: RoutingResult, network: Network
) -> list[RouteOut]:
    # the k best routes often share Fulfillment Orders: build each distinct one once
    made: dict[FulfillmentPlan, FulfillmentOrderOut] = {}
    routes = []
    for rank, route in enumerate(result.routes, start=1):
        fos = []
        for plan in route.plans:
            fo = made.get(plan)
            if fo is None:
                fo = made[plan] = _fulfillment_order(order, cands, plan, network)
            fos.append(fo)
        unfilled = [_line(order, j, units) for j, units in route.unfilled]
        routes.append(
            built(
                RouteOut,
                {
                    "rank": rank,
                    "cost": round(route.cost, 6),
                    "fulfillment_orders": fos,
                    "unfilled": unfilled,
                },
            )
        )
    return routes


def _fulfillment_order(
    order: Order, cands: Candidates, plan: FulfillmentPlan, network: Network
) -> FulfillmentOrderOut:
    c = plan.location
    location = network.locations[int(cands.locations[c])]
    estimates = cands.estimates
    ship = deliver = None
    if estimates is not None:
        ship = str(estimates.ship_date[c])
        deliver = str(estimates.estimated_delivery_date[c]) if estimates.reachable[c] else None
    return built(
        FulfillmentOrderOut,
        {
            "location_id": location.id,
            "location_type": location.type,
            "fulfillment_type": order.delivery.method,
            "distance_km": round(float(cands.distance_km[c]), 6),
            "lines": [_line(order, j, qty) for j, qty in plan.lines],
            "ship_date": ship,
            "estimated_delivery_date": deliver,
        },
    )


def _line(order: Order, index: int, quantity: int) -> LineOut:
    line = order.lines[index]
    return {"line_id": line.id, "sku": line.sku, "quantity": quantity}


def _pickup_alternatives(
    order: Order,
    policy: Policy,
    network: Network,
    store: int,
    atf: IntArray,
    line_sku: tuple[int, ...],
) -> list[PickupAlternative]:
    """The nearest other pickup locations whose usable stock fills every line; within the
    pickup policy's ``max_distance_km`` of the chosen store when it sets one (a store 2,000 km
    away is no alternative to the one the customer picked)."""
    need = np.zeros(atf.shape[0], dtype=np.int64)
    np.add.at(need, np.array(line_sku), np.array([line.quantity for line in order.lines]))
    arrays = network.arrays
    fills = (atf - buffers(network, policy) >= need[:, None]).all(axis=0) & arrays.can_pickup
    fills[store] = False
    idx = np.flatnonzero(fills)
    here = network.locations[store]
    dist = distances_km(network_view(network).xyz[:, idx], here.lat, here.lon)
    ids = network.location_ids
    nearest = np.lexsort((idx, dist))[:MAX_PICKUP_ALTERNATIVES]
    radius = policy.sources.max_distance_km
    if radius is not None:
        nearest = nearest[dist[nearest] <= radius]
    return [
        {"location_id": ids[i], "distance_km": round(d, 6)}
        for i, d in zip(idx[nearest].tolist(), dist[nearest].tolist(), strict=True)
    ]


def _explanation(
    cands: Candidates,
    policy: Policy,
    network: Network,
    atf: IntArray,
    store: int,
    explain: Explain,
    result: RoutingResult | None,
) -> Explanation:
    view = cands.static
    if view is not None:  # only the policy's static fences: their summary is cached
        listed = _static_listed(view, atf, explain)
        counts = dict(view.excluded_counts)
    else:
        listed, counts = _listed(cands, policy, network, atf, store, explain)
    return built(
        Explanation,
        {
            "candidates": listed,
            "excluded_counts": counts,
            "eligible": cands.eligible,
            "stocked": int(cands.locations.shape[0]),
            "solver": "none" if result is None else result.solver,
        },
    )


def _static_listed(view: PolicyView, atf: IntArray, explain: Explain) -> list[ExcludedCandidate]:
    pairs = view.excluded_pairs
    if not pairs:
        return []
    if explain == "relevant":  # those holding usable stock of one of the order's SKUs
        held = (atf.take(view.excluded, axis=1) > view.excluded_buffer).any(axis=0)
        keep = cast("list[bool]", held.tolist())
        pairs = tuple(compress(pairs, keep))
    return [{"location_id": loc, "excluded_by": fence} for loc, fence in pairs]


def _listed(
    cands: Candidates,
    policy: Policy,
    network: Network,
    atf: IntArray,
    store: int,
    explain: Explain,
) -> tuple[list[ExcludedCandidate], dict[str, int]]:
    code = cands.code
    counts = np.bincount(code, minlength=len(FENCES) + 1)
    excluded = np.flatnonzero(code)
    if explain == "relevant":
        if store >= 0:  # pickup: only the chosen store, when it was fenced out
            excluded = excluded[code[excluded] != PICKUP_LOCATION]
        elif excluded.shape[0]:
            buffer = policy_view(network, policy).buffer[excluded]
            excluded = excluded[(atf[:, excluded] > buffer).any(axis=0)]
    ids = network.location_ids
    listed: list[ExcludedCandidate] = [
        {"location_id": ids[i], "excluded_by": FENCES[f - 1]}
        for i, f in zip(excluded.tolist(), code[excluded].tolist(), strict=True)
    ]
    return listed, {FENCES[f - 1]: int(n) for f, n in enumerate(counts.tolist()) if f and n}
