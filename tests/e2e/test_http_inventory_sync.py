"""PUT /v1/inventory is a full sync, PATCH /v1/inventory a delta: on memory and on Redis."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.e2e.test_http_api import availability

FULL = [
    {"location_id": "DC01", "sku": "SKU-1", "on_hand": 7, "safety_stock": 1},
    {"location_id": "ST01", "sku": "SKU-2", "on_hand": 4},
]


def figures(client: TestClient, location_id: str, sku: str) -> tuple[int, int, int]:
    body = availability(client, location_id, sku)
    return body["on_hand"], body["reserved"], body["safety_stock"]


def reserve(client: TestClient, rid: str, location_id: str, sku: str, quantity: int) -> None:
    line = {"location_id": location_id, "sku": sku, "quantity": quantity}
    assert client.post("/v1/reservations", json={"id": rid, "lines": [line]}).status_code == 201


def test_a_full_sync_leaves_exactly_the_body_and_drops_every_other_row(
    client: TestClient,
) -> None:
    response = client.put("/v1/inventory", json=FULL)
    assert response.status_code == 200, response.text
    assert response.json() == {"mode": "full_sync", "records": 2, "over_reserved": []}
    assert figures(client, "DC01", "SKU-1") == (7, 0, 1)
    assert figures(client, "ST01", "SKU-2") == (4, 0, 0)
    for location_id, sku in [("DC02", "SKU-1"), ("DC01", "SKU-2"), ("ST03", "SKU-1")]:
        assert figures(client, location_id, sku) == (0, 0, 0)


def test_a_full_sync_keeps_reservations_and_reports_rows_left_over_reserved(
    client: TestClient,
) -> None:
    reserve(client, "R1", "DC01", "SKU-1", 6)
    reserve(client, "R2", "DC02", "SKU-2", 5)
    body = [{"location_id": "DC01", "sku": "SKU-1", "on_hand": 4, "safety_stock": 0}]
    response = client.put("/v1/inventory", json=body)
    assert response.status_code == 200
    assert response.json()["over_reserved"] == [
        {"row": 0, "location_id": "DC01", "sku": "SKU-1", "on_hand": 4, "reserved": 6},
        {"row": None, "location_id": "DC02", "sku": "SKU-2", "on_hand": 0, "reserved": 5},
    ]
    assert figures(client, "DC01", "SKU-1") == (4, 6, 0)  # reported, not clamped
    assert client.get("/v1/reservations/R1").json()["status"] == "active"


def test_a_delta_changes_only_the_rows_it_names(client: TestClient) -> None:
    before = figures(client, "DC02", "SKU-1")
    rows: list[dict[str, Any]] = [
        {"location_id": "DC01", "sku": "SKU-1", "on_hand": 12},
        {"location_id": "ST01", "sku": "SKU-1", "safety_stock": 2},
        {"location_id": "DC01", "sku": "SKU-2", "adjust": -1},
        {"location_id": "ST02", "sku": "SKU-3", "adjust": 9},
    ]
    response = client.patch("/v1/inventory", json=rows)
    assert response.status_code == 200, response.text
    assert response.json() == {"mode": "delta", "records": 4, "over_reserved": []}
    assert figures(client, "DC01", "SKU-1") == (12, 0, 0)
    assert figures(client, "ST01", "SKU-1") == (3, 0, 2)  # on hand kept, safety set
    assert figures(client, "DC01", "SKU-2") == (0, 0, 0)
    assert figures(client, "ST02", "SKU-3") == (9, 0, 0)
    assert figures(client, "DC02", "SKU-1") == before


def test_a_delta_reports_rows_left_with_more_reserved_than_on_hand(client: TestClient) -> None:
    reserve(client, "R1", "DC02", "SKU-1", 30)
    response = client.patch(
        "/v1/inventory", json=[{"location_id": "DC02", "sku": "SKU-1", "adjust": -25}]
    )
    assert response.status_code == 200
    assert response.json()["over_reserved"] == [
        {"row": 0, "location_id": "DC02", "sku": "SKU-1", "on_hand": 25, "reserved": 30}
    ]


def test_a_bad_row_halfway_rejects_the_whole_request_and_changes_nothing(
    client: TestClient,
) -> None:
    before = [figures(client, "DC01", "SKU-1"), figures(client, "DC02", "SKU-2")]
    bad_sync = [*FULL, {"location_id": "DC02", "sku": "SKU-2", "on_hand": -3}, *FULL[:0]]
    bad_delta = [
        {"location_id": "DC01", "sku": "SKU-1", "on_hand": 1},
        {"location_id": "DC02", "sku": "SKU-2", "adjust": -51},  # more than is on hand
    ]
    unknown = [
        {"location_id": "DC01", "sku": "SKU-1", "on_hand": 1},
        {"location_id": "XX9", "sku": "SKU-1", "on_hand": 1},
    ]
    for method, body, field in [
        ("PUT", bad_sync, "[2].on_hand"),
        ("PATCH", bad_delta, "[1].adjust"),
        (
            "PATCH",
            [{"location_id": "DC01", "sku": "SKU-1", "on_hand": 2, "adjust": 1}],
            "[0].adjust",
        ),
        ("PUT", unknown, "records[1].location_id"),
    ]:
        response = client.request(method, "/v1/inventory", json=body)
        assert response.status_code == 422, (method, body, response.text)
        assert response.json()["detail"][0]["field"] == field
    assert [figures(client, "DC01", "SKU-1"), figures(client, "DC02", "SKU-2")] == before


def test_a_csv_delta_without_a_safety_stock_column_keeps_safety_stock(client: TestClient) -> None:
    csv = "location_id,sku,on_hand\nST01,SKU-1,8\n"
    response = client.patch("/v1/inventory", content=csv, headers={"content-type": "text/csv"})
    assert response.status_code == 200
    assert figures(client, "ST01", "SKU-1") == (8, 0, 1)
