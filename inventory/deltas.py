"""Delta rows (``PATCH /v1/inventory``, ``inventory load`` without ``--replace``). Pure.

A row either sets figures (``on_hand`` and/or ``safety_stock``, the record shape) or moves on
hand by ``adjust``. The whole input is checked before anything is written; problems name the
row and the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from inventory.errors import InvalidInventory, InventoryProblem
from inventory.model import MAX_COUNT, InventoryRecord, StockAdjust, StockDelta, StockSet
from inventory.records import parse_inventory_csv

DELTA_FIELDS = ("location_id", "sku", "on_hand", "safety_stock", "adjust")
MAX_PROBLEMS = 20


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _row(
    where: str, raw: Mapping[str, object], problems: list[InventoryProblem]
) -> StockDelta | None:
    found = len(problems)
    for key in raw:
        if key not in DELTA_FIELDS:
            problems.append(
                InventoryProblem(where, str(key), f"unknown field; expected some of {DELTA_FIELDS}")
            )
    for key in ("location_id", "sku"):
        if not _text(raw.get(key)):
            problems.append(
                InventoryProblem(where, key, f"expected a non-empty string, got {raw.get(key)!r}")
            )
    if "adjust" in raw:
        if "on_hand" in raw or "safety_stock" in raw:
            problems.append(
                InventoryProblem(
                    where, "adjust", "give either adjust or on_hand/safety_stock, not both"
                )
            )
        value = raw["adjust"]
        if not _int(value) or not -MAX_COUNT <= value <= MAX_COUNT or value == 0:  # type: ignore[operator]
            problems.append(
                InventoryProblem(where, "adjust", f"expected a non-zero integer, got {value!r}")
            )
    elif "on_hand" not in raw and "safety_stock" not in raw:
        problems.append(
            InventoryProblem(where, "on_hand", "expected on_hand, safety_stock or adjust")
        )
    for key in ("on_hand", "safety_stock"):
        if key in raw and not (_int(raw[key]) and 0 <= raw[key] <= MAX_COUNT):  # type: ignore[operator]
            problems.append(
                InventoryProblem(where, key, f"expected a non-negative integer, got {raw[key]!r}")
            )
    if len(problems) > found:
        return None
    location_id, sku = str(raw["location_id"]).strip(), str(raw["sku"]).strip()
    if "adjust" in raw:
        return StockAdjust(location_id, sku, int(raw["adjust"]))  # type: ignore[call-overload]
    on_hand, safety = raw.get("on_hand"), raw.get("safety_stock")
    return StockSet(
        location_id,
        sku,
        on_hand if isinstance(on_hand, int) else None,
        safety if isinstance(safety, int) else None,
    )


def deltas_from_objects(items: object) -> list[StockDelta]:
    """Delta rows of a decoded JSON list; InvalidInventory names every bad row (up to 20)."""
    if not isinstance(items, list):
        got = type(items).__name__
        raise InvalidInventory(
            [InventoryProblem("<document>", "<root>", f"expected a JSON list of rows, got {got}")]
        )
    problems: list[InventoryProblem] = []
    rows: list[StockDelta] = []
    for index, item in enumerate(items):
        where = f"[{index}]"
        if not isinstance(item, dict):
            problems.append(
                InventoryProblem(where, "<row>", f"expected an object, got {type(item).__name__}")
            )
            continue
        row = _row(where, item, problems)
        if row is not None:
            rows.append(row)
    if problems:
        raise InvalidInventory(problems[:MAX_PROBLEMS])
    return rows


def sets_of(records: Iterable[InventoryRecord]) -> list[StockDelta]:
    """Record-shaped rows as delta rows that set both figures."""
    return [StockSet(r.location_id, r.sku, r.on_hand, r.safety_stock) for r in records]


def check_deltas(deltas: Sequence[StockDelta]) -> list[StockDelta]:
    """Check delta rows built in code the same way as parsed ones."""
    problems: list[InventoryProblem] = []
    for index, row in enumerate(deltas):
        where = f"[{index}]"
        if isinstance(row, StockAdjust):
            raw: dict[str, object] = {
                "location_id": row.location_id,
                "sku": row.sku,
                "adjust": row.adjust,
            }
        elif isinstance(row, StockSet):
            raw = {"location_id": row.location_id, "sku": row.sku}
            raw.update(
                {
                    k: v
                    for k, v in (("on_hand", row.on_hand), ("safety_stock", row.safety_stock))
                    if v is not None
                }
            )
        else:
            problems.append(
                InventoryProblem(where, "<row>", f"expected a StockSet or StockAdjust, got {row!r}")
            )
            continue
        _row(where, raw, problems)
    if problems:
        raise InvalidInventory(problems[:MAX_PROBLEMS])
    return list(deltas)


def deltas_from_csv(text: str) -> list[StockDelta]:
    """Record-shaped CSV rows as delta rows; without a ``safety_stock`` column, safety stock
    stays as it is (a delta changes only what it names)."""
    records = parse_inventory_csv(text)
    header = text.removeprefix("\ufeff").split("\n", 1)[0]
    keeps_safety = "safety_stock" not in [name.strip() for name in header.split(",")]
    return [
        StockSet(r.location_id, r.sku, r.on_hand, None if keeps_safety else r.safety_stock)
        for r in records
    ]
