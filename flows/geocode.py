"""Offline geocoding of a postal code, for delivery addresses that come without coordinates.

US ZIP codes only, from the data bundled with the ``zipcodes`` package (no network, no
service to run). Anything it cannot place answers ``None``: routing by distance from a
guessed point would be worse than asking the caller for coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import zipcodes

US = frozenset({"US", "USA"})
# Five digits, optionally the ZIP+4 extension; only the five-digit part locates anything.
_ZIP = re.compile(r"(\d{5})(?:[- ]?\d{4})?")

# zipcodes types its compiled core but not the public wrappers; this is the one we call.
_matching: Callable[[str], list[dict[str, Any]]] = zipcodes.matching


def geocode_postal_code(country: str, postal_code: str) -> tuple[float, float] | None:
    """``(lat, lon)`` of the ZIP code's centre, or ``None`` if it cannot be placed.

    ``country`` is "US" or "USA" (any case); any other country answers ``None``.
    ``"07102-1234"`` is looked up as ``"07102"``.
    """
    if country.strip().upper() not in US:
        return None
    match = _ZIP.fullmatch(postal_code.strip())
    if match is None:
        return None
    return _us_zip(match.group(1))


@lru_cache(maxsize=4096)
def _us_zip(zip5: str) -> tuple[float, float] | None:
    # One lookup scans the bundled table (about 1 ms); orders repeat ZIP codes a lot.
    for record in _matching(zip5):
        try:
            lat, lon = float(record["lat"]), float(record["long"])
        except (KeyError, TypeError, ValueError):
            return None
        # Military (APO/FPO) ZIP codes carry 0,0 as a placeholder, not a place.
        if lat == 0.0 and lon == 0.0:
            return None
        return lat, lon
    return None
