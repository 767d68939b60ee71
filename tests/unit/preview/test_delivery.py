from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from engine.delivery import LocationSchedules, estimate, resolve_method, transit_days
from engine.errors import UnknownDeliveryMethod
from engine.network import DeliveryMethod, Network
from tests.unit.preview.helpers import location, network, pickup_order, ship_order

STANDARD = DeliveryMethod.model_validate(
    {
        "id": "STANDARD",
        "kind": "ship",
        "transit_days": [
            {"max_km": 300, "days": 1},
            {"max_km": 1200, "days": 3},
            {"max_km": None, "days": 5},
        ],
    }
)
PICKUP = DeliveryMethod(id="PICKUP", kind="pickup")
MONDAY = date(2024, 6, 3)


def one_location_net(**fields: object) -> Network:
    return network(location("A", 40.0, -75.0, **fields), delivery_methods=(STANDARD, PICKUP))


def ship_dates(net: Network, now: datetime, km: float = 100.0) -> tuple[date, date, int]:
    est = estimate(
        LocationSchedules.from_network(net),
        STANDARD,
        np.array([0]),
        np.array([km]),
        now,
    )
    return (
        est.ship_date[0].astype(date),
        est.estimated_delivery_date[0].astype(date),
        int(est.delivery_days[0]),
    )


def at(day: date, hour: int, tz: str = "UTC") -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=ZoneInfo(tz))


def test_an_order_before_the_cutoff_ships_the_same_working_day() -> None:
    net = one_location_net(cutoff_hour=14)
    ship, delivered, days = ship_dates(net, at(MONDAY, 13))
    assert ship == MONDAY
    assert delivered == MONDAY + timedelta(days=1)
    assert days == 1


def test_an_order_at_or_after_the_cutoff_ships_the_next_working_day() -> None:
    net = one_location_net(cutoff_hour=14)
    ship, _, _ = ship_dates(net, at(MONDAY, 14))
    assert ship == MONDAY + timedelta(days=1)


def test_an_order_after_friday_cutoff_ships_on_monday_and_transit_skips_the_weekend() -> None:
    friday = MONDAY + timedelta(days=4)
    net = one_location_net(cutoff_hour=14)
    ship, delivered, days = ship_dates(net, at(friday, 15), km=1000.0)
    assert ship == MONDAY + timedelta(days=7)
    assert delivered == MONDAY + timedelta(days=10)  # three working days later: Thursday
    assert days == 4  # Friday's own working day counts: the order missed it


def test_a_weekend_order_ships_monday_whatever_the_hour() -> None:
    saturday = MONDAY - timedelta(days=2)
    net = one_location_net(cutoff_hour=9)
    ship, _, days = ship_dates(net, at(saturday, 20))
    assert ship == MONDAY
    assert days == 1


def test_processing_days_are_working_days_after_the_first_ship_day() -> None:
    thursday = MONDAY + timedelta(days=3)
    net = one_location_net(processing_days=2)
    ship, _, _ = ship_dates(net, at(thursday, 8))
    assert ship == MONDAY + timedelta(days=7)


def test_the_cutoff_is_read_in_the_location_time_zone() -> None:
    # 20:00 UTC Monday is 16:00 in New York (after a 15:00 cutoff) but 13:00 in Los Angeles
    now = at(MONDAY, 20)
    east = one_location_net(cutoff_hour=15, time_zone="America/New_York")
    west = one_location_net(cutoff_hour=15, time_zone="America/Los_Angeles")
    assert ship_dates(east, now)[0] == MONDAY + timedelta(days=1)
    assert ship_dates(west, now)[0] == MONDAY


def test_the_local_date_can_differ_from_the_utc_date() -> None:
    # Sunday 23:00 UTC is already Monday morning in Tokyo
    now = at(MONDAY - timedelta(days=1), 23)
    tokyo = one_location_net(time_zone="Asia/Tokyo")
    utc = one_location_net()
    assert ship_dates(tokyo, now)[0] == MONDAY
    assert ship_dates(tokyo, now)[2] == 1
    assert ship_dates(utc, now)[0] == MONDAY
    assert ship_dates(utc, now)[2] == 1  # Sunday counts no working day


def test_transit_takes_the_first_band_covering_the_distance() -> None:
    days = transit_days(STANDARD, np.array([0.0, 300.0, 300.1, 1200.0, 5000.0]))
    assert days.tolist() == [1, 1, 3, 3, 5]


def test_a_distance_beyond_every_band_is_unreachable() -> None:
    short = DeliveryMethod.model_validate(
        {"id": "LOCAL", "kind": "ship", "transit_days": [{"max_km": 50, "days": 0}]}
    )
    est = estimate(
        LocationSchedules.from_network(one_location_net()),
        short,
        np.array([0, 0]),
        np.array([10.0, 80.0]),
        at(MONDAY, 8),
    )
    assert est.reachable.tolist() == [True, False]


def test_pickup_is_ready_on_the_ship_date() -> None:
    net = one_location_net(processing_days=1)
    est = estimate(
        LocationSchedules.from_network(net), PICKUP, np.array([0]), np.array([0.0]), at(MONDAY, 8)
    )
    assert est.ship_date[0] == est.estimated_delivery_date[0]
    assert est.ship_date[0].astype(date) == MONDAY + timedelta(days=1)


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ship_dates(one_location_net(), datetime(2024, 6, 3, 10))


def test_an_order_naming_an_unknown_method_is_rejected_naming_the_field() -> None:
    order = ship_order([("S", 1)], delivery_method_id="EXPRESS")
    with pytest.raises(UnknownDeliveryMethod) as err:
        resolve_method(order, one_location_net())
    assert err.value.field == "delivery.delivery_method_id"


def test_an_order_naming_a_method_of_the_other_kind_is_rejected() -> None:
    order = pickup_order([("S", 1)], "A", delivery_method_id="STANDARD")
    with pytest.raises(UnknownDeliveryMethod) as err:
        resolve_method(order, one_location_net())
    assert err.value.field == "delivery.delivery_method_id"


def test_without_a_named_method_the_first_method_of_the_order_kind_applies() -> None:
    net = one_location_net()
    assert resolve_method(ship_order([("S", 1)]), net) == STANDARD
    assert resolve_method(pickup_order([("S", 1)], "A"), net) == PICKUP


def test_a_network_without_methods_gives_no_estimates() -> None:
    net = network(location("A", 40.0, -75.0))
    assert resolve_method(ship_order([("S", 1)]), net) is None


def test_estimates_use_utc_when_a_location_names_no_time_zone() -> None:
    now = datetime(2024, 6, 3, 23, 30, tzinfo=UTC)
    assert ship_dates(one_location_net(cutoff_hour=23), now)[0] == MONDAY + timedelta(days=1)
