"""Candidate generation: which locations may serve one order under its policy (DESIGN.md's
fences), their usable stock and cost terms, reduced to an :class:`engine.problem.RoutingProblem`.

The order-independent fences (capability, type, group, exclusions) and the per-location cost
columns of a (network, policy) pair are computed once and cached (:mod:`engine.views`, which
also defines the fence codes); per order only the distances, the distance and delivery fences
and the stock arithmetic remain, all numpy.

Locations that pass every fence but hold no usable unit of any of the order's SKUs are left out
of the problem (no optimal route uses them). They are *eligible*, not excluded: the explanation
counts them in ``eligible`` but never lists them as excluded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.delivery import Estimates, estimate
from engine.geo import distances_km
from engine.network import DeliveryMethod, Network
from engine.order import Order
from engine.problem import RoutingProblem
from engine.views import (
    CAPABILITY,
    ELIGIBLE,
    MAX_DAYS,
    MAX_DISTANCE,
    PICKUP_LOCATION,
    CodeArray,
    PolicyView,
    buffers,
    network_view,
    policy_view,
)
from rules.schema import Policy

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def sku_rows(order: Order) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The order's distinct SKUs (first-seen order) and, per line, its SKU's row."""
    rows: dict[str, int] = {}
    line_sku = tuple(rows.setdefault(line.sku, len(rows)) for line in order.lines)
    return tuple(rows), line_sku


@dataclass(frozen=True, slots=True)
class Candidates:
    """One order's candidates.

    ``code`` holds every network location's fence code; ``locations`` the network indices of
    the solver's candidates (eligible and stocked), aligned with ``problem``'s columns and with
    ``distance_km``; ``estimates`` (when a delivery method applies) is aligned with them too.
    ``problem`` is ``None`` when there is no candidate. ``static`` is the policy's view when
    only its order-independent fences excluded locations (``code`` is then its static code),
    so the explanation can use what the view caches.
    """

    code: CodeArray
    eligible: int
    locations: IntArray
    distance_km: FloatArray
    estimates: Estimates | None
    problem: RoutingProblem | None
    static: PolicyView | None = None


def ship_candidates(
    order: Order,
    policy: Policy,
    network: Network,
    atf: IntArray,
    line_sku: tuple[int, ...],
    method: DeliveryMethod | None,
    now: datetime,
    max_routes: int,
) -> Candidates:
    """Candidates of a ship order. ``atf``: available to fulfill per order SKU (rows, as in
    ``line_sku``) at every network location (columns)."""
    view = policy_view(network, policy)
    delivery = order.delivery
    assert delivery.method == "ship"
    code = view.static_code  # copied before a per-order fence writes to it
    dist = distances_km(view.xyz, delivery.lat, delivery.lon)
    keep: IntArray | None = None  # positions in view.idx still in; None = all (no gathers)
    max_km = policy.sources.max_distance_km
    if max_km is not None:
        near = dist <= max_km
        if not near.all():
            code = code.copy()
            code[view.idx[~near]] = MAX_DISTANCE
            keep = np.flatnonzero(near)
    estimates = None
    # Without a delivery-days fence the estimates only feed the answer: compute them for the
    # few stocked candidates instead of every eligible location.
    deferred = method is not None and policy.sources.max_delivery_days is None
    if method is not None and not deferred:
        locations = _pick(view.idx, keep)
        schedules = network_view(network).schedules
        estimates = estimate(schedules, method, locations, _pick(dist, keep), now)
        max_days = policy.sources.max_delivery_days
        if max_days is not None:
            in_time = estimates.reachable & (estimates.delivery_days <= max_days)
            if code is view.static_code:
                code = code.copy()
            code[locations[~in_time]] = MAX_DAYS
            estimates = _subset(estimates, in_time)
            keep = np.flatnonzero(in_time) if keep is None else keep[in_time]
    dist = _pick(dist, keep)
    cands = _stocked(
        policy,
        code,
        _pick(view.idx, keep),
        dist,
        _pick(view.shipment_cost, keep) + policy.cost.per_km * dist,
        _pick(view.unit_cost, keep),
        _pick(view.idx_buffer, keep),
        atf,
        line_sku,
        order,
        estimates,
        max_routes,
        view if code is view.static_code else None,
    )
    if deferred:
        assert method is not None
        schedules = network_view(network).schedules
        late = estimate(schedules, method, cands.locations, cands.distance_km, now)
        cands = replace(cands, estimates=late)
    return cands


def _pick(values: npt.NDArray[Any], keep: IntArray | None) -> npt.NDArray[Any]:
    return values if keep is None else values.take(keep, axis=-1)


def pickup_candidates(
    order: Order,
    policy: Policy,
    network: Network,
    store: int,
    atf: IntArray,
    line_sku: tuple[int, ...],
    method: DeliveryMethod | None,
    now: datetime,
    max_routes: int,
) -> Candidates:
    """Candidates of a pickup order at network location ``store``: the store alone, if it
    can serve pickups."""
    arrays = network.arrays
    code = np.full(len(network.locations), PICKUP_LOCATION, dtype=np.int8)
    if not arrays.can_pickup[store]:
        code[store] = CAPABILITY
        locations = np.empty(0, dtype=np.int64)
    else:
        code[store] = ELIGIBLE
        locations = np.array([store], dtype=np.int64)
    dist = np.zeros(locations.shape[0], dtype=np.float64)
    estimates = None
    if method is not None:
        estimates = estimate(network_view(network).schedules, method, locations, dist, now)
    weight = policy.cost.priority_weight
    unit = arrays.handling_cost_per_unit[locations] + weight * arrays.priority[locations]
    return _stocked(
        policy,
        code,
        locations,
        dist,
        arrays.shipment_cost[locations].copy(),
        unit,
        buffers(network, policy)[locations],
        atf,
        line_sku,
        order,
        estimates,
        max_routes,
    )


def _stocked(
    policy: Policy,
    code: CodeArray,
    locations: IntArray,
    dist: FloatArray,
    fixed_cost: FloatArray,
    unit_cost: FloatArray,
    buffer: IntArray,
    atf: IntArray,
    line_sku: tuple[int, ...],
    order: Order,
    estimates: Estimates | None,
    max_routes: int,
    static: PolicyView | None = None,
) -> Candidates:
    """Usable stock at the eligible ``locations``; drop the ones holding nothing; build the
    problem."""
    usable = atf.take(locations, axis=1)
    usable -= buffer  # buffer is aligned with locations
    np.maximum(usable, 0, out=usable)
    eligible = int(locations.shape[0])
    stocked = np.flatnonzero(usable.any(axis=0))
    if stocked.shape[0] < eligible:
        usable = usable.take(stocked, axis=1)
        locations, dist = locations.take(stocked), dist.take(stocked)
        fixed_cost, unit_cost = fixed_cost.take(stocked), unit_cost.take(stocked)
        if estimates is not None:
            estimates = _subset(estimates, stocked)
    problem = None
    if locations.shape[0]:
        split = policy.split
        pickup = order.delivery.method == "pickup"
        problem = RoutingProblem(
            line_sku=line_sku,
            quantity=tuple(line.quantity for line in order.lines),
            stock=usable,
            fixed_cost=fixed_cost,
            unit_cost=unit_cost,
            max_locations=1 if pickup else split.max_locations,
            line_split=split.line_split,
            ship_complete=split.ship_complete,
            split_penalty=policy.cost.split_penalty,
            unfilled_unit_penalty=policy.cost.unfilled_unit_penalty,
            max_routes=max_routes,
        )
    return Candidates(code, eligible, locations, dist, estimates, problem, static)


def _subset(estimates: Estimates, mask: npt.NDArray[np.bool_] | IntArray) -> Estimates:
    return Estimates(
        estimates.ship_date[mask],
        estimates.estimated_delivery_date[mask],
        estimates.delivery_days[mask],
        estimates.reachable[mask],
    )
