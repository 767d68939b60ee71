"""Store keys: a key with the ``store`` scope and a list of locations works on those
locations' Fulfillment Orders only; another location's FO is as if it did not exist (404,
the same answer as an unknown id). On the embedded default and on PostgreSQL + Redis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from access.scopes import Scope
from api.app import create_app
from flows.bootstrap import Services
from tests.support.auth import key_header
from tests.support.orders import order

HERE = "ST03"  # the store key's location: the pickup group's FO
ELSEWHERE = "DC01"  # another location with an FO of the same order
UNKNOWN_FO = "FO-does-not-exist"


@pytest.fixture
def app_client(order_services: Services) -> Iterator[TestClient]:
    """The app, no key of its own: each call sends the key it is about."""
    with TestClient(create_app(order_services)) as client:
        yield client


@pytest.fixture
def fos(order_services: Services, app_client: TestClient) -> dict[str, dict[str, Any]]:
    """One order placed and routed: its FOs by location (DC01, ST02, ST03)."""
    admin = key_header(order_services, Scope.orders)
    placed = app_client.post("/v1/orders", json=order(), headers=admin)
    assert placed.status_code == 201, placed.text
    by_location = {fo["location_id"]: fo for fo in placed.json()["fulfillment_orders"]}
    assert {HERE, ELSEWHERE} <= set(by_location)
    return by_location


def listed(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/v1/fulfillment-orders", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def same_shape(answer: Any, fo_id: str) -> dict[str, Any]:
    """The answer's body with the FO id it names made generic."""
    body: dict[str, Any] = answer.json()
    return {
        **body,
        "message": body["message"].replace(fo_id, "<id>"),
        "detail": [{**d, "message": d["message"].replace(fo_id, "<id>")} for d in body["detail"]],
    }


def test_a_store_key_lists_only_its_locations_fos(
    order_services: Services, app_client: TestClient, fos: dict[str, dict[str, Any]]
) -> None:
    store = key_header(order_services, Scope.store, locations=[HERE])
    items = listed(app_client, store)
    assert [fo["id"] for fo in items] == [fos[HERE]["id"]]
    assert listed(app_client, store, location_id=HERE) == items
    assert listed(app_client, store, location_id=ELSEWHERE) == []  # asking does not widen it
    assert listed(app_client, store, status="Allocated") == items


def test_another_locations_fo_is_404_like_an_unknown_id(
    order_services: Services, app_client: TestClient, fos: dict[str, dict[str, Any]]
) -> None:
    store = key_header(order_services, Scope.store, locations=[HERE])
    other = fos[ELSEWHERE]["id"]
    unknown_get = app_client.get(f"/v1/fulfillment-orders/{UNKNOWN_FO}", headers=store)
    other_get = app_client.get(f"/v1/fulfillment-orders/{other}", headers=store)
    assert (unknown_get.status_code, other_get.status_code) == (404, 404)
    assert same_shape(other_get, other) == same_shape(unknown_get, UNKNOWN_FO)
    assert other_get.json()["error"] == "not_found"

    ship = {"status": "Fulfilled"}
    unknown_post = app_client.post(
        f"/v1/fulfillment-orders/{UNKNOWN_FO}/status", json=ship, headers=store
    )
    other_post = app_client.post(f"/v1/fulfillment-orders/{other}/status", json=ship, headers=store)
    assert (unknown_post.status_code, other_post.status_code) == (404, 404)
    assert same_shape(other_post, other) == same_shape(unknown_post, UNKNOWN_FO)

    everywhere = key_header(order_services, Scope.store)
    unchanged = app_client.get(f"/v1/fulfillment-orders/{other}", headers=everywhere)
    assert unchanged.status_code == 200, unchanged.text
    assert unchanged.json()["status"] == "Allocated"  # the refused change did nothing


def test_a_store_key_advances_its_own_locations_fo(
    order_services: Services, app_client: TestClient, fos: dict[str, dict[str, Any]]
) -> None:
    store = key_header(order_services, Scope.store, locations=[HERE])
    mine = fos[HERE]["id"]
    got = app_client.get(f"/v1/fulfillment-orders/{mine}", headers=store)
    assert got.status_code == 200, got.text
    assert got.json()["location_id"] == HERE
    shipped = app_client.post(
        f"/v1/fulfillment-orders/{mine}/status", json={"status": "Fulfilled"}, headers=store
    )
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["status"] == "Fulfilled"
    assert [h["status"] for h in shipped.json()["history"]][-1] == "Fulfilled"


def test_a_store_key_without_locations_sees_every_location(
    order_services: Services, app_client: TestClient, fos: dict[str, dict[str, Any]]
) -> None:
    store = key_header(order_services, Scope.store)
    assert {fo["id"] for fo in listed(app_client, store)} == {fo["id"] for fo in fos.values()}
    assert [fo["id"] for fo in listed(app_client, store, location_id=ELSEWHERE)] == [
        fos[ELSEWHERE]["id"]
    ]
    other = app_client.get(f"/v1/fulfillment-orders/{fos[ELSEWHERE]['id']}", headers=store)
    assert other.status_code == 200, other.text


def test_a_key_of_two_locations_sees_both(
    order_services: Services, app_client: TestClient, fos: dict[str, dict[str, Any]]
) -> None:
    store = key_header(order_services, Scope.store, locations=[HERE, ELSEWHERE])
    ids = {fo["id"] for fo in listed(app_client, store)}
    assert ids == {fos[HERE]["id"], fos[ELSEWHERE]["id"]}


def test_an_agent_only_key_may_not_list_fulfillment_orders(
    order_services: Services, app_client: TestClient, fos: dict[str, dict[str, Any]]
) -> None:
    agent = key_header(order_services, Scope.agent)
    answer = app_client.get("/v1/fulfillment-orders", headers=agent)
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "forbidden"
    assert "'store'" in answer.json()["message"]
    one = app_client.get(f"/v1/fulfillment-orders/{fos[HERE]['id']}", headers=agent)
    assert one.status_code == 403
