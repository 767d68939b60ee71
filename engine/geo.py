"""Great-circle distances (haversine) with the mean Earth radius of DESIGN.md.

The vectorised form takes coordinates already in radians (``NetworkArrays`` stores them so)
and a precomputed cosine of the latitudes, because the per-order hot path measures one
destination against hundreds of locations and should not redo per-network trigonometry.
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


def haversine_km_many(
    lat_rad: FloatArray,
    lon_rad: FloatArray,
    lat_deg: float,
    lon_deg: float,
    cos_lat: FloatArray | None = None,
) -> FloatArray:
    """Distance in km from the point (``lat_deg``, ``lon_deg``) to each (``lat_rad``,
    ``lon_rad``). ``cos_lat`` may pass ``np.cos(lat_rad)`` when the caller caches it."""
    p0 = math.radians(lat_deg)
    l0 = math.radians(lon_deg)
    if cos_lat is None:
        cos_lat = np.cos(lat_rad)
    s_lat = np.sin((lat_rad - p0) * 0.5)
    s_lon = np.sin((lon_rad - l0) * 0.5)
    a: FloatArray = s_lat * s_lat + (math.cos(p0) * cos_lat) * (s_lon * s_lon)
    np.minimum(a, 1.0, out=a)  # rounding may push antipodal points just above 1
    np.sqrt(a, out=a)
    np.arcsin(a, out=a)
    a *= 2.0 * EARTH_RADIUS_KM
    return a
