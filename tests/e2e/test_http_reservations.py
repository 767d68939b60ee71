"""Reservations over HTTP: all-or-nothing, idempotent, released and fulfilled."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.test_http_api import availability


def reservation(rid: str, *lines: tuple[str, str, int]) -> dict[str, object]:
    return {
        "id": rid,
        "lines": [{"location_id": loc, "sku": sku, "quantity": q} for loc, sku, q in lines],
        "ttl_seconds": 600,
    }


def test_a_reservation_holds_units_and_a_retry_is_a_no_op(client: TestClient) -> None:
    body = reservation("R1", ("DC01", "SKU-1", 2), ("DC02", "SKU-2", 3))
    first = client.post("/v1/reservations", json=body)
    again = client.post("/v1/reservations", json=body)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    figures = availability(client, "DC01", "SKU-1")
    assert figures["reserved"] == 2
    assert figures["available_to_fulfill"] == figures["on_hand"] - 2 - figures["safety_stock"]


def test_a_reservation_any_line_of_which_lacks_stock_reserves_nothing(client: TestClient) -> None:
    before = [availability(client, "DC01", "SKU-1"), availability(client, "DC01", "SKU-2")]
    body = reservation("R2", ("DC01", "SKU-1", 1), ("DC01", "SKU-2", 2))
    response = client.post("/v1/reservations", json=body)
    assert response.status_code == 409
    assert response.json()["error"] == "insufficient_stock"
    after = [availability(client, "DC01", "SKU-1"), availability(client, "DC01", "SKU-2")]
    assert after == before


def test_the_same_id_with_other_lines_is_a_conflict(client: TestClient) -> None:
    assert (
        client.post("/v1/reservations", json=reservation("R3", ("DC02", "SKU-1", 1))).status_code
        == 201
    )
    response = client.post("/v1/reservations", json=reservation("R3", ("DC02", "SKU-1", 2)))
    assert response.status_code == 409


def test_release_gives_units_back_and_fulfill_consumes_on_hand(client: TestClient) -> None:
    start = availability(client, "DC02", "SKU-2")
    client.post("/v1/reservations", json=reservation("R4", ("DC02", "SKU-2", 5)))
    part = {"lines": [{"location_id": "DC02", "sku": "SKU-2", "quantity": 2}]}
    released = client.post("/v1/reservations/R4/release", json=part)
    assert released.status_code == 200
    fulfilled = client.post("/v1/reservations/R4/fulfill")
    assert fulfilled.status_code == 200
    assert fulfilled.json()["status"] == "fulfilled"
    end = availability(client, "DC02", "SKU-2")
    assert end["on_hand"] == start["on_hand"] - 3
    assert end["reserved"] == start["reserved"]


def test_unknown_reservations_are_404_and_bad_lines_422(client: TestClient) -> None:
    assert client.post("/v1/reservations/NOPE/release").status_code == 404
    bad = reservation("R5", ("DC01", "SKU-1", 0))
    assert client.post("/v1/reservations", json=bad).status_code == 422
    unknown_location = reservation("R6", ("MARS", "SKU-1", 1))
    assert client.post("/v1/reservations", json=unknown_location).status_code == 422


def test_a_batch_answers_each_reservation_as_it_would_have_been_answered_alone(
    client: TestClient,
) -> None:
    def item(rid: str, location_id: str, quantity: int) -> dict[str, object]:
        return {
            "id": rid,
            "lines": [{"location_id": location_id, "sku": "SKU-1", "quantity": quantity}],
        }

    body = {
        "reservations": [
            item("B1", "DC01", 2),
            item("B2", "DC01", 1000),  # more than there is
            item("B3", "NOWHERE", 1),  # a location the network does not have
            item("B1", "DC01", 3),  # the same id with other lines
        ]
    }
    response = client.post("/v1/reservations/batch", json=body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["id"], r["status"], r["error"]) for r in results] == [
        ("B1", 201, None),
        ("B2", 409, "insufficient_stock"),
        ("B3", 422, "invalid_reservation"),
        ("B1", 409, "reservation_conflict"),
    ]
    assert results[0]["reservation"]["lines"] == [
        {"location_id": "DC01", "sku": "SKU-1", "quantity": 2}
    ]
    assert (
        client.get("/v1/availability", params={"sku": "SKU-1", "location_id": "DC01"}).json()[
            "reserved"
        ]
        == 2
    )
    assert client.post("/v1/reservations/batch", json={"reservations": []}).status_code == 422
