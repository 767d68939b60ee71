"""The inventory contract: every adapter of ``inventory.ports.Inventory`` passes these tests.

A test module subclasses :class:`InventoryContract` and provides a ``make_inventory`` fixture:
a factory taking a clock and returning a fresh, empty inventory.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.errors import (
    InsufficientStock,
    InvalidInventory,
    InvalidReservation,
    ReservationConflict,
    Shortage,
    UnknownReservation,
)
from inventory.model import (
    DEFAULT_TTL_SECONDS,
    MAX_TTL_SECONDS,
    Availability,
    InventoryRecord,
    ReservationLine,
)
from inventory.ports import Inventory

Line = ReservationLine
Record = InventoryRecord


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


MakeInventory = Callable[[Callable[[], float]], Inventory]
STOCK = [Record("DC01", "SKU-1", 10, 2), Record("ST01", "SKU-1", 4), Record("DC01", "SKU-2", 3)]


def usable(inventory: Inventory, location_id: str, sku: str) -> int:
    return inventory.availability(location_id, sku).available_to_fulfill


class InventoryContract:
    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def inventory(self, make_inventory: MakeInventory, clock: FakeClock) -> Inventory:
        inventory = make_inventory(clock)
        inventory.upsert(STOCK)
        return inventory

    # -- availability --------------------------------------------------------------------

    def test_upserted_counts_are_read_back_with_available_to_fulfill(
        self, inventory: Inventory
    ) -> None:
        figures = inventory.availability("DC01", "SKU-1")
        assert figures == Availability(on_hand=10, reserved=0, safety_stock=2)
        assert figures.available_to_fulfill == 10 - 2

    def test_an_inventory_is_empty_until_its_first_record(
        self, make_inventory: MakeInventory, clock: FakeClock
    ) -> None:
        inventory = make_inventory(clock)
        assert inventory.is_empty()
        inventory.upsert(STOCK[:1])
        assert not inventory.is_empty()

    def test_unknown_location_or_sku_reads_as_all_zero(self, inventory: Inventory) -> None:
        assert inventory.availability("NOWHERE", "SKU-1") == Availability()
        assert inventory.availability("DC01", "NOTHING") == Availability()

    def test_availability_many_answers_each_pair_in_order(self, inventory: Inventory) -> None:
        pairs = [("ST01", "SKU-1"), ("NOWHERE", "SKU-2"), ("DC01", "SKU-1"), ("DC01", "SKU-2")]
        assert inventory.availability_many(pairs) == [inventory.availability(*p) for p in pairs]

    def test_group_availability_sums_members_once_each(self, inventory: Inventory) -> None:
        members = ["DC01", "ST01", "NOWHERE", "DC01"]
        group = inventory.group_availability(members, "SKU-1")
        parts = [inventory.availability(loc, "SKU-1") for loc in dict.fromkeys(members)]
        assert group.on_hand == sum(p.on_hand for p in parts)
        assert group.reserved == sum(p.reserved for p in parts)
        assert group.safety_stock == sum(p.safety_stock for p in parts)

    def test_atf_matrix_agrees_with_pairwise_availability(self, inventory: Inventory) -> None:
        inventory.reserve("R1", [Line("DC01", "SKU-1", 3)], 60)
        skus = ["SKU-2", "SKU-1", "NOTHING"]
        locations = ["ST01", "NOWHERE", "DC01"]
        matrix = inventory.atf_matrix(skus, locations)
        assert matrix.dtype == np.int64
        expected = [[usable(inventory, loc, sku) for loc in locations] for sku in skus]
        assert matrix.tolist() == expected

    def test_atf_matrix_sees_a_location_added_after_an_earlier_read(
        self, inventory: Inventory
    ) -> None:
        locations = ("DC01", "ST99")
        assert inventory.atf_matrix(["SKU-1"], locations)[0, 1] == 0
        inventory.upsert([Record("ST99", "SKU-1", 6, 1)])
        assert inventory.atf_matrix(["SKU-1"], locations)[0, 1] == 6 - 1

    def test_upsert_keeps_reserved_units(self, inventory: Inventory) -> None:
        inventory.reserve("R1", [Line("DC01", "SKU-1", 3)], 60)
        inventory.upsert([Record("DC01", "SKU-1", 20, 1)])
        assert inventory.availability("DC01", "SKU-1") == Availability(20, 3, 1)

    def test_recount_below_reserved_gives_negative_available_to_fulfill(
        self, inventory: Inventory
    ) -> None:
        inventory.reserve("R1", [Line("DC01", "SKU-1", 5)], 60)
        inventory.upsert([Record("DC01", "SKU-1", 4, 2)])
        assert usable(inventory, "DC01", "SKU-1") == 4 - 5 - 2
        assert inventory.atf_matrix(["SKU-1"], ["DC01"])[0, 0] == 4 - 5 - 2

    def test_upsert_with_a_bad_record_writes_nothing(self, inventory: Inventory) -> None:
        before = inventory.availability("DC01", "SKU-1")
        bad = [Record("DC01", "SKU-1", 99), Record("ST01", "SKU-1", -1)]
        with pytest.raises(InvalidInventory) as caught:
            inventory.upsert(bad)
        assert caught.value.field == "on_hand"
        assert "[1]" in str(caught.value)
        assert inventory.availability("DC01", "SKU-1") == before

    def test_upsert_returns_the_number_of_records_written(self, inventory: Inventory) -> None:
        assert inventory.upsert(STOCK) == len(STOCK)

    def test_ids_with_unusual_characters_round_trip(
        self, make_inventory: MakeInventory, clock: FakeClock
    ) -> None:
        inventory = make_inventory(clock)
        loc, sku, rid = "Dépôt 1/{a}", "Café:{x}/ü", "R/é{1}"
        inventory.upsert([Record(loc, sku, 5, 1)])
        reservation = inventory.reserve(rid, [Line(loc, sku, 2)], 60)
        assert inventory.get_reservation(rid) == reservation
        assert inventory.atf_matrix([sku], [loc]).tolist() == [[5 - 1 - 2]]
        with pytest.raises(InsufficientStock) as caught:
            inventory.reserve("R2", [Line(loc, sku, 3)], 60)
        assert caught.value.shortages == (Shortage(loc, sku, 3, 5 - 1 - 2),)

    # -- reserve -------------------------------------------------------------------------

    def test_reservation_holds_units_and_lowers_available_to_fulfill(
        self, inventory: Inventory, clock: FakeClock
    ) -> None:
        before = usable(inventory, "DC01", "SKU-1")
        reservation = inventory.reserve("R1", [Line("DC01", "SKU-1", 3)], 60)
        assert reservation.status == "active"
        assert reservation.lines == (Line("DC01", "SKU-1", 3),)
        assert reservation.expires_at == clock.now + 60
        assert inventory.availability("DC01", "SKU-1").reserved == 3
        assert usable(inventory, "DC01", "SKU-1") == before - 3

    def test_default_ttl_is_four_hours(self, inventory: Inventory, clock: FakeClock) -> None:
        reservation = inventory.reserve("R1", [Line("DC01", "SKU-1", 1)])
        assert reservation.expires_at == clock.now + DEFAULT_TTL_SECONDS

    def test_reservation_of_the_last_usable_units_succeeds_and_one_more_fails(
        self, inventory: Inventory
    ) -> None:
        last = usable(inventory, "DC01", "SKU-1")
        inventory.reserve("R1", [Line("DC01", "SKU-1", last)], 60)
        with pytest.raises(InsufficientStock) as caught:
            inventory.reserve("R2", [Line("DC01", "SKU-1", 1)], 60)
        assert caught.value.shortages == (Shortage("DC01", "SKU-1", 1, 0),)

    def test_safety_stock_is_never_reserved(self, inventory: Inventory) -> None:
        on_hand = inventory.availability("DC01", "SKU-1").on_hand
        with pytest.raises(InsufficientStock):
            inventory.reserve("R1", [Line("DC01", "SKU-1", on_hand)], 60)

    def test_reservation_is_all_or_nothing_and_names_only_the_short_lines(
        self, inventory: Inventory
    ) -> None:
        lines = [Line("DC01", "SKU-1", 2), Line("ST01", "SKU-1", 5), Line("NOWHERE", "SKU-2", 1)]
        with pytest.raises(InsufficientStock) as caught:
            inventory.reserve("R1", lines, 60)
        assert set(caught.value.shortages) == {
            Shortage("ST01", "SKU-1", 5, usable(inventory, "ST01", "SKU-1")),
            Shortage("NOWHERE", "SKU-2", 1, 0),
        }
        assert inventory.availability("DC01", "SKU-1").reserved == 0
        with pytest.raises(UnknownReservation):
            inventory.get_reservation("R1")

    def test_repeated_lines_of_one_pair_are_summed_for_the_stock_check(
        self, inventory: Inventory
    ) -> None:
        half = usable(inventory, "ST01", "SKU-1") // 2 + 1
        lines = [Line("ST01", "SKU-1", half), Line("ST01", "SKU-1", half)]
        with pytest.raises(InsufficientStock) as caught:
            inventory.reserve("R1", lines, 60)
        assert caught.value.shortages[0].requested == 2 * half

    def test_retry_with_same_id_and_lines_is_a_no_op(self, inventory: Inventory) -> None:
        lines = [Line("DC01", "SKU-1", 2), Line("DC01", "SKU-2", 1), Line("DC01", "SKU-1", 1)]
        first = inventory.reserve("R1", lines, 60)
        again = inventory.reserve("R1", list(reversed(lines)), 60)
        assert again == first
        assert inventory.availability("DC01", "SKU-1").reserved == 3

    def test_same_id_with_other_lines_is_a_conflict(self, inventory: Inventory) -> None:
        inventory.reserve("R1", [Line("DC01", "SKU-1", 2)], 60)
        with pytest.raises(ReservationConflict):
            inventory.reserve("R1", [Line("DC01", "SKU-1", 3)], 60)
        assert inventory.availability("DC01", "SKU-1").reserved == 2

    def test_a_batch_reserves_each_request_on_its_own_and_answers_each_in_order(
        self, inventory: Inventory
    ) -> None:
        last = usable(inventory, "ST01", "SKU-1")
        inventory.reserve("R0", [Line("DC01", "SKU-2", 1)], 60)
        answers = inventory.reserve_many(
            [
                ("B1", [Line("DC01", "SKU-1", 2)], 60),
                ("B2", [Line("ST01", "SKU-1", last + 1)], 60),  # short: only this one fails
                ("R0", [Line("DC01", "SKU-2", 1)], 60),  # a retry answers the first result
                ("B3", [Line("DC01", "SKU-1", 0)], 60),  # invalid
                ("R0", [Line("DC01", "SKU-2", 2)], 60),  # conflict
                ("B4", [Line("ST01", "SKU-1", last)], 60),
            ]
        )
        kinds = [type(a).__name__ for a in answers]
        assert kinds == [
            "Reservation",
            "InsufficientStock",
            "Reservation",
            "InvalidReservation",
            "ReservationConflict",
            "Reservation",
        ]
        assert inventory.availability("DC01", "SKU-1").reserved == 2
        assert inventory.availability("ST01", "SKU-1").reserved == last
        assert inventory.availability("DC01", "SKU-2").reserved == 1  # not twice
        assert inventory.get_reservation("B4") == answers[5]

    def test_requests_of_one_batch_compete_for_the_same_units(self, inventory: Inventory) -> None:
        last = usable(inventory, "ST01", "SKU-1")
        answers = inventory.reserve_many(
            [(f"B{i}", [Line("ST01", "SKU-1", 1)], 60) for i in range(last + 2)]
        )
        assert sum(isinstance(a, InsufficientStock) for a in answers) == 2
        assert usable(inventory, "ST01", "SKU-1") == 0

    @pytest.mark.parametrize(
        ("lines", "ttl"),
        [
            ([], 60),
            ([Line("DC01", "SKU-1", 0)], 60),
            ([Line("DC01", "SKU-1", -1)], 60),
            ([Line("DC01", "", 1)], 60),
            ([Line("DC01", "SKU-1", 1)], 0),
            ([Line("DC01", "SKU-1", 1)], MAX_TTL_SECONDS + 1),
        ],
        ids=["no-lines", "zero", "negative", "empty-sku", "ttl-zero", "ttl-too-long"],
    )
    def test_malformed_reservation_is_refused_and_holds_nothing(
        self, inventory: Inventory, lines: list[Line], ttl: int
    ) -> None:
        with pytest.raises(InvalidReservation):
            inventory.reserve("R1", lines, ttl)
        assert inventory.availability("DC01", "SKU-1").reserved == 0

    # -- release and fulfill -------------------------------------------------------------

    def test_release_of_everything_gives_units_back_and_is_idempotent(
        self, inventory: Inventory
    ) -> None:
        before = inventory.availability("DC01", "SKU-1")
        inventory.reserve("R1", [Line("DC01", "SKU-1", 3), Line("DC01", "SKU-2", 1)], 60)
        released = inventory.release("R1")
        assert released.status == "released"
        assert released.lines == ()
        assert released.released == (Line("DC01", "SKU-1", 3), Line("DC01", "SKU-2", 1))
        assert inventory.availability("DC01", "SKU-1") == before
        assert inventory.release("R1") == released
        assert (
            inventory.reserve("R1", [Line("DC01", "SKU-1", 3), Line("DC01", "SKU-2", 1)], 60)
            == released
        )

    def test_partial_release_keeps_the_rest_held(self, inventory: Inventory) -> None:
        inventory.reserve("R1", [Line("DC01", "SKU-1", 3)], 60)
        partial = inventory.release("R1", [Line("DC01", "SKU-1", 1)])
        assert partial.status == "active"
        assert partial.lines == (Line("DC01", "SKU-1", 2),)
        assert partial.released == (Line("DC01", "SKU-1", 1),)
        assert inventory.availability("DC01", "SKU-1").reserved == 2

    @pytest.mark.parametrize("action", ["release", "fulfill"])
    def test_more_than_held_is_refused_and_changes_nothing(
        self, inventory: Inventory, action: str
    ) -> None:
        inventory.reserve("R1", [Line("DC01", "SKU-1", 2)], 60)
        before = inventory.availability("DC01", "SKU-1")
        for too_much in ([Line("DC01", "SKU-1", 3)], [Line("ST01", "SKU-1", 1)]):
            with pytest.raises(InvalidReservation, match="holds"):
                getattr(inventory, action)("R1", too_much)
        assert inventory.availability("DC01", "SKU-1") == before
        assert inventory.get_reservation("R1").lines == (Line("DC01", "SKU-1", 2),)

    def test_fulfill_consumes_on_hand_and_reserved_at_shipment(self, inventory: Inventory) -> None:
        before = inventory.availability("DC01", "SKU-1")
        inventory.reserve("R1", [Line("DC01", "SKU-1", 3)], 60)
        fulfilled = inventory.fulfill("R1")
        assert fulfilled.status == "fulfilled"
        assert fulfilled.fulfilled == (Line("DC01", "SKU-1", 3),)
        after = inventory.availability("DC01", "SKU-1")
        assert after == Availability(before.on_hand - 3, before.reserved, before.safety_stock)
        assert inventory.fulfill("R1") == fulfilled

    def test_partial_fulfill_then_release_of_the_rest_closes_as_fulfilled(
        self, inventory: Inventory
    ) -> None:
        before = inventory.availability("DC01", "SKU-1")
        inventory.reserve("R1", [Line("DC01", "SKU-1", 3)], 60)
        assert inventory.fulfill("R1", [Line("DC01", "SKU-1", 2)]).status == "active"
        closed = inventory.release("R1")
        assert closed.status == "fulfilled"
        assert closed.released == (Line("DC01", "SKU-1", 1),)
        assert inventory.availability("DC01", "SKU-1") == Availability(
            before.on_hand - 2, 0, before.safety_stock
        )

    @pytest.mark.parametrize("action", ["get_reservation", "release", "fulfill"])
    def test_unknown_reservation_is_reported(self, inventory: Inventory, action: str) -> None:
        with pytest.raises(UnknownReservation):
            getattr(inventory, action)("NOPE")

    # -- expiry --------------------------------------------------------------------------

    def test_expired_reservation_gives_its_units_back(
        self, inventory: Inventory, clock: FakeClock
    ) -> None:
        before = inventory.availability("DC01", "SKU-1")
        inventory.reserve("R1", [Line("DC01", "SKU-1", 3)], 60)
        clock.advance(59)
        assert inventory.expire_due() == 0
        clock.advance(1)
        assert inventory.expire_due() == 1
        assert inventory.availability("DC01", "SKU-1") == before
        expired = inventory.get_reservation("R1")
        assert (expired.status, expired.lines) == ("expired", ())
        assert expired.released == (Line("DC01", "SKU-1", 3),)

    def test_reading_a_due_reservation_expires_it(
        self, inventory: Inventory, clock: FakeClock
    ) -> None:
        inventory.reserve("R1", [Line("DC01", "SKU-1", 3)], 60)
        clock.advance(61)
        assert inventory.get_reservation("R1").status == "expired"
        assert inventory.availability("DC01", "SKU-1").reserved == 0

    def test_reserve_reclaims_units_of_expired_reservations(
        self, inventory: Inventory, clock: FakeClock
    ) -> None:
        last = usable(inventory, "DC01", "SKU-1")
        inventory.reserve("R1", [Line("DC01", "SKU-1", last)], 60)
        clock.advance(60)
        second = inventory.reserve("R2", [Line("DC01", "SKU-1", last)], 60)
        assert second.status == "active"
        assert inventory.availability("DC01", "SKU-1").reserved == last

    def test_expired_reservation_cannot_be_fulfilled_but_its_retry_answers_expired(
        self, inventory: Inventory, clock: FakeClock
    ) -> None:
        lines = [Line("DC01", "SKU-1", 3)]
        inventory.reserve("R1", lines, 60)
        clock.advance(120)
        with pytest.raises(InvalidReservation, match="expired"):
            inventory.fulfill("R1")
        assert inventory.reserve("R1", lines, 60).status == "expired"
        assert inventory.release("R1").status == "expired"
        assert inventory.availability("DC01", "SKU-1").reserved == 0

    # -- invariants under random operations ----------------------------------------------

    @settings(
        max_examples=25,
        deadline=None,
        # each adapter subclass runs the same property: a fresh inventory per example
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.differing_executors,
        ],
    )
    @given(
        st.lists(
            st.tuples(st.sampled_from("rfpxut"), st.integers(0, 5), st.integers(1, 4)), max_size=25
        )
    )
    def test_reserved_always_equals_what_active_reservations_hold(
        self, make_inventory: MakeInventory, ops: list[tuple[str, int, int]]
    ) -> None:
        clock = FakeClock()
        inventory = make_inventory(clock)
        inventory.upsert(STOCK)
        pairs = [(r.location_id, r.sku) for r in STOCK]
        ids = [f"R{i}" for i in range(6)]
        for op, n, q in ops:
            rid, (loc, sku) = ids[n], pairs[n % len(pairs)]
            try:
                if op == "r":
                    inventory.reserve(
                        rid, [Line(loc, sku, q), Line(*pairs[q % len(pairs)], 1)], 30 * q
                    )
                elif op in "fp":
                    action = inventory.fulfill if op == "f" else inventory.release
                    action(rid, None if q % 2 else [Line(loc, sku, 1)])
                elif op == "u":
                    inventory.upsert([Record(loc, sku, 3 * q, q % 3)])
                elif op == "x":
                    inventory.expire_due()
                else:
                    clock.advance(25 * q)
            except (InsufficientStock, InvalidReservation, UnknownReservation, ReservationConflict):
                pass
        held = dict.fromkeys(pairs, 0)
        for rid in ids:
            try:
                reservation = inventory.get_reservation(rid)
            except UnknownReservation:
                continue
            for line in reservation.lines:
                held[(line.location_id, line.sku)] += line.quantity
        figures = inventory.availability_many(pairs)
        assert [f.reserved for f in figures] == [held[p] for p in pairs]
        assert all(f.on_hand >= 0 for f in figures)
        matrix = inventory.atf_matrix([p[1] for p in pairs], [p[0] for p in pairs])
        assert np.diag(matrix).tolist() == [f.available_to_fulfill for f in figures]
