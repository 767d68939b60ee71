"""Inventory CSV/JSON parsing: whole input checked first, problems name row, field, reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inventory.errors import InvalidInventory
from inventory.memory import MemoryInventory
from inventory.model import InventoryRecord
from inventory.records import (
    load_inventory_file,
    parse_inventory_csv,
    parse_inventory_json,
    records_from_objects,
)

RECORDS = [InventoryRecord("DC01", "SKU-1", 12, 2), InventoryRecord("ST07", "SKU-2", 3, 0)]


def as_csv(records: list[InventoryRecord]) -> str:
    rows = [f"{r.location_id},{r.sku},{r.on_hand},{r.safety_stock}" for r in records]
    return "\n".join(["location_id,sku,on_hand,safety_stock", *rows]) + "\n"


def as_objects(records: list[InventoryRecord]) -> list[dict[str, object]]:
    return [
        {
            "location_id": r.location_id,
            "sku": r.sku,
            "on_hand": r.on_hand,
            "safety_stock": r.safety_stock,
        }
        for r in records
    ]


def test_csv_records_round_trip() -> None:
    assert parse_inventory_csv(as_csv(RECORDS)) == RECORDS


def test_csv_without_safety_stock_column_defaults_it_to_zero() -> None:
    text = "sku,location_id,on_hand\nSKU-1,DC01,4\n"
    assert parse_inventory_csv(text) == [InventoryRecord("DC01", "SKU-1", 4, 0)]


def test_csv_with_byte_order_mark_and_blank_lines_is_read() -> None:
    text = "\ufeff" + as_csv(RECORDS).replace("\n", "\n\n", 1)
    assert parse_inventory_csv(text) == RECORDS


def test_non_numeric_csv_count_names_row_field_and_value() -> None:
    text = "location_id,sku,on_hand\nDC01,SKU-1,4\nDC01,SKU-2,abc\n"
    with pytest.raises(InvalidInventory) as caught:
        parse_inventory_csv(text)
    assert str(caught.value) == "row 3: on_hand: expected a non-negative integer, got 'abc'"
    assert (caught.value.where, caught.value.field) == ("row 3", "on_hand")


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        (",SKU-1,1,0", "location_id"),
        ("DC01,,1,0", "sku"),
        ("DC01,SKU-1,-1,0", "on_hand"),
        ("DC01,SKU-1,1.5,0", "on_hand"),
        ("DC01,SKU-1,1,x", "safety_stock"),
        ("DC01,SKU-1,99999999999,0", "on_hand"),
        ("DC01,SKU-1,1", "<row>"),
    ],
)
def test_each_bad_csv_cell_is_reported_by_field(cells: str, field: str) -> None:
    with pytest.raises(InvalidInventory) as caught:
        parse_inventory_csv(f"location_id,sku,on_hand,safety_stock\n{cells}\n")
    assert caught.value.field == field
    assert caught.value.where == "row 2"


def test_every_bad_row_is_reported_at_once() -> None:
    text = "location_id,sku,on_hand\nDC01,A,x\nDC01,B,1\nDC01,C,-3\n"
    with pytest.raises(InvalidInventory) as caught:
        parse_inventory_csv(text)
    assert [p.where for p in caught.value.problems] == ["row 2", "row 4"]


def test_csv_header_must_name_known_columns() -> None:
    with pytest.raises(InvalidInventory) as caught:
        parse_inventory_csv("location_id,sku,qty\nDC01,SKU-1,1\n")
    assert {p.field for p in caught.value.problems} == {"on_hand", "qty"}


def test_duplicate_pair_is_refused_naming_the_first_row() -> None:
    text = as_csv([*RECORDS, RECORDS[0]])
    with pytest.raises(InvalidInventory, match="row 4: sku: duplicate of row 2"):
        parse_inventory_csv(text)


def test_json_records_round_trip() -> None:
    assert parse_inventory_json(json.dumps(as_objects(RECORDS))) == RECORDS


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"location_id": "DC01", "sku": "S", "on_hand": "4"}, "on_hand"),
        ({"location_id": "DC01", "sku": "S", "on_hand": True}, "on_hand"),
        ({"location_id": "DC01", "sku": "S"}, "on_hand"),
        ({"location_id": "DC01", "sku": "S", "on_hand": 1, "colour": "red"}, "colour"),
        ({"location_id": 7, "sku": "S", "on_hand": 1}, "location_id"),
    ],
)
def test_bad_json_record_is_reported_by_index_and_field(
    value: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInventory) as caught:
        records_from_objects([as_objects(RECORDS)[0], value])
    assert (caught.value.where, caught.value.field) == ("[1]", field)


@pytest.mark.parametrize("document", ['{"location_id": "DC01"}', "[1, 2", "[3]"])
def test_json_that_is_not_a_list_of_objects_is_refused(document: str) -> None:
    with pytest.raises(InvalidInventory):
        parse_inventory_json(document)


def test_bad_file_changes_no_stock(tmp_path: Path) -> None:
    inventory = MemoryInventory()
    inventory.upsert(RECORDS)
    path = tmp_path / "inventory.csv"
    path.write_text(as_csv(RECORDS).replace("12", "lots"))
    with pytest.raises(InvalidInventory):
        inventory.upsert(load_inventory_file(path))
    assert inventory.availability("DC01", "SKU-1").on_hand == RECORDS[0].on_hand


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_files_load_by_suffix(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"inventory{suffix}"
    path.write_text(as_csv(RECORDS) if suffix == ".csv" else json.dumps(as_objects(RECORDS)))
    assert load_inventory_file(path) == RECORDS


def test_missing_file_is_an_inventory_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInventory, match="<file>"):
        load_inventory_file(tmp_path / "nope.csv")
