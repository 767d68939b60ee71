"""An independent reference for the whole route preview, written from DESIGN.md's text alone.

It reads DESIGN.md's "routing objective" literally and shares no code with the engine's
candidates, solver or costing: eligibility by the fences, usable stock from the raw figures
(on hand, reserved, safety stock) and the policy's buffers, then every route enumerated
(integer quantities of each line from each eligible location) and costed. Instances must be
tiny (a handful of locations, a few lines of a few units): the enumeration is exhaustive.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from engine.network import Location, Network
from engine.order import Order
from rules.schema import Policy

EARTH_RADIUS_KM = 6371.0088  # DESIGN.md


@dataclass(frozen=True, slots=True)
class Figures:
    """Raw inventory counts of one (location, sku)."""

    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0


Shipment = tuple[str, int, int]
"""(location id, line index, quantity) of a route."""


@dataclass(frozen=True, slots=True)
class RouteIn:
    """A route as the answer states it: shipments, and (line index, units) left unfilled."""

    shipments: tuple[Shipment, ...]
    unfilled: tuple[tuple[int, int], ...]

    def key(self) -> tuple[tuple[Shipment, ...], tuple[tuple[int, int], ...]]:
        """Identity of the route: its quantities per (location, line), whatever the order."""
        return tuple(sorted(self.shipments)), tuple(sorted(self.unfilled))


@dataclass(frozen=True, slots=True)
class Checked:
    """What the reference recomputes for a valid route."""

    cost: float
    distance_km: dict[str, float]


class RouteViolation(AssertionError):
    """A route breaks one of DESIGN.md's constraints."""


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points in degrees (textbook formula)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class Reference:
    """DESIGN.md's routing objective for one order under one policy."""

    def __init__(
        self,
        order: Order,
        network: Network,
        policy: Policy,
        figures: Mapping[tuple[str, str], Figures],
    ) -> None:
        self.order = order
        self.network = network
        self.policy = policy
        self.figures = figures
        self.locations: dict[str, Location] = {loc.id: loc for loc in network.locations}

    # -- fences and stock -------------------------------------------------------------------

    def is_eligible(self, loc: Location) -> bool:
        delivery = self.order.delivery
        if delivery.method == "pickup":
            return loc.id == delivery.location_id and "pickup" in loc.capabilities
        sources = self.policy.sources
        if "ship" not in loc.capabilities or loc.type not in sources.location_types:
            return False
        if sources.location_group is not None:
            group = next(g for g in self.network.location_groups if g.id == sources.location_group)
            if loc.id not in group.location_ids:
                return False
        if loc.id in sources.exclude_locations:
            return False
        limit = sources.max_distance_km
        return limit is None or self.distance_km(loc.id) <= limit

    @cached_property
    def eligible(self) -> tuple[str, ...]:
        return tuple(loc.id for loc in self.network.locations if self.is_eligible(loc))

    @cached_property
    def ineligible(self) -> frozenset[str]:
        return frozenset(self.locations) - frozenset(self.eligible)

    def distance_km(self, location_id: str) -> float:
        delivery = self.order.delivery
        if delivery.method == "pickup":
            return 0.0
        loc = self.locations[location_id]
        return haversine(loc.lat, loc.lon, delivery.lat, delivery.lon)

    def usable(self, location_id: str, sku: str) -> int:
        """Usable stock at any location (eligible or not) under the policy's buffers."""
        f = self.figures.get((location_id, sku), Figures())
        buffer = self.policy.inventory.buffer_units.get(self.locations[location_id].type, 0)
        return max(0, f.on_hand - f.reserved - f.safety_stock - buffer)

    def covers_order(self, location_id: str) -> bool:
        """Whether the usable stock at ``location_id`` fills every line (same SKUs summed)."""
        need: dict[str, int] = {}
        for line in self.order.lines:
            need[line.sku] = need.get(line.sku, 0) + line.quantity
        return all(self.usable(location_id, sku) >= n for sku, n in need.items())

    # -- cost and checks --------------------------------------------------------------------

    def check(self, route: RouteIn) -> Checked:
        """Every constraint of DESIGN.md on ``route``, then its cost and per-FO distances.
        Raises :class:`RouteViolation` naming the broken constraint."""
        lines = self.order.lines
        split = self.policy.split
        shipped: dict[int, int] = {}
        per_location: dict[str, dict[int, int]] = {}
        for loc_id, j, qty in route.shipments:
            _require(loc_id in self.eligible, f"{loc_id} is not eligible")
            _require(0 <= j < len(lines) and qty >= 1, f"bad shipment {(loc_id, j, qty)}")
            _require(j not in per_location.get(loc_id, {}), f"line {j} twice at {loc_id}")
            per_location.setdefault(loc_id, {})[j] = qty
            shipped[j] = shipped.get(j, 0) + qty
        _require(bool(route.shipments), "a route must ship at least one unit")
        _require(len(per_location) <= split.max_locations, "more locations than max_locations")
        for loc_id, by_line in per_location.items():
            used: dict[str, int] = {}
            for j, qty in by_line.items():
                used[lines[j].sku] = used.get(lines[j].sku, 0) + qty
            for sku, qty in used.items():
                usable = self.usable(loc_id, sku)
                _require(qty <= usable, f"{qty} of {sku} at {loc_id} exceeds usable {usable}")
        unfilled: dict[int, int] = {}
        for j, qty in route.unfilled:
            _require(j not in unfilled and qty >= 1, f"bad unfilled entry {(j, qty)}")
            unfilled[j] = qty
        for j, line in enumerate(lines):
            total = shipped.get(j, 0) + unfilled.get(j, 0)
            _require(total == line.quantity, f"line {j}: {total} units for {line.quantity}")
            sources = sum(j in by_line for by_line in per_location.values())
            _require(split.line_split or sources <= 1, f"line {j} split without line_split")
        _require(not (split.ship_complete and unfilled), "unfilled units under ship_complete")
        return Checked(
            self._cost(per_location, sum(unfilled.values())),
            {loc_id: self.distance_km(loc_id) for loc_id in per_location},
        )

    def _cost(self, per_location: Mapping[str, Mapping[int, int]], unfilled: int) -> float:
        weights = self.policy.cost
        total = 0.0
        for loc_id, by_line in per_location.items():
            loc = self.locations[loc_id]
            total += loc.shipment_cost + weights.per_km * self.distance_km(loc_id)
            unit = loc.handling_cost_per_unit + weights.priority_weight * loc.priority
            total += sum(by_line.values()) * unit
        total += weights.split_penalty * max(0, len(per_location) - 1)
        return total + weights.unfilled_unit_penalty * unfilled

    # -- enumeration ------------------------------------------------------------------------

    def routes(self) -> Iterator[RouteIn]:
        """Every route: each line's units spread over the eligible locations (within the shared
        usable stock, the split limits and ship_complete), at least one unit shipped."""
        stock = {
            (loc_id, line.sku): self.usable(loc_id, line.sku)
            for loc_id in self.eligible
            for line in self.order.lines
        }
        yield from self._spread(0, stock, (), ())

    def _spread(
        self,
        j: int,
        stock: dict[tuple[str, str], int],
        shipments: tuple[Shipment, ...],
        unfilled: tuple[tuple[int, int], ...],
    ) -> Iterator[RouteIn]:
        lines = self.order.lines
        if j == len(lines):
            if shipments:
                yield RouteIn(shipments, unfilled)
            return
        line = lines[j]
        for vector in self._line_vectors(line.sku, line.quantity, stock):
            left = line.quantity - sum(vector)
            if left and self.policy.split.ship_complete:
                continue
            mine = tuple(
                (loc_id, j, q) for loc_id, q in zip(self.eligible, vector, strict=True) if q
            )
            places = {s[0] for s in shipments} | {s[0] for s in mine}
            if len(places) > self.policy.split.max_locations:
                continue
            after = dict(stock)
            for loc_id, _, q in mine:
                after[(loc_id, line.sku)] -= q
            more = ((j, left),) if left else ()
            yield from self._spread(j + 1, after, shipments + mine, unfilled + more)

    def _line_vectors(
        self, sku: str, quantity: int, stock: Mapping[tuple[str, str], int]
    ) -> Iterator[tuple[int, ...]]:
        """Quantities of one line at each eligible location, at most ``quantity`` in all."""
        bounds = [min(quantity, stock[(loc_id, sku)]) for loc_id in self.eligible]

        def rec(i: int, room: int) -> Iterator[tuple[int, ...]]:
            if i == len(bounds):
                yield ()
                return
            for q in range(min(bounds[i], room) + 1):
                for rest in rec(i + 1, room - q):
                    yield (q, *rest)

        for vector in rec(0, quantity):
            if self.policy.split.line_split or sum(q > 0 for q in vector) <= 1:
                yield vector

    def ranked_costs(self) -> list[float]:
        """The cost of every route, ascending (empty when the order is unroutable)."""
        return sorted(self.check(route).cost for route in self.routes())

    def optimum(self) -> float | None:
        costs = self.ranked_costs()
        return costs[0] if costs else None

    def best_route(self) -> RouteIn | None:
        """One least-cost route (the first by its key among equals), ``None`` if unroutable."""
        return min(self.routes(), key=lambda r: (self.check(r).cost, r.key()), default=None)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise RouteViolation(message)


def route_of(
    order: Order,
    fulfillment_orders: Sequence[tuple[str, Sequence[tuple[str, int]]]],
    unfilled: Sequence[tuple[str, int]],
) -> RouteIn:
    """A :class:`RouteIn` from (location id, [(line id, qty)]) pairs and unfilled (line id, qty)."""
    index = {line.id: j for j, line in enumerate(order.lines)}
    shipments = tuple(
        (loc_id, index[line_id], qty)
        for loc_id, lines in fulfillment_orders
        for line_id, qty in lines
    )
    return RouteIn(shipments, tuple((index[line_id], qty) for line_id, qty in unfilled))
