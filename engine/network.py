"""The fulfilment network: locations, location groups and delivery methods.

Pydantic models validate the network document (JSON or YAML) of DESIGN.md. The engine reads
the network through :class:`NetworkArrays`, a column view built once per network, so that
candidate generation is vectorised instead of looping over location objects.

Every number has a documented bound, named in the field's description (and so in the JSON
Schema): costs 0..1,000,000, priority -1,000,000..1,000,000, daily capacity
0..10,000,000 units, days 0..365, distances up to 40,000 km (longer than any great-circle
distance on Earth, about 20,000 km).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rules.schema import LocationType

Capability = Literal["ship", "pickup"]
DeliveryKind = Literal["ship", "pickup"]

_STRICT = ConfigDict(extra="forbid", frozen=True)
MAX_COST = 1_000_000.0  # a shipment or per-unit routing cost
MAX_PRIORITY = 1_000_000  # |priority|
MAX_DAILY_CAPACITY = 10_000_000  # units a location ships a day
MAX_DAYS = 365  # processing or transit, working days
MAX_KM = 40_000.0  # any distance bound; the longest great-circle distance is ~20,015 km


class TransitBand(BaseModel):
    """Deliveries up to ``max_km`` (``None`` = any distance) take ``days`` working days."""

    model_config = _STRICT
    max_km: float | None = Field(
        default=None,
        gt=0.0,
        le=MAX_KM,
        description="deliveries up to this many km, 0 < max_km <= 40,000; null: any distance",
    )
    days: int = Field(ge=0, le=MAX_DAYS, description="transit, working days, 0..365")


class DeliveryMethod(BaseModel):
    model_config = _STRICT
    id: str = Field(min_length=1)
    kind: DeliveryKind
    transit_days: tuple[TransitBand, ...] = ()


class Location(BaseModel):
    model_config = _STRICT
    id: str = Field(min_length=1)
    type: LocationType
    lat: float = Field(ge=-90, le=90, description="latitude, degrees, -90..90")
    lon: float = Field(ge=-180, le=180, description="longitude, degrees, -180..180")
    capabilities: tuple[Capability, ...] = ("ship",)
    shipment_cost: float = Field(
        default=0.0,
        ge=0.0,
        le=MAX_COST,
        description="routing cost per Fulfillment Order from here, 0..1,000,000",
    )
    handling_cost_per_unit: float = Field(
        default=0.0, ge=0.0, le=MAX_COST, description="routing cost per unit, 0..1,000,000"
    )
    priority: int = Field(
        default=0,
        ge=-MAX_PRIORITY,
        le=MAX_PRIORITY,
        description="higher = less preferred (times priority_weight), -1,000,000..1,000,000",
    )
    daily_capacity_units: int | None = Field(
        default=None,
        ge=0,
        le=MAX_DAILY_CAPACITY,
        description="units shipped a day, 0..10,000,000; null: no limit",
    )
    processing_days: int = Field(
        default=0, ge=0, le=MAX_DAYS, description="working days before a parcel leaves, 0..365"
    )
    cutoff_hour: int | None = Field(
        default=None,
        ge=0,
        le=23,
        description="local hour after which orders ship a day later, 0..23",
    )
    time_zone: str | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value


class LocationGroup(BaseModel):
    model_config = _STRICT
    id: str = Field(min_length=1)
    location_ids: tuple[str, ...]


class Network(BaseModel):
    """A validated network document. Immutable; build a new one to change it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    locations: tuple[Location, ...]
    location_groups: tuple[LocationGroup, ...] = ()
    delivery_methods: tuple[DeliveryMethod, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> Network:
        _require_unique("locations", [loc.id for loc in self.locations])
        _require_unique("location_groups", [g.id for g in self.location_groups])
        _require_unique("delivery_methods", [m.id for m in self.delivery_methods])
        known = {loc.id for loc in self.locations}
        for gi, group in enumerate(self.location_groups):
            for li, loc_id in enumerate(group.location_ids):
                if loc_id not in known:
                    raise ValueError(
                        f"location_groups[{gi}].location_ids[{li}]: unknown location {loc_id!r}"
                    )
        return self

    @cached_property
    def index(self) -> dict[str, int]:
        """Location id → position in ``locations`` (and in every array of ``arrays``)."""
        return {loc.id: i for i, loc in enumerate(self.locations)}

    @cached_property
    def location_ids(self) -> tuple[str, ...]:
        return tuple(loc.id for loc in self.locations)

    @cached_property
    def groups(self) -> dict[str, frozenset[str]]:
        return {g.id: frozenset(g.location_ids) for g in self.location_groups}

    @cached_property
    def methods(self) -> dict[str, DeliveryMethod]:
        return {m.id: m for m in self.delivery_methods}

    @cached_property
    def arrays(self) -> NetworkArrays:
        return NetworkArrays.from_locations(self.locations)


def _require_unique(field: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i, item in enumerate(ids):
        if item in seen:
            raise ValueError(f"{field}[{i}].id: duplicate id {item!r}")
        seen.add(item)


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class NetworkArrays:
    """Column view of the locations, index-aligned with ``Network.locations``."""

    lat_rad: FloatArray
    lon_rad: FloatArray
    shipment_cost: FloatArray
    handling_cost_per_unit: FloatArray
    priority: IntArray
    is_store: BoolArray
    can_ship: BoolArray
    can_pickup: BoolArray

    @classmethod
    def from_locations(cls, locations: tuple[Location, ...]) -> NetworkArrays:
        return cls(
            lat_rad=np.radians(np.array([loc.lat for loc in locations], dtype=np.float64)),
            lon_rad=np.radians(np.array([loc.lon for loc in locations], dtype=np.float64)),
            shipment_cost=np.array([loc.shipment_cost for loc in locations], dtype=np.float64),
            handling_cost_per_unit=np.array(
                [loc.handling_cost_per_unit for loc in locations], dtype=np.float64
            ),
            priority=np.array([loc.priority for loc in locations], dtype=np.int64),
            is_store=np.array([loc.type == "store" for loc in locations], dtype=np.bool_),
            can_ship=np.array([("ship" in loc.capabilities) for loc in locations], dtype=np.bool_),
            can_pickup=np.array(
                [("pickup" in loc.capabilities) for loc in locations], dtype=np.bool_
            ),
        )
