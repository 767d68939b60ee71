"""The bundled sample network and generated stock and orders for it.

The network is ``api/data/sample_network.json`` (written by ``tools/make_sample_network.py``).
Stock and orders are generated, deterministically from a seed, with numpy's ``Generator``:
SKU popularity follows a Zipf-like law, popular SKUs are stocked more widely and deeper,
warehouses hold more than stores, and orders ask for popular SKUs more often. That gives the
demo and the benchmarks the shape of a real catalogue (a few hot SKUs, a long sparse tail)
instead of uniform noise.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from engine.network import Network
from engine.order import Order, OrderLine, PickupDelivery, ShipDelivery
from inventory.model import InventoryRecord

SAMPLE_NETWORK_RESOURCE = "sample_network.json"
DEFAULT_SKUS = 2000

ZIPF_EXPONENT = 0.9
STOCKED_SHARE = {"warehouse": 0.6, "store": 0.15}  # chance an average SKU is carried there
MEAN_DEPTH = {"warehouse": 24.0, "store": 4.0}  # mean on hand of an average stocked SKU
STOCKOUT_SHARE = 0.03  # carried but sold out right now
SAFETY_STOCK_SHARE = 0.25

LINE_COUNT_P = (0.45, 0.25, 0.15, 0.10, 0.05)  # 1..5 lines
QUANTITY_P = (0.8, 0.15, 0.05)  # 1..3 units
PICKUP_SHARE = 0.10
JITTER_KM = 5.0  # how far from a store's city centre a ship-to address lands
KM_PER_DEGREE = 111.2

FloatArray = npt.NDArray[np.float64]


@cache
def sample_network() -> Network:
    """The bundled network: 10 warehouses and 300 stores in US cities. Cached; it is immutable."""
    text = resources.files("api.data").joinpath(SAMPLE_NETWORK_RESOURCE).read_text("utf-8")
    return Network.model_validate(json.loads(text))


def sample_skus(n: int = DEFAULT_SKUS) -> list[str]:
    """``SKU-00001`` … in popularity order: the first is the best seller."""
    return [f"SKU-{i:05d}" for i in range(1, n + 1)]


def sku_popularity(n_skus: int) -> FloatArray:
    """Zipf-like demand shares of ``sample_skus(n_skus)``; they sum to 1."""
    weights = 1.0 / np.arange(1, n_skus + 1, dtype=np.float64) ** ZIPF_EXPONENT
    shares: FloatArray = weights / weights.sum()
    return shares


def sample_inventory(
    network: Network, n_skus: int = DEFAULT_SKUS, seed: int = 7
) -> list[InventoryRecord]:
    """Stock for every (location, SKU) that carries it, location by location.

    Computed as whole (locations × SKUs) matrices so that 310 × 2,000 cells take a few ms;
    only building the records is per cell.
    """
    rng = np.random.default_rng(seed)
    n_locations = len(network.locations)
    is_store = network.arrays.is_store
    # Relative popularity, 1.0 for an average SKU; damped so the tail is still carried somewhere.
    relative = np.sqrt(sku_popularity(n_skus) * n_skus)
    breadth = relative / relative.mean()

    stocked_share = np.where(is_store, STOCKED_SHARE["store"], STOCKED_SHARE["warehouse"])
    reach = np.clip(breadth, 0.5, 1.5)
    reach /= reach.mean()  # so the shares above hold on average over the catalogue
    carried = rng.random((n_locations, n_skus)) < np.minimum(
        1.0, stocked_share[:, None] * reach[None, :]
    )
    mean_depth = np.where(is_store, MEAN_DEPTH["store"], MEAN_DEPTH["warehouse"])
    on_hand = 1 + rng.poisson(np.maximum(0.0, mean_depth[:, None] * breadth[None, :] - 1.0))
    on_hand[rng.random((n_locations, n_skus)) < STOCKOUT_SHARE] = 0
    has_safety = rng.random((n_locations, n_skus)) < SAFETY_STOCK_SHARE
    safety = np.minimum(on_hand, np.where(has_safety, rng.integers(1, 3, (n_locations, n_skus)), 0))

    rows, cols = np.nonzero(carried)
    skus = sample_skus(n_skus)
    ids = network.location_ids
    return [
        InventoryRecord(ids[r], skus[c], int(q), int(s))
        for r, c, q, s in zip(
            rows.tolist(),
            cols.tolist(),
            on_hand[rows, cols].tolist(),
            safety[rows, cols].tolist(),
            strict=True,
        )
    ]


def sample_orders(
    network: Network,
    n: int,
    seed: int,
    n_skus: int = DEFAULT_SKUS,
    lines: int | None = None,
) -> list[Order]:
    """``n`` orders: mostly ship-to-home near a store's city, some pickups at a store.

    Draws are made for all orders at once; the loop only assembles the order objects.
    """
    rng = np.random.default_rng(seed)
    stores = [loc for loc in network.locations if loc.type == "store"] or list(network.locations)
    pickup_ids = [loc.id for loc in network.locations if "pickup" in loc.capabilities]
    methods = network.methods
    ship_method = "STANDARD" if "STANDARD" in methods else None
    pickup_method = "PICKUP" if "PICKUP" in methods else None

    counts = (
        np.full(n, lines, dtype=np.int64)
        if lines is not None
        else rng.choice(np.arange(1, len(LINE_COUNT_P) + 1), size=n, p=LINE_COUNT_P)
    )
    total = int(counts.sum())
    # Sampling with replacement by popularity sometimes puts one SKU on two lines, as carts do.
    sku_idx = rng.choice(n_skus, size=total, p=sku_popularity(n_skus)).tolist()
    quantities = rng.choice(np.arange(1, len(QUANTITY_P) + 1), size=total, p=QUANTITY_P).tolist()
    is_pickup = (rng.random(n) < PICKUP_SHARE) & bool(pickup_ids)
    pickup_at = rng.integers(0, max(1, len(pickup_ids)), size=n).tolist()
    near = rng.integers(0, len(stores), size=n).tolist()
    offsets = rng.normal(0.0, JITTER_KM / KM_PER_DEGREE, size=(n, 2)).tolist()

    skus = sample_skus(n_skus)
    orders: list[Order] = []
    start = 0
    for i, count in enumerate(counts.tolist()):
        order_lines = tuple(
            OrderLine(id=str(k + 1), sku=skus[sku_idx[start + k]], quantity=quantities[start + k])
            for k in range(count)
        )
        start += count
        delivery: ShipDelivery | PickupDelivery
        if is_pickup[i]:
            delivery = PickupDelivery(
                method="pickup",
                location_id=pickup_ids[pickup_at[i]],
                delivery_method_id=pickup_method,
            )
        else:
            store = stores[near[i]]
            dlat, dlon = offsets[i]
            delivery = ShipDelivery(
                method="ship",
                lat=_clamp(store.lat + dlat, 90.0),
                lon=_clamp(store.lon + dlon / max(0.1, math.cos(math.radians(store.lat))), 180.0),
                country="US",
                delivery_method_id=ship_method,
            )
        orders.append(Order(id=f"S{seed}-{i + 1:06d}", lines=order_lines, delivery=delivery))
    return orders


def _clamp(value: float, bound: float) -> float:
    return round(max(-bound, min(bound, value)), 5)
