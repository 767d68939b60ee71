"""Inventory records from the CSV or JSON of DESIGN.md (``location_id,sku,on_hand,safety_stock``).

The whole input is parsed and checked before anything is returned, so a bad row changes
nothing downstream. Problems name the row (CSV line number, header = row 1) or the JSON index,
the field and what was expected. Pure: file reading only in :func:`load_inventory_file`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from inventory.errors import InvalidInventory, InventoryProblem
from inventory.model import MAX_COUNT, InventoryRecord

FIELDS = ("location_id", "sku", "on_hand", "safety_stock")
REQUIRED = ("location_id", "sku", "on_hand")
MAX_PROBLEMS = 20  # enough to fix a file in a few passes without flooding a terminal


class _Problems:
    def __init__(self) -> None:
        self.items: list[InventoryProblem] = []

    def add(self, where: str, field: str, problem: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(InventoryProblem(where, field, problem))

    def raise_if_any(self) -> None:
        if self.items:
            raise InvalidInventory(self.items)


def _count(
    value: object, where: str, field: str, problems: _Problems, allow_text: bool = False
) -> int | None:
    if isinstance(value, str) and allow_text:
        text = value.strip()
        if text.isascii() and text.isdigit():
            value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        problems.add(where, field, f"expected a non-negative integer, got {value!r}")
        return None
    return value


def _text(value: object, where: str, field: str, problems: _Problems) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.add(where, field, f"expected a non-empty string, got {value!r}")
        return None
    return value.strip()


def _record(
    raw: Mapping[str, object], where: str, problems: _Problems, allow_text_counts: bool
) -> InventoryRecord | None:
    location_id = _text(raw.get("location_id"), where, "location_id", problems)
    sku = _text(raw.get("sku"), where, "sku", problems)
    counts: list[int | None] = []
    for field in ("on_hand", "safety_stock"):
        value = raw.get(field, 0 if field == "safety_stock" else None)
        if field == "safety_stock" and value in ("", None):
            value = 0  # the column is optional, and so is the cell
        counts.append(_count(value, where, field, problems, allow_text_counts))
    on_hand, safety = counts
    if location_id is None or sku is None or on_hand is None or safety is None:
        return None
    return InventoryRecord(location_id, sku, on_hand, safety)


def _collect(
    rows: Iterable[tuple[str, Mapping[str, object]]], problems: _Problems, allow_text_counts: bool
) -> list[InventoryRecord]:
    records: list[InventoryRecord] = []
    first_seen: dict[tuple[str, str], str] = {}
    for where, raw in rows:
        record = _record(raw, where, problems, allow_text_counts)
        if record is None:
            continue
        key = (record.location_id, record.sku)
        if key in first_seen:
            problems.add(where, "sku", f"duplicate of {first_seen[key]} for {key[1]} at {key[0]}")
            continue
        first_seen[key] = where
        records.append(record)
    problems.raise_if_any()
    return records


def parse_inventory_csv(text: str) -> list[InventoryRecord]:
    """Records of an inventory CSV with a header; ``safety_stock`` may be left out."""
    problems = _Problems()
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = [name.strip() for name in next(reader, [])]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in FIELDS]
    for name in missing:
        problems.add("row 1", name, "missing column (header must name location_id,sku,on_hand)")
    for name in unknown:
        problems.add("row 1", name or "<empty>", f"unknown column; expected some of {FIELDS}")
    problems.raise_if_any()

    def rows() -> Iterable[tuple[str, Mapping[str, object]]]:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines carry no record
            if len(cells) != len(header):
                problems.add(f"row {number}", "<row>", f"expected {len(header)} cells")
                continue
            yield f"row {number}", dict(zip(header, cells, strict=True))

    return _collect(rows(), problems, allow_text_counts=True)


def records_from_objects(items: object) -> list[InventoryRecord]:
    """Records of an already decoded JSON list of objects (e.g. an HTTP body)."""
    problems = _Problems()
    if not isinstance(items, list):
        got = type(items).__name__
        problems.add("<document>", "<root>", f"expected a JSON list of records, got {got}")
        problems.raise_if_any()
    listed: list[object] = items if isinstance(items, list) else []

    def rows() -> Iterable[tuple[str, Mapping[str, object]]]:
        for index, item in enumerate(listed):
            where = f"[{index}]"
            if not isinstance(item, dict):
                problems.add(where, "<record>", f"expected an object, got {type(item).__name__}")
                continue
            for key in item:
                if key not in FIELDS:
                    problems.add(where, str(key), f"unknown field; expected some of {FIELDS}")
            yield where, item

    return _collect(rows(), problems, allow_text_counts=False)


def parse_inventory_json(data: str | bytes) -> list[InventoryRecord]:
    try:
        items = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInventory([InventoryProblem("<document>", "<json>", str(exc))]) from exc
    return records_from_objects(items)


def load_inventory_file(path: str | Path) -> list[InventoryRecord]:
    """Read an inventory file: ``.json`` is a JSON list, anything else is CSV."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInventory([InventoryProblem(str(path), "<file>", str(exc))]) from exc
    if path.suffix.lower() == ".json":
        return parse_inventory_json(text)
    return parse_inventory_csv(text)


def check_records(records: Iterable[InventoryRecord]) -> list[InventoryRecord]:
    """Check records built in code (the upsert path) the same way as parsed ones."""
    problems = _Problems()
    checked: list[InventoryRecord] = []
    for index, record in enumerate(records):
        where = f"[{index}]"
        if not isinstance(record, InventoryRecord):
            problems.add(where, "<record>", f"expected an InventoryRecord, got {record!r}")
            continue
        for field in ("location_id", "sku"):
            if not isinstance(getattr(record, field), str) or not getattr(record, field):
                problems.add(where, field, "expected a non-empty string")
        for field in ("on_hand", "safety_stock"):
            _count(getattr(record, field), where, field, problems)
        checked.append(record)
    problems.raise_if_any()
    return checked


# Short names used by the CLI, the HTTP app and the bootstrap.
parse_csv = parse_inventory_csv
parse_json = records_from_objects  # an already decoded JSON document
read_records_file = load_inventory_file
