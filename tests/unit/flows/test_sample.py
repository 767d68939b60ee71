"""The bundled sample network and the generated stock and orders."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from engine.geo import haversine_km
from engine.network import Location, Network
from engine.order import PickupDelivery, ShipDelivery
from flows.sample import (
    JITTER_KM,
    sample_inventory,
    sample_network,
    sample_orders,
    sample_skus,
)
from inventory.model import InventoryRecord

ROOT = Path(__file__).resolve().parents[3]

# (south, north, west, east) of the contiguous states, Alaska and Hawaii.
US_BOXES = {
    "contiguous": (24.4, 49.4, -124.8, -66.9),
    "alaska": (51.2, 71.4, -179.2, -129.9),
    "hawaii": (18.9, 22.3, -160.3, -154.8),
}


def in_us(lat: float, lon: float) -> bool:
    return any(s <= lat <= n and w <= lon <= e for s, n, w, e in US_BOXES.values())


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_sample_network", ROOT / "tools" / "make_sample_network.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def mean_on_hand(records: list[InventoryRecord]) -> float:
    return sum(r.on_hand for r in records) / len(records)


@pytest.fixture(scope="module")
def network() -> Network:
    return sample_network()


def of_type(network: Network, kind: str) -> list[Location]:
    return [loc for loc in network.locations if loc.type == kind]


def test_bundled_network_is_exactly_what_the_generator_writes() -> None:
    generator = load_generator()
    bundled = (ROOT / "api" / "data" / "sample_network.json").read_text(encoding="utf-8")
    assert bundled == generator.render(generator.build_network())


def test_bundled_network_validates_as_a_network_document(network: Network) -> None:
    raw = json.loads((ROOT / "api" / "data" / "sample_network.json").read_text(encoding="utf-8"))
    assert Network.model_validate(raw) == network


def test_sample_has_ten_warehouses_and_three_hundred_stores(network: Network) -> None:
    assert [loc.id for loc in of_type(network, "warehouse")] == [f"DC{i:02d}" for i in range(1, 11)]
    assert [loc.id for loc in of_type(network, "store")] == [f"ST{i:03d}" for i in range(1, 301)]


def test_every_location_lies_inside_the_united_states(network: Network) -> None:
    outside = [loc.id for loc in network.locations if not in_us(loc.lat, loc.lon)]
    assert outside == []


def test_stores_are_spread_over_time_zones_from_hawaii_to_the_east_coast(network: Network) -> None:
    zones = {loc.time_zone for loc in of_type(network, "store")}
    expected = {"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix"}
    assert expected | {"America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"} <= zones


def test_location_ids_are_unique(network: Network) -> None:
    ids = [loc.id for loc in network.locations]
    assert len(set(ids)) == len(ids)


def test_warehouses_ship_and_stores_take_pickups(network: Network) -> None:
    assert all(loc.capabilities == ("ship",) for loc in of_type(network, "warehouse"))
    stores = of_type(network, "store")
    assert all("pickup" in loc.capabilities for loc in stores)
    pickup_only = [loc for loc in stores if "ship" not in loc.capabilities]
    assert 0 < len(pickup_only) < len(stores) / 4


def test_stores_cost_more_per_shipment_and_unit_than_warehouses(network: Network) -> None:
    warehouses, stores = of_type(network, "warehouse"), of_type(network, "store")
    assert max(w.shipment_cost for w in warehouses) < min(s.shipment_cost for s in stores)
    assert max(w.handling_cost_per_unit for w in warehouses) < min(
        s.handling_cost_per_unit for s in stores
    )
    assert {s.priority for s in stores} <= {1, 2}
    assert all(s.daily_capacity_units is not None for s in stores)


def test_group_members_exist_and_online_is_every_shipping_location(network: Network) -> None:
    known = set(network.location_ids)
    for group in network.location_groups:
        assert set(group.location_ids) <= known, group.id
    shipping = {loc.id for loc in network.locations if "ship" in loc.capabilities}
    assert network.groups["ONLINE"] == shipping
    regions = [network.groups[r] for r in ("EAST", "CENTRAL", "WEST")]
    assert frozenset().union(*regions) == known
    assert sum(len(r) for r in regions) == len(known)


def test_delivery_methods_cover_standard_express_and_pickup(network: Network) -> None:
    assert {m: network.methods[m].kind for m in ("STANDARD", "EXPRESS", "PICKUP")} == {
        "STANDARD": "ship",
        "EXPRESS": "ship",
        "PICKUP": "pickup",
    }


def test_skus_are_numbered_from_one() -> None:
    skus = sample_skus(12)
    assert skus[0] == "SKU-00001"
    assert skus[-1] == "SKU-00012"
    assert len(set(sample_skus())) == 2000


def test_inventory_is_the_same_for_the_same_seed(network: Network) -> None:
    assert sample_inventory(network, n_skus=300, seed=3) == sample_inventory(
        network, n_skus=300, seed=3
    )


def test_inventory_differs_for_another_seed(network: Network) -> None:
    assert sample_inventory(network, n_skus=300, seed=3) != sample_inventory(
        network, n_skus=300, seed=4
    )


def test_inventory_is_sparse_and_deeper_at_warehouses(network: Network) -> None:
    n_skus = 2000
    records = sample_inventory(network, n_skus=n_skus)
    warehouse_ids = {loc.id for loc in of_type(network, "warehouse")}
    at_dc = [r for r in records if r.location_id in warehouse_ids]
    at_store = [r for r in records if r.location_id not in warehouse_ids]
    dc_share = len(at_dc) / (len(warehouse_ids) * n_skus)
    store_share = len(at_store) / ((len(network.locations) - len(warehouse_ids)) * n_skus)
    assert store_share < 0.5 < dc_share < 1.0
    assert mean_on_hand(at_dc) > 2 * mean_on_hand(at_store)


def test_inventory_records_are_well_formed(network: Network) -> None:
    records = sample_inventory(network, n_skus=500)
    known_skus = set(sample_skus(500))
    assert {r.location_id for r in records} <= set(network.location_ids)
    assert {r.sku for r in records} <= known_skus
    assert all(0 <= r.safety_stock <= min(2, r.on_hand) for r in records)
    assert any(r.safety_stock > 0 for r in records)
    assert len({(r.location_id, r.sku) for r in records}) == len(records)


def test_popular_skus_are_stocked_more_widely(network: Network) -> None:
    carried = Counter(r.sku for r in sample_inventory(network, n_skus=1000))
    skus = sample_skus(1000)
    assert sum(carried[s] for s in skus[:50]) > 2 * sum(carried[s] for s in skus[-50:])


def test_orders_are_the_same_for_the_same_seed(network: Network) -> None:
    assert sample_orders(network, 50, seed=11) == sample_orders(network, 50, seed=11)
    assert sample_orders(network, 50, seed=11) != sample_orders(network, 50, seed=12)


def test_orders_mix_shipping_near_stores_and_pickups(network: Network) -> None:
    orders = sample_orders(network, 2000, seed=5)
    stores = of_type(network, "store")
    pickups = [o for o in orders if isinstance(o.delivery, PickupDelivery)]
    ships = [o.delivery for o in orders if isinstance(o.delivery, ShipDelivery)]
    assert 0 < len(pickups) < len(ships)
    pickup_capable = {s.id for s in stores if "pickup" in s.capabilities}
    assert all(o.delivery.location_id in pickup_capable for o in pickups)  # type: ignore[union-attr]
    for d in ships:
        assert d.country == "US" and d.delivery_method_id == "STANDARD"
        nearest = min(haversine_km(d.lat, d.lon, s.lat, s.lon) for s in stores)
        assert nearest < 6 * JITTER_KM


def test_order_lines_follow_the_cart_shape(network: Network) -> None:
    orders = sample_orders(network, 2000, seed=5, n_skus=400)
    sizes = Counter(len(o.lines) for o in orders)
    assert set(sizes) <= {1, 2, 3, 4, 5}
    assert sizes[1] > sizes[2] > sizes[5] > 0
    quantities = Counter(line.quantity for o in orders for line in o.lines)
    assert set(quantities) <= {1, 2, 3} and quantities[1] > quantities[2] > quantities[3]
    assert {line.sku for o in orders for line in o.lines} <= set(sample_skus(400))
    assert any(len({line.sku for line in o.lines}) < len(o.lines) for o in orders)
    assert len({o.id for o in orders}) == len(orders)


def test_fixed_line_count_gives_every_order_that_many_lines(network: Network) -> None:
    orders = sample_orders(network, 100, seed=2, lines=7)
    assert {len(o.lines) for o in orders} == {7}
    assert all([line.id for line in o.lines] == [str(i) for i in range(1, 8)] for o in orders)


def test_orders_for_a_network_without_delivery_methods_name_none() -> None:
    network = Network(locations=(Location(id="W", type="warehouse", lat=40.0, lon=-75.0),))
    orders = sample_orders(network, 30, seed=1)
    assert all(isinstance(o.delivery, ShipDelivery) for o in orders)
    assert all(o.delivery.delivery_method_id is None for o in orders)
