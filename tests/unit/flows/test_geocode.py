"""US ZIP codes are placed offline from the zipcodes package's bundled data; nothing is guessed."""

from __future__ import annotations

import pytest

from flows import geocode
from flows.geocode import geocode_postal_code


def test_a_known_zip_code_gives_its_coordinates() -> None:
    assert geocode_postal_code("US", "07102") == pytest.approx((40.73, -74.17), abs=0.01)


def test_the_coordinates_are_floats() -> None:
    point = geocode_postal_code("US", "07102")
    assert point is not None
    assert all(type(value) is float for value in point)


@pytest.mark.parametrize("postal_code", ["07102-1234", "071021234", "07102 1234", " 07102 "])
def test_a_zip_plus_4_is_placed_by_its_five_digit_part(postal_code: str) -> None:
    assert geocode_postal_code("US", postal_code) == geocode_postal_code("US", "07102")


@pytest.mark.parametrize("country", ["US", "USA", "us", " usa "])
def test_the_united_states_may_be_named_by_either_code(country: str) -> None:
    assert geocode_postal_code(country, "60606") == pytest.approx((41.88, -87.64), abs=0.01)


def test_an_unknown_zip_code_gives_none() -> None:
    assert geocode_postal_code("US", "00000") is None


@pytest.mark.parametrize(
    "postal_code", ["", "ABCDE", "0710", "071023", "07102-12", "07102-12345", "SW1A 1AA"]
)
def test_something_that_is_not_a_zip_code_gives_none(postal_code: str) -> None:
    assert geocode_postal_code("US", postal_code) is None


@pytest.mark.parametrize(
    ("country", "postal_code"), [("CA", "07102"), ("DE", "10115"), ("", "07102")]
)
def test_a_postal_code_outside_the_us_gives_none(country: str, postal_code: str) -> None:
    assert geocode_postal_code(country, postal_code) is None


def test_a_military_zip_code_without_a_place_gives_none() -> None:
    # APO/FPO codes exist in the data with 0,0 standing for "no location".
    assert geocode_postal_code("US", "09001") is None


def test_repeated_lookups_are_answered_from_the_cache() -> None:
    geocode._us_zip.cache_clear()
    for _ in range(3):
        geocode_postal_code("US", "07102-0001")
    info = geocode._us_zip.cache_info()
    assert (info.misses, info.hits) == (1, 2)
