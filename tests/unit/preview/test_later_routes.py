"""The answer says what routes 2..k are, so a caller never takes alternatives for the
runner-up routes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pytest

from engine.network import Location, Network
from engine.order import Order
from engine.params import SolveParams
from engine.preview import preview
from rules.schema import Rules

NETWORK = Network(
    locations=tuple(
        Location(
            id=f"L{i}",
            type="warehouse",
            lat=40.0 + i,
            lon=-75.0,
            capabilities=("ship",),
            shipment_cost=5.0 + i,
            handling_cost_per_unit=0.5,
        )
        for i in range(4)
    )
)
RULES = Rules.model_validate({"policies": [{"name": "ship", "split": {"max_locations": 2}}]})
ORDER = Order.model_validate(
    {
        "id": "O",
        "lines": [{"id": "1", "sku": "A", "quantity": 2}, {"id": "2", "sku": "B", "quantity": 1}],
        "delivery": {"method": "ship", "lat": 40.0, "lon": -75.0},
    }
)


class Stock:
    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> npt.NDArray[np.int64]:
        return np.full((len(skus), len(location_ids)), 3, dtype=np.int64)


@pytest.mark.parametrize(
    ("params", "later"),
    [
        (None, "alternatives"),
        (SolveParams(force_solver="search"), "alternatives"),
        (SolveParams(force_solver="cpsat"), "alternatives"),  # pruned first: not all routes
        (SolveParams(force_solver="cpsat", prune=False), "next_best"),
    ],
)
def test_the_answer_says_whether_later_routes_are_the_next_best_or_alternatives(
    params: SolveParams | None, later: str
) -> None:
    answer = preview(
        ORDER,
        network=NETWORK,
        rules=RULES,
        rules_version="v",
        stock=Stock(),
        now=datetime(2026, 11, 30, tzinfo=UTC),
        max_routes=3,
        params=params,
    )
    assert len(answer.routes) >= 2  # the search may offer fewer alternatives than asked
    assert answer.explanation.later_routes == later
