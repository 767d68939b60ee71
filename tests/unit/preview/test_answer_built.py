"""``engine.answer.built`` (the preview's unvalidated model constructor) makes the same model
as validation does."""

from __future__ import annotations

from typing import Any

from engine.answer import FulfillmentOrderOut, RouteOut, built


def _fulfillment_order() -> dict[str, Any]:
    return {
        "location_id": "DC01",
        "location_type": "warehouse",
        "fulfillment_type": "ship",
        "distance_km": 12.5,
        "lines": [{"line_id": "1", "sku": "SKU-1", "quantity": 2}],
        "ship_date": "2024-06-03",
        "estimated_delivery_date": None,
    }


def test_a_built_model_equals_and_dumps_like_a_validated_one() -> None:
    fo = built(FulfillmentOrderOut, _fulfillment_order())
    assert fo == FulfillmentOrderOut(**_fulfillment_order())
    route = built(RouteOut, {"rank": 1, "cost": 3.5, "fulfillment_orders": [fo], "unfilled": []})
    validated = RouteOut(rank=1, cost=3.5, fulfillment_orders=[fo], unfilled=[])
    assert route.model_dump_json() == validated.model_dump_json()
    assert route.model_fields_set == validated.model_fields_set
