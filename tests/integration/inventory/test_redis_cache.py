"""RedisInventory as a rebuildable cache of the record: builds, markers, changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import redis

from inventory.errors import (
    CacheNotReady,
    InvalidInventory,
    ReservationConflict,
    UnknownReservation,
)
from inventory.model import (
    Availability,
    Change,
    InventoryRecord,
    OverReserved,
    Reservation,
    ReservationLine,
    StockAdjust,
    StockCell,
    StockSet,
    StoredReservation,
)
from inventory.redis_store import RedisInventory
from inventory.snapshot import Snapshot, StockColumns
from tests.conftest import delete_redis_prefix
from tests.integration.inventory.conftest import MakeRedisInventory
from tests.unit.inventory.contract import FakeClock

pytestmark = pytest.mark.redis
Line = ReservationLine
NOW = FakeClock().now
HELD = StoredReservation(
    Reservation("R1", (Line("DC01", "SKU-1", 2),), "active", NOW + 60),
    (Line("DC01", "SKU-1", 2),),
)
CLOSED = StoredReservation(
    Reservation("R2", (), "released", NOW + 60, released=(Line("ST01", "SKU-2", 1),)),
    (Line("ST01", "SKU-2", 1),),
)


def columns(cells: dict[tuple[str, str], tuple[int, int]]) -> StockColumns:
    locations = tuple(sorted({loc for loc, _ in cells}))
    skus = tuple(sorted({sku for _, sku in cells}))
    codes = np.array(
        [(skus.index(sku), locations.index(loc), oh, ss) for (loc, sku), (oh, ss) in cells.items()],
        dtype=np.int64,
    ).reshape(-1, 4)
    return StockColumns(skus, locations, *(codes[:, i].copy() for i in range(4)))


def cells_of(snapshot: Snapshot) -> dict[tuple[str, str], tuple[int, int]]:
    s = snapshot.stock
    return {
        (s.locations[loc], s.skus[sku]): (oh, ss)
        for sku, loc, oh, ss in zip(
            s.sku.tolist(),
            s.location.tolist(),
            s.on_hand.tolist(),
            s.safety_stock.tolist(),
            strict=True,
        )
    }


STOCK = {("DC01", "SKU-1"): (10, 1), ("ST01", "SKU-1"): (4, 0), ("ST01", "SKU-2"): (3, 2)}
SNAPSHOT = Snapshot("rec.1", 41, columns(STOCK), (HELD, CLOSED))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def built(make_redis_inventory: MakeRedisInventory, clock: FakeClock) -> RedisInventory:
    """An inventory built from SNAPSHOT (over the standalone build of its prefix)."""
    inventory = make_redis_inventory(clock)
    inventory.build(SNAPSHOT)
    return inventory


def every_call(inventory: RedisInventory) -> list[Callable[[], Any]]:
    line = [Line("DC01", "SKU-1", 1)]
    return [
        lambda: inventory.availability("DC01", "SKU-1"),
        lambda: inventory.availability_many([("DC01", "SKU-1"), ("NOWHERE", "SKU-1")]),
        lambda: inventory.group_availability(["DC01", "ST01"], "SKU-1"),
        lambda: inventory.atf_matrix(["SKU-1"], ["DC01"]),
        lambda: inventory.get_reservation("R1"),
        lambda: inventory.reserve("R9", line, 60),
        lambda: inventory.release("R1", line),
        lambda: inventory.fulfill("R1", line),
        lambda: inventory.expire_due(),
        lambda: inventory.write_stock([StockSet("DC01", "SKU-1", on_hand=1)]),
        lambda: inventory.upsert([InventoryRecord("DC01", "SKU-1", 1)]),
        lambda: inventory.dump(),
    ]


def test_reads_and_writes_raise_cache_not_ready_once_the_marker_is_deleted(
    built: RedisInventory, redis_client: redis.Redis
) -> None:
    redis_client.delete(f"{built.prefix}:marker")
    for call in every_call(built):
        with pytest.raises(CacheNotReady, match="rebuilt"):
            call()
    assert built.built_from() is None
    assert built.is_empty()


def test_a_flushed_prefix_raises_cache_not_ready_never_zeros(
    built: RedisInventory, redis_client: redis.Redis, redis_url: str
) -> None:
    assert built.availability("DC01", "SKU-1").on_hand == 10  # adopted, slots cached
    delete_redis_prefix(redis_url, built.prefix)
    for inventory in (built, RedisInventory(redis_client, prefix=built.prefix)):
        for call in every_call(inventory):
            with pytest.raises(CacheNotReady):
                call()


def test_build_gives_exactly_the_snapshots_figures_and_reservations(
    built: RedisInventory,
) -> None:
    assert built.built_from() == "rec.1"
    pairs = [*STOCK, ("NOWHERE", "SKU-1")]
    assert built.availability_many(pairs) == [
        Availability(10, 2, 1),
        Availability(4, 0, 0),
        Availability(3, 0, 2),
        Availability(),
    ]
    assert built.atf_matrix(["SKU-1", "SKU-2"], ["DC01", "ST01"]).tolist() == [[7, 4], [0, 1]]
    assert built.group_availability(["DC01", "ST01"], "SKU-1") == Availability(14, 2, 1)
    assert built.get_reservation("R1") == HELD.reservation
    assert built.get_reservation("R2") == CLOSED.reservation
    assert not built.is_empty()


def test_a_built_reservation_is_recognised_as_a_retry_or_a_conflict(
    built: RedisInventory,
) -> None:
    assert built.reserve_change("R1", [Line("DC01", "SKU-1", 2)], 60) == (HELD.reservation, None)
    assert built.reserve_change("R2", list(CLOSED.request), 60) == (CLOSED.reservation, None)
    with pytest.raises(ReservationConflict):
        built.reserve("R1", [Line("DC01", "SKU-1", 3)], 60)


def test_writes_continue_the_snapshots_sequence_and_name_its_marker(
    built: RedisInventory, clock: FakeClock
) -> None:
    reservation, change = built.reserve_change("R3", [Line("ST01", "SKU-1", 1)], 60)
    assert reservation == Reservation("R3", (Line("ST01", "SKU-1", 1),), "active", clock.now + 60)
    assert change == Change(
        "rec.1", 42, reservations=(StoredReservation(reservation, reservation.lines),)
    )
    _, change = built.write_stock([StockAdjust("ST01", "SKU-1", 1)])
    assert (change.marker, change.seq) == ("rec.1", 43)


def test_release_and_fulfill_changes_carry_the_reservation_and_fulfilled_cells(
    built: RedisInventory,
) -> None:
    partial, change = built.fulfill_change("R1", [Line("DC01", "SKU-1", 1)])
    assert partial.fulfilled == (Line("DC01", "SKU-1", 1),)
    assert change is not None and change.seq == 42
    assert change.cells == (StockCell("DC01", "SKU-1", 9, 1),)
    assert change.reservations == (StoredReservation(partial, HELD.request),)
    released, change = built.release_change("R1", None)
    assert released.status == "fulfilled" and released.lines == ()
    assert change is not None and change.cells == () and change.seq == 43
    assert change.reservations == (StoredReservation(released, HELD.request),)
    assert built.release_change("R1", None) == (released, None)  # a retry changes nothing


def test_a_second_client_adopts_a_newer_build(
    built: RedisInventory, redis_client: redis.Redis, clock: FakeClock
) -> None:
    other = RedisInventory(redis_client, prefix=built.prefix, clock=clock)
    assert other.atf_matrix(["SKU-1"], ["DC01"]).tolist() == [[7]]
    newer = {("DC01", "SKU-1"): (20, 0), ("DC02", "SKU-1"): (5, 0)}
    built.build(Snapshot("rec.2", 50, columns(newer)))
    assert other.atf_matrix(["SKU-1"], ["DC01", "DC02"]).tolist() == [[20, 5]]
    assert other.availability("DC02", "SKU-1") == Availability(5, 0, 0)
    with pytest.raises(UnknownReservation):
        other.get_reservation("R1")
    _, change = other.reserve_change("R5", [Line("DC02", "SKU-1", 1)], 60)
    assert change is not None and (change.marker, change.seq) == ("rec.2", 51)


def test_reads_keep_answering_the_old_build_while_a_build_is_written_aside(
    built: RedisInventory, redis_client: redis.Redis, clock: FakeClock
) -> None:
    reader = RedisInventory(redis_client, prefix=built.prefix, clock=clock)
    seen: list[tuple[str | None, int, Availability]] = []

    def before_switch() -> None:
        figures = reader.availability("DC01", "SKU-1")
        seen.append(
            (reader.built_from(), int(reader.atf_matrix(["SKU-1"], ["DC01"])[0, 0]), figures)
        )

    built.build(Snapshot("rec.2", 50, columns({("DC01", "SKU-1"): (99, 0)})), before_switch)
    assert seen == [("rec.1", 7, Availability(10, 2, 1))]
    assert reader.availability("DC01", "SKU-1") == Availability(99, 0, 0)
    assert list(redis_client.scan_iter(match=f"{built.prefix}:rec.1:*"))  # kept until discarded
    built.discard_stale()
    assert not list(redis_client.scan_iter(match=f"{built.prefix}:rec.1:*"))


def test_invalidate_drops_only_the_matching_marker_and_the_next_build_deletes_it(
    built: RedisInventory, redis_client: redis.Redis
) -> None:
    built.invalidate("rec.0")
    assert built.built_from() == "rec.1"
    built.invalidate("rec.1")
    assert built.built_from() is None
    with pytest.raises(CacheNotReady):
        built.atf_matrix(["SKU-1"], ["DC01"])
    built.build(Snapshot("rec.2", 50, columns({("DC01", "SKU-1"): (1, 0)})))
    assert built.atf_matrix(["SKU-1"], ["DC01"]).tolist() == [[1]]
    built.discard_stale()
    assert not list(redis_client.scan_iter(match=f"{built.prefix}:rec.1:*"))


def test_write_stock_sets_and_adjusts_and_reports_absolute_cells(built: RedisInventory) -> None:
    deltas = [
        StockSet("DC01", "SKU-1", safety_stock=3),  # on hand kept
        StockAdjust("DC01", "SKU-1", 5),
        StockSet("DC09", "SKU-7", on_hand=8),  # a new location and sku
        StockAdjust("ST01", "SKU-2", -3),
    ]
    result, change = built.write_stock(deltas)
    assert result.written == 4 and result.over_reserved == ()
    assert change.cells == (
        StockCell("DC01", "SKU-1", 15, 3),
        StockCell("DC09", "SKU-7", 8, 0),
        StockCell("ST01", "SKU-2", 0, 2),
    )
    assert built.availability("DC01", "SKU-1") == Availability(15, 2, 3)
    assert built.atf_matrix(["SKU-7"], ["DC09"]).tolist() == [[8]]
    _, later = built.write_stock([StockAdjust("DC09", "SKU-7", 1)])
    assert later.seq == change.seq + 1 and later.cells == (StockCell("DC09", "SKU-7", 9, 0),)


def test_an_adjustment_below_zero_changes_nothing_and_names_its_row(
    built: RedisInventory,
) -> None:
    before = built.dump()
    deltas = [StockSet("DC01", "SKU-1", on_hand=50), StockAdjust("ST01", "SKU-2", -5)]
    with pytest.raises(InvalidInventory) as caught:
        built.write_stock(deltas)
    assert str(caught.value) == ("[1]: adjust: would make on hand -2 at ST01 for SKU-2 (on hand 3)")
    after = built.dump()
    assert cells_of(after) == cells_of(before) and after.seq == before.seq


def test_write_stock_reports_rows_left_over_reserved_without_clamping(
    built: RedisInventory,
) -> None:
    result, change = built.write_stock(
        [StockSet("ST01", "SKU-1", on_hand=9), StockAdjust("DC01", "SKU-1", -9)]
    )
    assert result.over_reserved == (OverReserved(1, "DC01", "SKU-1", 1, 2),)
    assert built.availability("DC01", "SKU-1") == Availability(1, 2, 1)
    assert change.cells[1] == StockCell("DC01", "SKU-1", 1, 1)


def test_dump_round_trips_a_build(built: RedisInventory) -> None:
    dumped = built.dump()
    assert (dumped.marker, dumped.seq) == ("rec.1", 41)
    assert cells_of(dumped) == STOCK
    assert dumped.reservations == (HELD, CLOSED)
    built.build(Snapshot("rec.2", dumped.seq, dumped.stock, dumped.reservations))
    again = built.dump()
    assert (again.marker, cells_of(again), again.reservations) == ("rec.2", STOCK, (HELD, CLOSED))
    assert again.stock.locations == dumped.stock.locations


def test_a_build_never_overwrites_the_build_in_use(built: RedisInventory) -> None:
    with pytest.raises(ValueError, match="in use"):
        built.build(SNAPSHOT)
    assert built.availability("DC01", "SKU-1") == Availability(10, 2, 1)
