"""Preview answer assembly: the solver's index-based routes turned into DESIGN.md's routes and
Fulfillment Orders (ids, distances, dates), the pickup alternatives of a store that cannot fill
an order, the reason an order has no route, and the explanation of excluded candidates.

Separate from :mod:`engine.preview` (the per-order pipeline: policy, stock read, candidates,
solve) because none of this decides a route: it only describes the one the solver found.
"""

from __future__ import annotations

from itertools import compress
from typing import Literal, cast

import numpy as np
import numpy.typing as npt

from engine.answer import (
    ExcludedCandidate,
    Explanation,
    FulfillmentOrderOut,
    LineOut,
    PickupAlternative,
    RouteOut,
    built,
)
from engine.candidates import Candidates
from engine.geo import distances_km
from engine.network import Network
from engine.order import Order
from engine.problem import FulfillmentPlan, RoutingResult
from engine.views import FENCES, PICKUP_LOCATION, PolicyView, buffers, network_view, policy_view
from rules.schema import Policy

IntArray = npt.NDArray[np.int64]
Explain = Literal["relevant", "full"]
MAX_PICKUP_ALTERNATIVES = 3


def reason(cands: Candidates, pickup: bool) -> str:
    if cands.eligible == 0:
        return "no eligible location"
    if pickup:
        return "pickup store cannot fill the order"
    if cands.problem is None:
        return "no stock at eligible locations"
    return "no route fills every unit (ship_complete)"


def routes(
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


def pickup_alternatives(
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


def explanation(
    cands: Candidates,
    policy: Policy,
    network: Network,
    atf: IntArray,
    store: int,
    explain: Explain,
    result: RoutingResult | None,
    k_best: bool = False,
) -> Explanation:
    """``k_best``: the solver's routes 2..k are the true next-best ones (said in the answer,
    so that a caller never mistakes alternatives for the runner-up)."""
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
            "later_routes": "next_best" if k_best else "alternatives",
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
