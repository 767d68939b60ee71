from __future__ import annotations

import math

import numpy as np
import pytest

from engine.geo import EARTH_RADIUS_KM, haversine_km, haversine_km_many


def test_one_degree_of_latitude_is_an_arc_of_the_mean_earth_radius() -> None:
    assert haversine_km(10.0, 20.0, 11.0, 20.0) == pytest.approx(EARTH_RADIUS_KM * math.pi / 180)


def test_distance_is_zero_to_itself_and_symmetric() -> None:
    assert haversine_km(40.7, -74.0, 40.7, -74.0) == 0.0
    assert haversine_km(40.7, -74.0, 34.05, -118.24) == haversine_km(34.05, -118.24, 40.7, -74.0)


def test_antipodes_are_half_a_circumference_apart() -> None:
    assert haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(EARTH_RADIUS_KM * math.pi)


def test_vectorised_distances_match_the_scalar_formula() -> None:
    rng = np.random.default_rng(3)
    lats = rng.uniform(-89, 89, 200)
    lons = rng.uniform(-180, 180, 200)
    many = haversine_km_many(np.radians(lats), np.radians(lons), 12.5, -33.0)
    expected = [haversine_km(12.5, -33.0, lat, lon) for lat, lon in zip(lats, lons, strict=True)]
    np.testing.assert_allclose(many, expected, rtol=1e-9, atol=1e-6)


def test_vectorised_distances_are_exact_for_nearby_and_identical_points() -> None:
    lats = np.array([40.0, 40.000001, 40.01])
    lons = np.array([-75.0, -75.0, -75.0])
    many = haversine_km_many(np.radians(lats), np.radians(lons), 40.0, -75.0)
    expected = [haversine_km(40.0, -75.0, lat, lon) for lat, lon in zip(lats, lons, strict=True)]
    np.testing.assert_allclose(many, expected, rtol=1e-7, atol=1e-9)
