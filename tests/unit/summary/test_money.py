"""Money arithmetic in minor units: spreads and per-unit shares always sum back exactly."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from summary.money import share_of_units, spread

amounts = st.integers(0, 10**9)
weight_lists = st.lists(st.integers(0, 10**7), min_size=1, max_size=12).filter(any)


@settings(max_examples=200, deadline=None)
@given(amount=amounts, weights=weight_lists)
def test_spread_parts_sum_exactly_to_the_amount(amount: int, weights: list[int]) -> None:
    parts = spread(amount, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == amount
    assert all(part >= 0 for part in parts)


@settings(max_examples=200, deadline=None)
@given(amount=amounts, weights=weight_lists)
def test_spread_each_part_is_within_one_of_its_exact_proportional_share(
    amount: int, weights: list[int]
) -> None:
    total = sum(weights)
    for part, weight in zip(spread(amount, weights), weights, strict=True):
        assert abs(part - Fraction(amount * weight, total)) < 1


@settings(max_examples=200, deadline=None)
@given(amount=amounts, weights=weight_lists)
def test_spread_gives_the_extra_units_by_largest_remainder_then_earlier_part(
    amount: int, weights: list[int]
) -> None:
    total = sum(weights)
    parts = spread(amount, weights)
    bumped = [part > amount * w // total for part, w in zip(parts, weights, strict=True)]
    rank = [(-(amount * w % total), i) for i, w in enumerate(weights)]
    for i in range(len(weights)):
        for j in range(len(weights)):
            if rank[i] < rank[j] and bumped[j]:
                assert bumped[i], (i, j, parts)


def test_spread_breaks_ties_in_favour_of_the_earlier_part() -> None:
    assert spread(1, [1, 1]) == [1, 0]
    assert spread(2, [1, 1, 1]) == [1, 1, 0]
    assert spread(5, [1, 1, 1, 1]) == [2, 1, 1, 1]
    assert spread(1, [5, 0, 5]) == [1, 0, 0]


def test_spread_prefers_the_larger_remainder_over_the_earlier_part() -> None:
    assert spread(1, [1, 2]) == [0, 1]
    assert spread(2, [1, 2, 3]) == [0, 1, 1]


def test_spread_of_the_design_example_order_discount_over_line_net_amounts() -> None:
    # 500 over nets 3798 and 4500: 228.85… and 271.15…
    assert spread(500, [3798, 4500]) == [229, 271]


def test_spread_gives_nothing_to_zero_weights() -> None:
    assert spread(7, [0, 3, 0, 4]) == [0, 3, 0, 4]


def test_spread_of_zero_is_all_zeros_even_over_zero_weights() -> None:
    assert spread(0, [3, 4]) == [0, 0]
    assert spread(0, [0, 0]) == [0, 0]
    assert spread(0, []) == []


@pytest.mark.parametrize(
    ("amount", "weights"),
    [(-1, [1, 2]), (5, [1, -1]), (0, [-1])],
    ids=["negative amount", "negative weight", "negative weight, zero amount"],
)
def test_spread_refuses_negative_input(amount: int, weights: list[int]) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        spread(amount, weights)


@pytest.mark.parametrize("weights", [[0, 0], []], ids=["zero weights", "no weights"])
def test_spread_refuses_a_non_zero_amount_over_zero_weights(weights: list[int]) -> None:
    with pytest.raises(ValueError, match="zero weights"):
        spread(1, weights)


@st.composite
def unit_splits(draw: st.DrawFn) -> tuple[int, list[int]]:
    """``whole`` units and a way of shipping them in consecutive counts (each > 0)."""
    whole = draw(st.integers(1, 60))
    counts: list[int] = []
    left = whole
    while left:
        count = draw(st.integers(1, left))
        counts.append(count)
        left -= count
    return whole, counts


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(0, 10**12), split=unit_splits())
def test_share_of_units_over_any_split_sums_exactly_to_the_amount(
    amount: int, split: tuple[int, list[int]]
) -> None:
    whole, counts = split
    shares, done = [], 0
    for count in counts:
        shares.append(share_of_units(amount, whole, done, count))
        done += count
    assert sum(shares) == amount
    for share, count in zip(shares, counts, strict=True):
        assert share >= 0
        assert abs(share - Fraction(amount * count, whole)) < 1


def test_share_of_units_of_every_unit_is_the_whole_amount() -> None:
    assert share_of_units(999, 7, 0, 7) == 999
    assert share_of_units(999, 7, 3, 0) == 0


def test_share_of_units_takes_floors_of_the_cumulative_share() -> None:
    # 10 over 3 units: cumulative floors 3, 6, 10
    assert [share_of_units(10, 3, done, 1) for done in range(3)] == [3, 3, 4]


@pytest.mark.parametrize(
    ("whole", "done", "count"),
    [(3, 0, 4), (3, 2, 2), (3, -1, 1), (3, 2, -1), (0, 0, 0)],
    ids=["beyond whole", "past the end", "negative done", "negative count", "no units"],
)
def test_share_of_units_refuses_units_outside_the_whole(whole: int, done: int, count: int) -> None:
    with pytest.raises(ValueError, match="not within"):
        share_of_units(100, whole, done, count)
