"""Acceptance: the whole route preview against an exhaustive reference, on random tiny instances.

Each seed builds a random network, a single random policy, random inventory (with reservations
held in a real ``MemoryInventory``) and a random order, asks ``engine.preview.preview`` for the
answer, and checks it against :mod:`tests.unit.preview.reference`, which enumerates every route
under DESIGN.md's text without touching the engine's candidates, solver or costing.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.answer import PreviewAnswer
from engine.network import Network
from engine.order import Order
from engine.preview import preview
from inventory.memory import MemoryInventory
from inventory.model import InventoryRecord, ReservationLine
from rules.schema import Policy, Rules
from tests.unit.preview.reference import Figures, Reference, RouteIn, haversine, route_of

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TOL = 1e-5  # the answer rounds costs and distances to 6 decimals
SKUS = ("A", "B", "C", "D")
UNKNOWN_SKU = "NOPE"
CENTER = (40.0, -75.0)
BLOCKS = 80
BLOCK_SIZE = 50


@dataclass(frozen=True)
class Instance:
    seed: int
    network: Network
    rules: Rules
    order: Order
    figures: dict[tuple[str, str], Figures]
    stock: MemoryInventory
    max_routes: int

    @property
    def policy(self) -> Policy:
        return self.rules.policies[0]


# -- random instances ------------------------------------------------------------------------


def _coordinates(rng: random.Random) -> tuple[float, float]:
    # within about ±250 km of the centre, so the 150-900 km distance fences bite
    return CENTER[0] + rng.uniform(-2.2, 2.2), CENTER[1] + rng.uniform(-2.8, 2.8)


def _money(rng: random.Random, high: float, zero_chance: float = 0.25) -> float:
    return 0.0 if rng.random() < zero_chance else round(rng.uniform(0.0, high), 3)


def random_network(rng: random.Random, scarce: bool) -> Network:
    locations = []
    for i in range(rng.choice((2, 3, 4, 4, 5, 5))):
        lat, lon = _coordinates(rng)
        caps = rng.choice(
            [("ship",), ("ship", "pickup")]
            if scarce
            else [("ship",)] * 4 + [("ship", "pickup")] * 4 + [("pickup",), ()]
        )
        locations.append(
            {
                "id": f"L{i}",
                "type": rng.choice(["warehouse", "store"]),
                "lat": lat,
                "lon": lon,
                "capabilities": caps,
                "shipment_cost": _money(rng, 10.0),
                "handling_cost_per_unit": _money(rng, 2.0),
                "priority": rng.choice((-1, 0, 0, 1, 2, 3)),  # any integer is valid
            }
        )
    ids = [loc["id"] for loc in locations]
    groups = [
        {"id": f"G{g}", "location_ids": rng.sample(ids, rng.randint(len(ids) // 2, len(ids)))}
        for g in range(rng.randint(1, 2))
    ]
    return Network.model_validate({"locations": locations, "location_groups": groups})


def random_sources(rng: random.Random, network: Network, scarce: bool) -> dict[str, Any]:
    sources: dict[str, Any] = {
        "location_types": rng.choice(
            [["warehouse", "store"]] * (9 if scarce else 4) + [["warehouse"], ["store"]]
        ),
        "exclude_locations": rng.sample(
            network.location_ids, rng.choice([0] * (8 if scarce else 4) + [1, 1, 2])
        ),
    }
    if rng.random() < (0.15 if scarce else 0.35):
        sources["location_group"] = rng.choice(network.location_groups).id
    if rng.random() < 0.4:
        sources["max_distance_km"] = round(rng.uniform(150.0, 450.0) * (1 + scarce), 1)
    return sources


def random_policy(
    rng: random.Random, network: Network, method: str, scarce: bool
) -> dict[str, Any]:
    return {
        "name": f"policy-{method}",
        "when": rng.choice([{"delivery_method": method}, {}, {"channel": ["web", "app"]}]),
        "sources": random_sources(rng, network, scarce),
        "inventory": {
            "buffer_units": {
                "store": rng.randint(0, 2 - scarce),
                "warehouse": rng.choice([0, 0, 1]),
            }
        },
        "split": {
            "max_locations": rng.randint(1 + scarce, 3),
            "line_split": rng.random() < 0.5,
            "ship_complete": rng.random() < 0.25,
        },
        "cost": {
            "per_km": _money(rng, 0.05),
            "split_penalty": _money(rng, 5.0),
            "unfilled_unit_penalty": rng.choice(
                [50.0, 1000.0] if scarce else [0.0, 3.0, 1000.0, _money(rng, 50.0, 0.0)]
            ),
            "priority_weight": _money(rng, 2.0, 0.5),
        },
    }


def random_order(rng: random.Random, network: Network, pickup: bool, scarce: bool) -> Order:
    skus = [rng.choice(SKUS) for _ in range(rng.randint(1, 3))]
    if len(skus) > 1 and rng.random() < 0.2:
        skus[-1] = skus[0]  # two lines of one SKU share its stock
    if rng.random() < 0.15:
        skus[rng.randrange(len(skus))] = UNKNOWN_SKU
    lines = [
        {"id": f"ln{j}", "sku": sku, "quantity": rng.randint(1 + scarce, 3)}
        for j, sku in enumerate(skus)
    ]
    delivery: dict[str, Any]
    if pickup:
        stores = [loc.id for loc in network.locations if "pickup" in loc.capabilities]
        # mostly a pickup location, sometimes one that cannot serve pickups
        choices = stores if stores and rng.random() < 0.75 else network.location_ids
        delivery = {"method": "pickup", "location_id": rng.choice(choices)}
    else:
        # sometimes right at a location (distance 0)
        spot = rng.choice(network.locations) if rng.random() < 0.1 else None
        lat, lon = _coordinates(rng) if spot is None else (spot.lat, spot.lon)
        delivery = {"method": "ship", "lat": lat, "lon": lon, "country": "US"}
    return Order.model_validate(
        {"id": "O1", "channel": "web", "lines": lines, "delivery": delivery}
    )


def random_stock(
    rng: random.Random, network: Network, scarce: bool
) -> tuple[MemoryInventory, dict[tuple[str, str], Figures]]:
    """Stock in a real MemoryInventory, with some units held by reservations; the reference
    gets the same raw figures, tracked here independently of the inventory's arithmetic."""
    stock = MemoryInventory(clock=lambda: 0.0)
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for loc_id in network.location_ids:
        for sku in SKUS:
            if rng.random() < 0.85:
                on_hand = rng.randint(0, 3 if scarce else 7)
                counts[(loc_id, sku)] = (on_hand, rng.choice([0] * (9 if scarce else 3) + [1, 2]))
    stock.upsert(
        InventoryRecord(loc, sku, on, safety) for (loc, sku), (on, safety) in counts.items()
    )
    reserved: Counter[tuple[str, str]] = Counter()
    for r, key in enumerate(sorted(counts)):
        free = counts[key][0] - counts[key][1]
        if free > 0 and rng.random() < 0.3:
            held = rng.randint(1, free)
            stock.reserve(f"R{r}", [ReservationLine(key[0], key[1], held)])
            if rng.random() < 0.3:  # part of it goes back
                back = rng.randint(1, held)
                stock.release(f"R{r}", [ReservationLine(key[0], key[1], back)])
                held -= back
            reserved[key] += held
    figures = {key: Figures(on, reserved[key], safety) for key, (on, safety) in counts.items()}
    return stock, figures


def instance(seed: int) -> Instance:
    """A random instance. Two in five are *scarce*: open fences, little stock per location and
    several units per line, so that routes split across locations and lines."""
    rng = random.Random(seed)
    scarce = rng.random() < 0.4
    network = random_network(rng, scarce)
    pickup = rng.random() < 0.2
    policy = random_policy(rng, network, "pickup" if pickup else "ship", scarce)
    rules = Rules.model_validate({"version": 1, "policies": [policy]})
    order = random_order(rng, network, pickup, scarce)
    stock, figures = random_stock(rng, network, scarce)
    return Instance(seed, network, rules, order, figures, stock, rng.randint(1, 5))


def answer_of(inst: Instance) -> PreviewAnswer:
    return preview(
        inst.order,
        network=inst.network,
        rules=inst.rules,
        rules_version="bruteforce",
        stock=inst.stock,
        now=NOW,
        max_routes=inst.max_routes,
        explain="full",
    )


# -- checks ----------------------------------------------------------------------------------


def as_route(inst: Instance, answer: PreviewAnswer, rank: int) -> RouteIn:
    route = answer.routes[rank - 1]
    return route_of(
        inst.order,
        [
            (fo.location_id, [(line["line_id"], line["quantity"]) for line in fo.lines])
            for fo in route.fulfillment_orders
        ],
        [(line["line_id"], line["quantity"]) for line in route.unfilled],
    )


def check_routes(inst: Instance, ref: Reference, answer: PreviewAnswer) -> None:
    ranked = ref.ranked_costs()
    if not ranked:
        assert answer.status == "unroutable", "the reference finds no route"
        assert answer.routes == [] and answer.reason
        return
    assert answer.routes, f"no route, reference optimum {ranked[0]}"
    assert answer.routes[0].cost == pytest.approx(ranked[0], abs=TOL), "route 1 is not optimal"
    assert answer.status == ("partial" if answer.routes[0].unfilled else "routable")
    assert [r.rank for r in answer.routes] == list(range(1, len(answer.routes) + 1))
    # routes 2..k are distinct valid alternatives, not always the true k best (README)
    assert len(answer.routes) <= min(inst.max_routes, len(ranked))
    keys = set()
    lines = {line.id: line for line in inst.order.lines}
    for rank, route in enumerate(answer.routes, start=1):
        checked = ref.check(as_route(inst, answer, rank))
        assert route.cost == pytest.approx(checked.cost, abs=TOL), f"route {rank} cost"
        # distinct valid routes can never beat the true k-th cheapest one
        assert route.cost >= ranked[rank - 1] - TOL, f"route {rank} beats the k-th best"
        for fo in route.fulfillment_orders:
            loc = inst.network.locations[inst.network.index[fo.location_id]]
            assert fo.distance_km == pytest.approx(checked.distance_km[fo.location_id], abs=TOL)
            assert fo.fulfillment_type == inst.order.delivery.method
            assert fo.location_type == loc.type
            assert all(line["sku"] == lines[line["line_id"]].sku for line in fo.lines)
        assert all(line["sku"] == lines[line["line_id"]].sku for line in route.unfilled)
        keys.add(as_route(inst, answer, rank).key())
    assert len(keys) == len(answer.routes), "routes are not distinct"
    costs = [r.cost for r in answer.routes]
    assert costs == sorted(costs), "routes are not best first"


def check_explanation(ref: Reference, answer: PreviewAnswer) -> None:
    listed = [c["location_id"] for c in answer.explanation.candidates]
    assert len(listed) == len(set(listed)), "a location listed twice"
    # explain="full" lists every excluded location, and only those
    assert set(listed) == ref.ineligible, "excluded locations differ from the fences"
    assert answer.explanation.eligible == len(ref.eligible)


def check_pickup_alternatives(inst: Instance, ref: Reference, answer: PreviewAnswer) -> None:
    delivery = inst.order.delivery
    complete = answer.status == "routable"
    if delivery.method != "pickup" or complete:
        assert answer.pickup_alternatives == []
        return
    store = inst.network.locations[inst.network.index[delivery.location_id]]
    radius = inst.rules.policies[0].sources.max_distance_km
    qualified = sorted(
        (haversine(store.lat, store.lon, loc.lat, loc.lon), loc.id)
        for loc in inst.network.locations
        if loc.id != store.id and "pickup" in loc.capabilities and ref.covers_order(loc.id)
    )
    qualified = [(d, loc_id) for d, loc_id in qualified if radius is None or d <= radius]
    alternatives = answer.pickup_alternatives
    assert len(alternatives) == min(3, len(qualified)), "pickup alternatives missing"
    for alt, (distance, _) in zip(alternatives, qualified, strict=False):
        loc = inst.network.locations[inst.network.index[alt["location_id"]]]
        assert alt["location_id"] != store.id and "pickup" in loc.capabilities
        assert ref.covers_order(alt["location_id"]), f"{alt['location_id']} cannot fill it"
        own = haversine(store.lat, store.lon, loc.lat, loc.lon)
        assert alt["distance_km"] == pytest.approx(own, abs=TOL)
        assert alt["distance_km"] == pytest.approx(distance, abs=TOL), "not the nearest"


def check_instance(inst: Instance) -> Reference:
    answer = answer_of(inst)
    assert answer.policy == inst.policy.name
    ref = Reference(inst.order, inst.network, inst.policy, inst.figures)
    check_routes(inst, ref, answer)
    check_explanation(ref, answer)
    check_pickup_alternatives(inst, ref, answer)
    return ref


# -- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("block", range(BLOCKS))
def test_preview_matches_exhaustive_reference_on_random_instances(block: int) -> None:
    for seed in range(block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE):
        try:
            check_instance(instance(seed))
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}: {exc}") from exc


def features(inst: Instance, ref: Reference) -> set[str]:
    """What an instance exercises, for the coverage check of the acceptance criteria."""
    policy, order = inst.policy, inst.order
    sources, split = policy.sources, policy.split
    skus = [line.sku for line in order.lines]
    found = {
        "line_split" if split.line_split else "no_line_split",
        "ship_complete" if split.ship_complete else "may_leave_unfilled",
        f"max_locations={split.max_locations}",
        order.delivery.method,
    }
    on_order = [f for (_, sku), f in inst.figures.items() if sku in skus]
    flags = {
        "safety_stock": any(f.safety_stock for f in on_order),
        "reserved": any(f.reserved for f in on_order),
        "buffer": any(policy.inventory.buffer_units.values()),
        "location_group": sources.location_group is not None,
        "exclude_locations": bool(sources.exclude_locations),
        "max_distance_km": order.delivery.method == "ship"
        and any(ref.distance_km(i) > (sources.max_distance_km or math.inf) for i in ref.ineligible),
        "duplicate_sku": len(set(skus)) < len(skus),
        "unknown_sku": UNKNOWN_SKU in skus,
        "pickup_without_capability": order.delivery.method == "pickup" and not ref.eligible,
        "no_unfilled_penalty": policy.cost.unfilled_unit_penalty == 0,
    }
    found |= {name for name, on in flags.items() if on}
    best = ref.best_route()
    if best is None:
        return found | {"unroutable"}
    found.add("partial" if best.unfilled else "complete")
    places = {loc_id for loc_id, _, _ in best.shipments}
    lines = [j for _, j, _ in best.shipments]
    found |= {"split_route"} if len(places) > 1 else set()
    return found | ({"split_line"} if len(set(lines)) < len(lines) else set())


COVERED = (
    "line_split",
    "no_line_split",
    "ship_complete",
    "may_leave_unfilled",
    "max_locations=1",
    "max_locations=2",
    "max_locations=3",
    "ship",
    "pickup",
    "safety_stock",
    "reserved",
    "buffer",
    "location_group",
    "exclude_locations",
    "max_distance_km",
    "duplicate_sku",
    "unknown_sku",
    "pickup_without_capability",
    "no_unfilled_penalty",
    "unroutable",
    "partial",
    "complete",
    "split_route",
    "split_line",
)


def test_random_instances_cover_every_case_the_acceptance_criteria_name() -> None:
    seen: Counter[str] = Counter()
    for seed in range(BLOCKS * BLOCK_SIZE):
        inst = instance(seed)
        seen.update(features(inst, Reference(inst.order, inst.network, inst.policy, inst.figures)))
    rare = {name: seen[name] for name in COVERED if seen[name] < BLOCKS * BLOCK_SIZE // 100}
    assert not rare, f"cases seen in fewer than 1% of the instances: {rare}"
