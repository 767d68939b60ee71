"""Write the bundled sample network, ``api/data/sample_network.json``.

Ten warehouses at US logistics hubs and 300 stores in real US cities (coordinates rounded to
two decimals, time zones from the IANA database). Costs, priorities and capacities are drawn
from a fixed seed, so running the script again rewrites the same file byte for byte:

    .venv/bin/python tools/make_sample_network.py            # writes the bundled file
    .venv/bin/python tools/make_sample_network.py --check    # exit 1 if the file is stale
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent.parent / "api" / "data" / "sample_network.json"
SEED = 20240601

# Default zone of each state; a city in another zone says so with "@Zone" after its longitude.
STATE_ZONES = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix",
    "AR": "America/Chicago", "CA": "America/Los_Angeles", "CO": "America/Denver",
    "CT": "America/New_York", "DE": "America/New_York", "DC": "America/New_York",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago", "KS": "America/Chicago", "KY": "America/New_York",
    "LA": "America/Chicago", "ME": "America/New_York", "MD": "America/New_York",
    "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
    "NE": "America/Chicago", "NV": "America/Los_Angeles", "NH": "America/New_York",
    "NJ": "America/New_York", "NM": "America/Denver", "NY": "America/New_York",
    "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York",
    "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago",
    "TN": "America/Chicago", "TX": "America/Chicago", "UT": "America/Denver",
    "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
}  # fmt: skip

# Regional groups follow the time zone, the way carriers and ops teams usually split the US.
REGIONS = {
    "America/New_York": "EAST", "America/Detroit": "EAST",
    "America/Indiana/Indianapolis": "EAST", "America/Chicago": "CENTRAL",
    "America/Denver": "WEST", "America/Boise": "WEST", "America/Phoenix": "WEST",
    "America/Los_Angeles": "WEST", "America/Anchorage": "WEST", "America/Juneau": "WEST",
    "Pacific/Honolulu": "WEST",
}  # fmt: skip

WAREHOUSES = """
TN: Memphis 35.15 -90.05
KY: Louisville 38.25 -85.76
OH: Groveport 39.88 -82.88
TX: Dallas 32.78 -96.80
NV: Sparks 39.53 -119.75
PA: Allentown 40.60 -75.49
GA: Atlanta 33.75 -84.39
IN: Plainfield 39.70 -86.40
CA: Ontario 34.06 -117.65
MO: Kansas City 39.10 -94.58
"""

STORES = """
AL: Birmingham 33.52 -86.80; Montgomery 32.37 -86.30; Mobile 30.69 -88.04; Huntsville 34.73 -86.59
AK: Anchorage 61.22 -149.90; Fairbanks 64.84 -147.72; Juneau 58.30 -134.42 @America/Juneau
AZ: Phoenix 33.45 -112.07; Tucson 32.22 -110.97; Mesa 33.42 -111.83; Flagstaff 35.20 -111.65
AZ: Yuma 32.69 -114.62
AR: Little Rock 34.75 -92.29; Fayetteville 36.06 -94.16; Fort Smith 35.39 -94.40
CA: Los Angeles 34.05 -118.24; San Diego 32.72 -117.16; San Jose 37.34 -121.89
CA: San Francisco 37.77 -122.42; Fresno 36.74 -119.79; Sacramento 38.58 -121.49
CA: Long Beach 33.77 -118.19; Oakland 37.80 -122.27; Bakersfield 35.37 -119.02
CA: Anaheim 33.84 -117.91; Riverside 33.95 -117.40; Stockton 37.96 -121.29; Irvine 33.68 -117.83
CA: Santa Barbara 34.42 -119.70; Redding 40.59 -122.39; Eureka 40.80 -124.16; Modesto 37.64 -121.00
CA: Santa Rosa 38.44 -122.71; Palm Springs 33.83 -116.55; Salinas 36.68 -121.66
CA: Chico 39.73 -121.84; San Luis Obispo 35.28 -120.66
CO: Denver 39.74 -104.99; Colorado Springs 38.83 -104.82; Fort Collins 40.59 -105.08
CO: Pueblo 38.25 -104.61; Grand Junction 39.06 -108.55
CT: Hartford 41.76 -72.69; New Haven 41.31 -72.92; Stamford 41.05 -73.54
DE: Wilmington 39.74 -75.55; Dover 39.16 -75.52
DC: Washington 38.91 -77.04
FL: Jacksonville 30.33 -81.66; Miami 25.76 -80.19; Tampa 27.95 -82.46; Orlando 28.54 -81.38
FL: St. Petersburg 27.77 -82.64; Tallahassee 30.44 -84.28; Fort Lauderdale 26.12 -80.14
FL: Pensacola 30.42 -87.22 @America/Chicago; Gainesville 29.65 -82.32; Fort Myers 26.64 -81.87
FL: Sarasota 27.34 -82.53; West Palm Beach 26.72 -80.05; Panama City 30.16 -85.66 @America/Chicago
FL: Key West 24.56 -81.78
GA: Atlanta 33.75 -84.39; Savannah 32.08 -81.09; Augusta 33.47 -81.97; Columbus 32.46 -84.99
GA: Macon 32.84 -83.63; Athens 33.96 -83.38
HI: Honolulu 21.31 -157.86; Hilo 19.71 -155.08; Kahului 20.89 -156.47
ID: Boise 43.62 -116.20; Idaho Falls 43.49 -112.03
ID: Coeur d'Alene 47.68 -116.78 @America/Los_Angeles; Twin Falls 42.56 -114.46
IL: Chicago 41.88 -87.63; Rockford 42.27 -89.09; Peoria 40.69 -89.59; Springfield 39.78 -89.65
IL: Champaign 40.12 -88.24
IN: Indianapolis 39.77 -86.16; Fort Wayne 41.08 -85.14; Evansville 37.97 -87.57 @America/Chicago
IN: South Bend 41.68 -86.25; Gary 41.59 -87.35 @America/Chicago
IA: Des Moines 41.59 -93.62; Cedar Rapids 41.98 -91.67; Davenport 41.52 -90.58
IA: Sioux City 42.50 -96.40; Iowa City 41.66 -91.53
KS: Wichita 37.69 -97.34; Overland Park 38.98 -94.67; Topeka 39.05 -95.68
KY: Louisville 38.25 -85.76; Lexington 38.04 -84.50; Bowling Green 36.99 -86.44 @America/Chicago
KY: Paducah 37.08 -88.60 @America/Chicago
LA: New Orleans 29.95 -90.07; Baton Rouge 30.45 -91.19; Shreveport 32.53 -93.75
LA: Lafayette 30.22 -92.02; Lake Charles 30.23 -93.22
ME: Portland 43.66 -70.26; Bangor 44.80 -68.77; Augusta 44.31 -69.78
MD: Baltimore 39.29 -76.61; Annapolis 38.98 -76.49; Frederick 39.41 -77.41; Salisbury 38.37 -75.60
MA: Boston 42.36 -71.06; Worcester 42.26 -71.80; Springfield 42.10 -72.59; New Bedford 41.64 -70.93
MA: Hyannis 41.65 -70.29
MI: Detroit 42.33 -83.05; Grand Rapids 42.96 -85.67; Lansing 42.73 -84.56; Ann Arbor 42.28 -83.74
MI: Kalamazoo 42.29 -85.59; Traverse City 44.76 -85.62; Marquette 46.54 -87.40
MN: Minneapolis 44.98 -93.27; St. Paul 44.95 -93.09; Rochester 44.02 -92.47; Duluth 46.79 -92.10
MN: St. Cloud 45.56 -94.16
MS: Jackson 32.30 -90.18; Gulfport 30.37 -89.09; Hattiesburg 31.33 -89.29; Tupelo 34.26 -88.70
MO: Kansas City 39.10 -94.58; St. Louis 38.63 -90.20; Springfield 37.21 -93.29
MO: Columbia 38.95 -92.33; Cape Girardeau 37.31 -89.52
MT: Billings 45.78 -108.50; Missoula 46.87 -113.99; Bozeman 45.68 -111.04
MT: Great Falls 47.50 -111.30; Helena 46.59 -112.04
NE: Omaha 41.26 -95.93; Lincoln 40.81 -96.70; Grand Island 40.93 -98.34; North Platte 41.12 -100.77
NE: Scottsbluff 41.87 -103.67 @America/Denver
NV: Las Vegas 36.17 -115.14; Henderson 36.04 -114.98; Reno 39.53 -119.81; Carson City 39.16 -119.77
NV: Elko 40.83 -115.76
NH: Manchester 42.99 -71.46; Nashua 42.77 -71.47; Concord 43.21 -71.54; Portsmouth 43.07 -70.76
NJ: Newark 40.74 -74.17; Jersey City 40.73 -74.08; Trenton 40.22 -74.76; Edison 40.52 -74.41
NJ: Atlantic City 39.36 -74.42; Cherry Hill 39.93 -75.03
NM: Albuquerque 35.08 -106.65; Santa Fe 35.69 -105.94; Las Cruces 32.32 -106.76
NM: Roswell 33.39 -104.52; Farmington 36.73 -108.22
NY: New York 40.71 -74.01; Brooklyn 40.68 -73.94; Queens 40.73 -73.79; Bronx 40.84 -73.86
NY: Buffalo 42.89 -78.88; Rochester 43.16 -77.61; Syracuse 43.05 -76.15; Albany 42.65 -73.76
NY: White Plains 41.03 -73.76; Ithaca 42.44 -76.50; Binghamton 42.10 -75.91
NY: Poughkeepsie 41.70 -73.92; Plattsburgh 44.70 -73.45
NC: Charlotte 35.23 -80.84; Raleigh 35.78 -78.64; Greensboro 36.07 -79.79; Durham 35.99 -78.90
NC: Winston-Salem 36.10 -80.24; Fayetteville 35.05 -78.88; Wilmington 34.23 -77.94
NC: Asheville 35.60 -82.55
ND: Fargo 46.88 -96.79; Bismarck 46.81 -100.78; Grand Forks 47.93 -97.03; Minot 48.23 -101.30
OH: Columbus 39.96 -83.00; Cleveland 41.50 -81.69; Cincinnati 39.10 -84.51; Toledo 41.65 -83.54
OH: Akron 41.08 -81.52; Dayton 39.76 -84.19; Youngstown 41.10 -80.65; Canton 40.80 -81.38
OK: Oklahoma City 35.47 -97.52; Tulsa 36.15 -95.99; Norman 35.22 -97.44; Lawton 34.60 -98.39
OR: Portland 45.52 -122.68; Eugene 44.05 -123.09; Salem 44.94 -123.04; Bend 44.06 -121.32
OR: Medford 42.33 -122.87; Corvallis 44.56 -123.26
PA: Philadelphia 39.95 -75.17; Pittsburgh 40.44 -80.00; Allentown 40.60 -75.49; Erie 42.13 -80.09
PA: Reading 40.34 -75.93; Scranton 41.41 -75.66; Harrisburg 40.27 -76.88; Lancaster 40.04 -76.31
PA: State College 40.79 -77.86; Wilkes-Barre 41.25 -75.88
RI: Providence 41.82 -71.41; Warwick 41.70 -71.42; Newport 41.49 -71.31
SC: Columbia 34.00 -81.03; Charleston 32.78 -79.93; Greenville 34.85 -82.40
SC: Myrtle Beach 33.69 -78.89; Spartanburg 34.95 -81.93
SD: Sioux Falls 43.54 -96.73; Rapid City 44.08 -103.23 @America/Denver; Aberdeen 45.46 -98.49
TN: Nashville 36.16 -86.78; Memphis 35.15 -90.05; Knoxville 35.96 -83.92 @America/New_York
TN: Chattanooga 35.05 -85.31 @America/New_York; Clarksville 36.53 -87.36; Jackson 35.61 -88.81
TN: Johnson City 36.31 -82.35 @America/New_York
TX: Houston 29.76 -95.37; San Antonio 29.42 -98.49; Dallas 32.78 -96.80; Austin 30.27 -97.74
TX: Fort Worth 32.76 -97.33; El Paso 31.76 -106.49 @America/Denver; Arlington 32.74 -97.11
TX: Corpus Christi 27.80 -97.40; Plano 33.02 -96.70; Laredo 27.51 -99.51; Lubbock 33.58 -101.86
TX: Amarillo 35.22 -101.83; Brownsville 25.90 -97.50; McAllen 26.20 -98.23; Waco 31.55 -97.15
TX: Midland 32.00 -102.08; Beaumont 30.08 -94.13; Tyler 32.35 -95.30; Abilene 32.45 -99.73
TX: College Station 30.63 -96.33; Killeen 31.12 -97.73; Wichita Falls 33.91 -98.49
UT: Salt Lake City 40.76 -111.89; Provo 40.23 -111.66; Ogden 41.22 -111.97
UT: St. George 37.10 -113.58; Logan 41.74 -111.83
VT: Burlington 44.48 -73.21; Montpelier 44.26 -72.58; Rutland 43.61 -72.97
VA: Virginia Beach 36.85 -75.98; Norfolk 36.85 -76.29; Richmond 37.54 -77.44
VA: Arlington 38.88 -77.10; Roanoke 37.27 -79.94; Alexandria 38.80 -77.05
VA: Charlottesville 38.03 -78.48; Lynchburg 37.41 -79.14; Newport News 37.09 -76.47
WA: Seattle 47.61 -122.33; Spokane 47.66 -117.43; Tacoma 47.25 -122.44; Vancouver 45.64 -122.66
WA: Everett 47.98 -122.20; Yakima 46.60 -120.51; Olympia 47.04 -122.90; Bellingham 48.75 -122.48
WA: Kennewick 46.21 -119.14
WV: Charleston 38.35 -81.63; Huntington 38.42 -82.45; Morgantown 39.63 -79.96
WV: Wheeling 40.06 -80.72
WI: Milwaukee 43.04 -87.91; Madison 43.07 -89.40; Green Bay 44.51 -88.01; Eau Claire 44.81 -91.50
WI: La Crosse 43.80 -91.24; Appleton 44.26 -88.42; Wausau 44.96 -89.63
WY: Cheyenne 41.14 -104.82; Casper 42.87 -106.31; Laramie 41.31 -105.59; Gillette 44.29 -105.50
WY: Jackson 43.48 -110.76
"""

DELIVERY_METHODS: list[dict[str, Any]] = [
    {
        "id": "STANDARD",
        "kind": "ship",
        "transit_days": [
            {"max_km": 300, "days": 1},
            {"max_km": 1200, "days": 2},
            {"max_km": 2500, "days": 3},
            {"max_km": None, "days": 5},
        ],
    },
    {
        "id": "EXPRESS",
        "kind": "ship",
        "transit_days": [{"max_km": 800, "days": 1}, {"max_km": None, "days": 2}],
    },
    {"id": "PICKUP", "kind": "pickup", "transit_days": []},
]

PICKUP_ONLY_SHARE = 0.1  # small-format stores that take pickups but ship nothing


@dataclass(frozen=True, slots=True)
class City:
    name: str
    state: str
    lat: float
    lon: float
    time_zone: str


def parse_cities(table: str) -> list[City]:
    """Parse ``ST: Name lat lon [@Zone]; ...`` lines (a state may take several), in order."""
    cities = []
    for row in table.strip().splitlines():
        state, entries = row.split(":", 1)
        for entry in entries.split(";"):
            text, _, zone = entry.strip().partition(" @")
            name, lat, lon = text.rsplit(" ", 2)
            cities.append(City(name, state, float(lat), float(lon), zone or STATE_ZONES[state]))
    return cities


def _warehouse(index: int, city: City, rng: random.Random) -> dict[str, Any]:
    return {
        "id": f"DC{index:02d}",
        "type": "warehouse",
        "lat": city.lat,
        "lon": city.lon,
        "capabilities": ["ship"],
        "shipment_cost": round(rng.uniform(5.5, 7.0), 2),
        "handling_cost_per_unit": round(rng.uniform(0.3, 0.5), 2),
        "priority": 0,
        "daily_capacity_units": None,
        "processing_days": 0,
        "cutoff_hour": rng.randint(14, 16),
        "time_zone": city.time_zone,
    }


def _store(index: int, city: City, rng: random.Random) -> dict[str, Any]:
    pickup_only = rng.random() < PICKUP_ONLY_SHARE
    return {
        "id": f"ST{index:03d}",
        "type": "store",
        "lat": city.lat,
        "lon": city.lon,
        "capabilities": ["pickup"] if pickup_only else ["ship", "pickup"],
        "shipment_cost": round(rng.uniform(7.5, 9.0), 2),
        "handling_cost_per_unit": round(rng.uniform(0.8, 1.2), 2),
        "priority": rng.choice((1, 2)),
        "daily_capacity_units": rng.randrange(40, 201, 10),
        "processing_days": 1,
        "cutoff_hour": rng.randint(12, 14),
        "time_zone": city.time_zone,
    }


def build_network() -> dict[str, Any]:
    """The sample network document, as written to the bundled file."""
    rng = random.Random(SEED)
    warehouses = [_warehouse(i, c, rng) for i, c in enumerate(parse_cities(WAREHOUSES), 1)]
    stores = [_store(i, c, rng) for i, c in enumerate(parse_cities(STORES), 1)]
    locations = warehouses + stores
    region_of = {loc["id"]: REGIONS[loc["time_zone"]] for loc in locations}
    groups = [
        ("ONLINE", [loc["id"] for loc in locations if "ship" in loc["capabilities"]]),
        ("WAREHOUSES", [loc["id"] for loc in warehouses]),
        ("STORES", [loc["id"] for loc in stores]),
        *[
            (r, [i for i, reg in region_of.items() if reg == r])
            for r in ("EAST", "CENTRAL", "WEST")
        ],
    ]
    return {
        "locations": locations,
        "location_groups": [{"id": gid, "location_ids": ids} for gid, ids in groups],
        "delivery_methods": DELIVERY_METHODS,
    }


def render(document: dict[str, Any]) -> str:
    """JSON with one location per line: small, and readable in a diff."""

    def items(key: str) -> str:
        rows = ",\n".join("    " + json.dumps(item) for item in document[key])
        return f'  "{key}": [\n{rows}\n  ]'

    keys = ("locations", "location_groups", "delivery_methods")
    return "{\n" + ",\n".join(items(key) for key in keys) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the bundled file is stale")
    args = parser.parse_args(argv)
    text = render(build_network())
    if args.check:
        stale = not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text
        sys.stderr.write(f"{OUTPUT} is {'stale' if stale else 'up to date'}\n")
        return 1 if stale else 0
    OUTPUT.write_text(text, encoding="utf-8")
    sys.stderr.write(f"wrote {OUTPUT}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
