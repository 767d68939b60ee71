"""Delivery estimates: ship dates and estimated delivery dates, in working days (Mon–Fri).

A location ships on the first working day at or after the request time in its own time zone
(UTC when it names none), or on the next working day when the request arrives on a working day
at or after its ``cutoff_hour``; then it spends ``processing_days`` working days before the
parcel leaves. The delivery method's transit band for the distance (first band whose ``max_km``
covers it, ``None`` = any) adds that many working days. A pickup is ready on the ship date.

Everything is pure (``now`` is a parameter) and vectorised over locations: per call only the
handful of distinct time zones are converted in Python.

Estimates never change routing costs; they feed the ``max_delivery_days`` fence and the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from engine.errors import UnknownDeliveryMethod
from engine.network import DeliveryMethod, Network
from engine.order import Order

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]

NO_CUTOFF = 24  # an hour no request reaches: the location has no cutoff
UNREACHABLE = -1  # transit days when no band of the method covers the distance

_FIELD = "delivery.delivery_method_id"


def resolve_method(order: Order, network: Network) -> DeliveryMethod | None:
    """The delivery method whose estimates apply to ``order``.

    The one the order names, which must exist and be of the order's kind; else (our default)
    the first method of the order's kind that the network lists; else ``None``: no estimates.
    """
    kind = order.delivery.method
    named = order.delivery.delivery_method_id
    if named is None:
        return next((m for m in network.delivery_methods if m.kind == kind), None)
    method = network.methods.get(named)
    if method is None:
        raise UnknownDeliveryMethod(_FIELD, f"unknown delivery method {named!r}")
    if method.kind != kind:
        raise UnknownDeliveryMethod(
            _FIELD, f"delivery method {named!r} is for {method.kind}, the order is {kind}"
        )
    return method


@dataclass(frozen=True, slots=True)
class LocationSchedules:
    """Per-network columns of the locations' shipping calendars, index-aligned with
    ``Network.locations``."""

    time_zones: tuple[ZoneInfo, ...]
    tz_index: IntArray
    cutoff_hour: IntArray
    processing_days: IntArray

    @classmethod
    def from_network(cls, network: Network) -> LocationSchedules:
        names: dict[str, int] = {}
        tz_index = [
            names.setdefault(loc.time_zone or "UTC", len(names)) for loc in network.locations
        ]
        cutoff = [
            NO_CUTOFF if loc.cutoff_hour is None else loc.cutoff_hour for loc in network.locations
        ]
        return cls(
            time_zones=tuple(ZoneInfo(name) for name in names),
            tz_index=np.array(tz_index, dtype=np.int64),
            cutoff_hour=np.array(cutoff, dtype=np.int64),
            processing_days=np.array([loc.processing_days for loc in network.locations], np.int64),
        )


@dataclass(frozen=True, slots=True)
class Estimates:
    """Estimates for a subset of locations (arrays aligned with the subset).

    ``delivery_days`` counts working days from the request's local date to the estimated
    delivery date; ``reachable`` is false where no transit band covers the distance (then the
    delivery date and days are meaningless and the location cannot meet any delivery limit).
    """

    ship_date: DateArray
    estimated_delivery_date: DateArray
    delivery_days: IntArray
    reachable: npt.NDArray[np.bool_]


def transit_days(method: DeliveryMethod, distance_km: FloatArray) -> IntArray:
    """Working days in transit per distance: the first band covering it, else UNREACHABLE.
    A pickup method, or a ship method without bands, has no transit."""
    if method.kind == "pickup" or not method.transit_days:
        return np.zeros(distance_km.shape[0], dtype=np.int64)
    days = np.full(distance_km.shape[0], UNREACHABLE, dtype=np.int64)
    for band in reversed(method.transit_days):  # reversed so the first matching band wins
        if band.max_km is None:
            days[:] = band.days
        else:
            days[distance_km <= band.max_km] = band.days
    return days


@lru_cache(maxsize=64)
def _local_clocks(
    time_zones: tuple[ZoneInfo, ...], utc_minute: int
) -> tuple[npt.NDArray[np.datetime64], IntArray]:
    """Each time zone's local date and hour at a UTC minute. Cached: every request within the
    same minute shares them, and converting to each zone is most of an estimate's cost."""
    utc_now = datetime.fromtimestamp(utc_minute * 60, tz=UTC)
    local = [utc_now.astimezone(tz) for tz in time_zones]
    dates = np.array([t.date() for t in local], dtype="datetime64[D]")
    hours = np.array([t.hour for t in local], dtype=np.int64)
    dates.flags.writeable = False
    hours.flags.writeable = False
    return dates, hours


def estimate(
    schedules: LocationSchedules,
    method: DeliveryMethod,
    locations: IntArray,
    distance_km: FloatArray,
    now: datetime,
) -> Estimates:
    """Estimates for the network locations ``locations`` at ``distance_km`` from the
    destination, for a request made at ``now`` (timezone-aware)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz_dates, tz_hours = _local_clocks(schedules.time_zones, int(now.timestamp()) // 60)

    tz = schedules.tz_index[locations]
    request_date = tz_dates[tz]
    late = np.is_busday(request_date) & (tz_hours[tz] >= schedules.cutoff_hour[locations])
    first = np.busday_offset(request_date, late.astype(np.int64), roll="forward")
    ship = np.busday_offset(first, schedules.processing_days[locations])
    transit = transit_days(method, distance_km)
    reachable = transit != UNREACHABLE
    delivered = np.busday_offset(ship, np.where(reachable, transit, 0))
    days = np.busday_count(request_date, delivered).astype(np.int64)
    return Estimates(ship, delivered, days, reachable)
