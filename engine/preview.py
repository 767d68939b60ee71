"""Route preview: (order, network, rules, stock) → DESIGN.md's preview answer. Read-only.

The hot path per order: pick the policy, read available-to-fulfill once for the order's SKUs
at every location (one ``atf_matrix`` call, always with the network's constant id tuple so an
inventory can cache its slot mapping), apply the fences (:mod:`engine.candidates`), solve
exactly (:func:`engine.solve.solve`), and re-attach ids to the solver's index-based routes
(:mod:`engine.assemble`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np
import numpy.typing as npt

from engine import assemble
from engine.answer import Explanation, PickupAlternative, PreviewAnswer, Status, built
from engine.assemble import Explain
from engine.candidates import pickup_candidates, ship_candidates, sku_rows
from engine.delivery import resolve_method
from engine.errors import PreviewInputError, UnknownLocation
from engine.network import DeliveryMethod, Network
from engine.order import Order
from engine.params import SolveParams
from engine.problem import RoutingResult
from engine.solve import solve
from rules.schema import Policy, Rules

IntArray = npt.NDArray[np.int64]
_NO_STOCK: IntArray = np.zeros((0, 0), dtype=np.int64)


class StockReader(Protocol):
    """What a preview needs of inventory (``inventory.ports.Inventory`` provides it)."""

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> IntArray:
        """Available to fulfill per sku (rows) at each location (columns), int64."""
        ...


def select_policy(rules: Rules, order: Order) -> Policy | None:
    """The policy that applies to ``order``: the first whose ``when`` matches its delivery
    method, channel and (ship orders) destination country, or ``None``."""
    delivery = order.delivery
    country = delivery.country if delivery.method == "ship" else None
    return rules.policy_for(delivery.method, order.channel, country)


@dataclass(frozen=True, slots=True)
class _Context:
    network: Network
    rules_version: str
    now: datetime
    max_routes: int
    explain: Explain
    params: SolveParams | None


def preview(
    order: Order,
    *,
    network: Network,
    rules: Rules,
    rules_version: str,
    stock: StockReader,
    now: datetime,
    max_routes: int = 3,
    explain: Explain = "relevant",
    params: SolveParams | None = None,
) -> PreviewAnswer:
    """The route preview of one order. Raises :class:`PreviewInputError` for an order that
    names a location or delivery method the network does not know."""
    method = _checked_method(order, network)
    policy = select_policy(rules, order)
    skus, line_sku = sku_rows(order)
    # an order no policy takes needs no stock: skip the read
    atf = _NO_STOCK if policy is None else stock.atf_matrix(skus, network.location_ids)
    ctx = _Context(network, rules_version, now, max_routes, explain, params)
    return _answer(order, policy, method, atf, line_sku, ctx)


def preview_many(
    orders: Sequence[Order],
    *,
    network: Network,
    rules: Rules,
    rules_version: str,
    stock: StockReader,
    now: datetime,
    max_routes: int = 3,
    explain: Explain = "relevant",
    params: SolveParams | None = None,
) -> list[PreviewAnswer]:
    """Previews of many orders with one stock read for the union of their SKUs. Every order
    is checked before any is answered; an error's field is prefixed with ``orders[i].``."""
    methods: list[DeliveryMethod | None] = []
    for i, order in enumerate(orders):
        try:
            methods.append(_checked_method(order, network))
        except PreviewInputError as exc:
            raise type(exc)(f"orders[{i}].{exc.field}", exc.message) from exc
    rows: dict[str, int] = {}
    for order in orders:
        for line in order.lines:
            rows.setdefault(line.sku, len(rows))
    atf = stock.atf_matrix(tuple(rows), network.location_ids) if rows else None
    ctx = _Context(network, rules_version, now, max_routes, explain, params)
    answers = []
    for order, method in zip(orders, methods, strict=True):
        skus, line_sku = sku_rows(order)
        assert atf is not None  # every order has a line
        order_atf = atf[[rows[sku] for sku in skus]]
        policy = select_policy(rules, order)
        answers.append(_answer(order, policy, method, order_atf, line_sku, ctx))
    return answers


def _checked_method(order: Order, network: Network) -> DeliveryMethod | None:
    delivery = order.delivery
    if delivery.method == "pickup" and delivery.location_id not in network.index:
        raise UnknownLocation(
            "delivery.location_id", f"unknown pickup location {delivery.location_id!r}"
        )
    return resolve_method(order, network)


def _answer(
    order: Order,
    policy: Policy | None,
    method: DeliveryMethod | None,
    atf: IntArray,
    line_sku: tuple[int, ...],
    ctx: _Context,
) -> PreviewAnswer:
    if policy is None:
        explanation = Explanation(
            candidates=[], excluded_counts={}, eligible=0, stocked=0, solver="none"
        )
        return PreviewAnswer(
            order_id=order.id,
            policy=None,
            status="unroutable",
            rules_version=ctx.rules_version,
            routes=[],
            reason="no policy matches",
            explanation=explanation,
        )
    delivery = order.delivery
    network = ctx.network
    if delivery.method == "pickup":
        store = network.index[delivery.location_id]
        cands = pickup_candidates(
            order, policy, network, store, atf, line_sku, method, ctx.now, ctx.max_routes
        )
    else:
        store = -1
        cands = ship_candidates(
            order, policy, network, atf, line_sku, method, ctx.now, ctx.max_routes
        )
    result = None if cands.problem is None else solve(cands.problem, ctx.params)
    routes = [] if result is None else assemble.routes(order, cands, result, network)
    complete = bool(routes) and not routes[0].unfilled
    status: Status = "routable" if complete else ("partial" if routes else "unroutable")
    alternatives: list[PickupAlternative] = []
    if store >= 0 and not complete:
        alternatives = assemble.pickup_alternatives(order, policy, network, store, atf, line_sku)
    return built(
        PreviewAnswer,
        {
            "order_id": order.id,
            "policy": policy.name,
            "status": status,
            "rules_version": ctx.rules_version,
            "routes": routes,
            "reason": None if routes else assemble.reason(cands, store >= 0),
            "pickup_alternatives": alternatives,
            "explanation": assemble.explanation(
                cands, policy, network, atf, store, ctx.explain, result, _k_best(result, ctx)
            ),
        },
    )


def _k_best(result: RoutingResult | None, ctx: _Context) -> bool:
    """Only CP-SAT over every candidate enumerates the k cheapest routes; the DP, the set
    search and the MIP return the optimum and cost-sorted alternatives."""
    return (
        result is not None
        and result.solver == "cpsat"
        and ctx.params is not None
        and not ctx.params.prune
    )
