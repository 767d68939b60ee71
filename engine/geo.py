"""Great-circle distances (haversine) with the mean Earth radius of DESIGN.md.

The vectorised form works on unit vectors cached per network: the haversine term
``sin²(θ/2)`` equals ``(chord / 2)²`` where ``chord`` is the straight-line distance between the
two unit vectors, so one order against hundreds of locations costs a few multiplications, a
square root and one ``arcsin`` (``np.sin`` over the locations per order was the slow part).
Differences of the vectors (not ``1 − dot``) keep short distances exact to ~1e-12 km.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088

FloatArray = npt.NDArray[np.float64]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    half_dlat = (p2 - p1) / 2.0
    half_dlon = math.radians(lon2 - lon1) / 2.0
    a = math.sin(half_dlat) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(half_dlon) ** 2
    return 2.0 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def unit_vectors(lat_rad: FloatArray, lon_rad: FloatArray) -> FloatArray:
    """Points on the unit sphere, shape ``(3, n)`` (cache it per network)."""
    cos_lat = np.cos(lat_rad)
    return np.stack([cos_lat * np.cos(lon_rad), cos_lat * np.sin(lon_rad), np.sin(lat_rad)])


def distances_km(xyz: FloatArray, lat_deg: float, lon_deg: float) -> FloatArray:
    """Haversine distance in km from (``lat_deg``, ``lon_deg``) to each column of ``xyz``."""
    p0, l0 = math.radians(lat_deg), math.radians(lon_deg)
    cos_p0 = math.cos(p0)
    point = np.array([[cos_p0 * math.cos(l0)], [cos_p0 * math.sin(l0)], [math.sin(p0)]])
    diff = xyz - point
    diff *= diff
    half_chord: FloatArray = diff.sum(axis=0)
    np.sqrt(half_chord, out=half_chord)
    half_chord *= 0.5
    np.minimum(half_chord, 1.0, out=half_chord)  # rounding may push antipodes just above 1
    np.arcsin(half_chord, out=half_chord)
    half_chord *= 2.0 * EARTH_RADIUS_KM
    return half_chord


def haversine_km_many(
    lat_rad: FloatArray, lon_rad: FloatArray, lat_deg: float, lon_deg: float
) -> FloatArray:
    """Distance in km from (``lat_deg``, ``lon_deg``) to each (``lat_rad``, ``lon_rad``)."""
    return distances_km(unit_vectors(lat_rad, lon_rad), lat_deg, lon_deg)
