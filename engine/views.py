"""The order-independent part of candidate generation, computed once per (network, policy)
and cached: DESIGN.md's fence codes, each network's unit vectors and delivery schedules, and
each policy's static fences (capability, type, group, exclusions) with the cost columns of the
locations that pass them.

Separate from :mod:`engine.candidates` (the per-order fences and stock arithmetic) because
these views outlive any one order: the explanation and the pickup alternatives read them too.

Every location gets a fence code: 0 when it passes every fence, else the first fence (in the
fixed order of ``FENCES``) that drops it, so the answer can say *why* a location was excluded.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar, get_args

import numpy as np
import numpy.typing as npt

from engine.answer import Fence
from engine.delivery import LocationSchedules
from engine.geo import unit_vectors
from engine.network import Network
from rules.schema import Policy

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
CodeArray = npt.NDArray[np.int8]

ELIGIBLE = 0
FENCES: tuple[Fence, ...] = get_args(Fence)  # the answer's Literal fixes the order
CAPABILITY, LOCATION_TYPE, LOCATION_GROUP, EXCLUDE, MAX_DISTANCE, MAX_DAYS, PICKUP_LOCATION = range(
    1, len(FENCES) + 1
)

V = TypeVar("V")


class IdentityCache(Generic[V]):
    """A small LRU keyed by object identity. Entries hold their key objects, so an id cannot
    be reused by a new object while its entry lives (networks and policies are immutable)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, ...], tuple[tuple[object, ...], V]] = OrderedDict()

    def get(self, keys: tuple[object, ...]) -> V | None:
        entry = self._entries.get(tuple(map(id, keys)))
        return None if entry is None else entry[1]

    def put(self, keys: tuple[object, ...], value: V) -> None:
        self._entries[tuple(map(id, keys))] = (keys, value)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


@dataclass(frozen=True, slots=True)
class NetworkView:
    """Per-network derived columns."""

    xyz: FloatArray  # (3, n) unit vectors of the locations
    schedules: LocationSchedules


@dataclass(frozen=True, slots=True)
class PolicyView:
    """Per (network, policy): the order-independent fences and the columns of the locations
    that pass them (``idx``, ascending network indices)."""

    static_code: CodeArray
    idx: IntArray
    xyz: FloatArray
    shipment_cost: FloatArray
    unit_cost: FloatArray
    buffer: IntArray  # per network location (all of them: the explanation needs it)
    idx_buffer: IntArray  # buffer[idx]
    # the static fences' exclusions, for explanations of orders no per-order fence touched
    excluded: IntArray  # network indices, ascending
    excluded_buffer: IntArray  # (1, excluded): buffer[excluded]
    excluded_pairs: tuple[tuple[str, Fence], ...]  # (location id, fence) of each
    excluded_counts: dict[str, int]  # locations per fence (copy before handing it out)


_networks: IdentityCache[NetworkView] = IdentityCache(8)
_policies: IdentityCache[PolicyView] = IdentityCache(64)


def network_view(network: Network) -> NetworkView:
    view = _networks.get((network,))
    if view is None:
        arrays = network.arrays
        view = NetworkView(
            xyz=unit_vectors(arrays.lat_rad, arrays.lon_rad),
            schedules=LocationSchedules.from_network(network),
        )
        _networks.put((network,), view)
    return view


def buffers(network: Network, policy: Policy) -> IntArray:
    """Units held back at each location under ``policy`` (by location type)."""
    rules = policy.inventory
    return np.where(
        network.arrays.is_store, rules.buffer_for("store"), rules.buffer_for("warehouse")
    ).astype(np.int64)


def policy_view(network: Network, policy: Policy) -> PolicyView:
    """The cached ship-fence view of ``policy`` over ``network``."""
    view = _policies.get((network, policy))
    if view is None:
        view = _build_policy_view(network, policy)
        _policies.put((network, policy), view)
    return view


def _build_policy_view(network: Network, policy: Policy) -> PolicyView:
    arrays = network.arrays
    sources = policy.sources
    is_store = arrays.is_store
    type_ok = np.zeros_like(is_store)
    if "store" in sources.location_types:
        type_ok |= is_store
    if "warehouse" in sources.location_types:
        type_ok |= ~is_store
    ids = network.location_ids
    in_group = np.ones_like(is_store)
    if sources.location_group is not None:
        members = network.groups.get(sources.location_group, frozenset())
        in_group = np.array([loc_id in members for loc_id in ids], dtype=np.bool_)
    excluded = frozenset(sources.exclude_locations)
    not_excluded = np.array([loc_id not in excluded for loc_id in ids], dtype=np.bool_)
    code = np.zeros(len(ids), dtype=np.int8)
    # assign in reverse fence order so the first failing fence is the one that sticks
    for fence, passes in (
        (EXCLUDE, not_excluded),
        (LOCATION_GROUP, in_group),
        (LOCATION_TYPE, type_ok),
        (CAPABILITY, arrays.can_ship),
    ):
        code[~passes] = fence
    idx = np.flatnonzero(code == ELIGIBLE).astype(np.int64)
    weight = policy.cost.priority_weight
    buffer = buffers(network, policy)
    dropped = np.flatnonzero(code)
    fences = [FENCES[f - 1] for f in code[dropped].tolist()]
    code.flags.writeable = False  # shared by every order's candidates
    return PolicyView(
        static_code=code,
        idx=idx,
        xyz=np.ascontiguousarray(network_view(network).xyz[:, idx]),
        shipment_cost=arrays.shipment_cost[idx],
        unit_cost=arrays.handling_cost_per_unit[idx] + weight * arrays.priority[idx],
        buffer=buffer,
        idx_buffer=buffer[idx],
        excluded=dropped,
        excluded_buffer=buffer[dropped][None, :],
        excluded_pairs=tuple(zip([ids[i] for i in dropped.tolist()], fences, strict=True)),
        excluded_counts={fence: fences.count(fence) for fence in FENCES if fence in fences},
    )
