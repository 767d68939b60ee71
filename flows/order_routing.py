"""Routing a managed Order Summary into Fulfillment Orders with reservations.

Per delivery group with units available to fulfill, in three steps, so that a failure at any
point leaves records that :mod:`flows.order_reconcile` can finish or undo:

1. plan with the engine (best route under the active rules, minus the locations that
   rejected this group) and record the route's FOs as ``Draft`` (their units allocated);
2. reserve each FO's units (reservation id = FO id, so a retry finds the same reservation);
3. activate the reserved FOs (``Allocated``) and cancel the ones whose reservation was
   refused (another order took the stock meanwhile): their units go back and the group is
   planned again, up to :data:`MAX_PLANS` times.

Units no route can fill stay available to fulfill and raise a routing Process Exception;
an attempt that later fills the group resolves it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.answer import PreviewAnswer, RouteOut
from engine.order import Order as EngineOrder
from engine.order import OrderLine, PickupDelivery, ShipDelivery
from engine.preview import preview
from flows.active import ActiveConfig
from flows.bootstrap import Services
from flows.errors import FlowError
from flows.order_store import OrderUnitOfWork
from inventory.errors import InsufficientStock, InventoryError
from inventory.model import MAX_TTL_SECONDS, Reservation, ReservationLine
from rules.schema import Rules
from summary.exceptions import ProcessException, new_exception
from summary.summary import DeliveryGroupSummary, OrderSummary

MAX_PLANS = 20  # re-plans of one group: each lost race means another order took the stock


class NotManaged(FlowError):
    """The summary is unmanaged: omniroute records it but never routes or charges it (409)."""


@dataclass
class RouteOutcome:
    summary_id: str
    fulfillment_order_ids: list[str] = field(default_factory=list)
    unfilled: dict[str, int] = field(default_factory=dict)  # group id → units left
    skipped: str | None = None


def route_summary(
    services: Services,
    key: str,
    *,
    automatic: bool = False,
    groups: Collection[str] | None = None,
) -> RouteOutcome:
    """Route the delivery groups (all, or ``groups``) with units available to fulfill.
    ``automatic`` (intake, periodic tasks): skip a summary with active process exceptions,
    until a person resolves them; on demand, route anyway."""
    return carry_out(services, _plan(services, key, automatic=automatic, groups=groups))


def carry_out(services: Services, plan: Plan, *, automatic: bool = False) -> RouteOutcome:
    """Steps 2 and 3 of a recorded plan; plan again the groups whose reservations lost a
    race for stock."""
    outcome = RouteOutcome(plan.summary_id, skipped=plan.skipped)
    for attempt in range(MAX_PLANS):
        if not plan.drafts:
            break
        results = services.inventory.reserve_many(
            [(fo_id, lines, MAX_TTL_SECONDS) for fo_id, lines in plan.drafts]
        )
        if _activate_all(services, plan, results, outcome):
            break
        if not _settle(services, plan, results, outcome, last=attempt == MAX_PLANS - 1):
            break
        plan = _plan(services, plan.summary_id, automatic=automatic, groups=plan.groups)
    return outcome


Draft = tuple[str, list[ReservationLine]]


@dataclass
class Plan:
    summary_id: str
    groups: list[str] = field(default_factory=list)  # planned (their exceptions settle later)
    drafts: list[Draft] = field(default_factory=list)
    skipped: str | None = None
    # Every planned unit has a Draft and no routing exception waits on the planned groups:
    # once all reservations hold, settling is only Draft → Allocated (no summary load).
    complete: bool = True


def _plan(services: Services, key: str, *, automatic: bool, groups: Collection[str] | None) -> Plan:
    """Step 1, one transaction: the engine's best route of each group, recorded as Draft FOs
    with the routing attempt. A group with nothing to route gets its exceptions settled now."""
    with services.uow() as uow:
        summary = uow.summary(key)
        if not summary.managed:
            raise NotManaged(f"order summary {summary.id} is unmanaged: omniroute never routes it")
        active = [pe for pe in uow.exceptions(summary_id=summary.id, limit=10_000) if pe.active]
        if automatic and active:
            return Plan(summary.id, skipped="active process exceptions")
        routing_exceptions = [pe for pe in active if _is_routing(pe)]
        plan = plan_groups(services, uow, summary, groups, routing_exceptions)
        uow.save_summary(summary)
        uow.commit()
    return plan


def plan_routed(
    services: Services, key: str, routed: Mapping[str, tuple[EngineOrder, PreviewAnswer]]
) -> Plan:
    """Step 1 with routes chosen elsewhere (a wave), per group: ``(the order routed, its
    answer)``. A group whose units available to fulfill are still that order gets its Draft
    FOs and its routing attempt, as :func:`route_summary` records them; a group that moved
    meanwhile is left for routing on its own."""
    with services.uow() as uow:
        summary = uow.summary(key)
        if not summary.managed:
            raise NotManaged(f"order summary {summary.id} is unmanaged: omniroute never routes it")
        active = [pe for pe in uow.exceptions(summary_id=summary.id, limit=10_000) if pe.active]
        current = [
            group.id
            for group in summary.groups
            if group.id in routed and _engine_order(summary, group) == routed[group.id][0]
        ]

        def answer_of(group: DeliveryGroupSummary) -> PreviewAnswer | None:
            return routed[group.id][1]

        routing = [pe for pe in active if _is_routing(pe)]
        plan = plan_groups(services, uow, summary, current, routing, answer_of)
        uow.save_summary(summary)
        uow.commit()
    return plan


def engine_orders(summary: OrderSummary) -> dict[str, EngineOrder]:
    """What each group of a managed summary still has to route (groups a location rejected
    are left out: they route on their own, with their exclusions)."""
    found = {}
    for group in summary.groups:
        order = None if group.excluded_locations else _engine_order(summary, group)
        if order is not None:
            found[group.id] = order
    return found


def plan_groups(
    services: Services,
    uow: OrderUnitOfWork,
    summary: OrderSummary,
    groups: Collection[str] | None,
    routing_exceptions: list[ProcessException],
    answer_of: Callable[[DeliveryGroupSummary], PreviewAnswer | None] | None = None,
) -> Plan:
    """Plan ``summary``'s groups in ``uow`` (the caller saves and commits): Draft FOs on the
    summary, the routing attempts, exceptions of groups nothing can be planned for. Every
    stock read happens before the first write, so an inventory error leaves ``uow`` as it was.
    ``answer_of``: the routes chosen elsewhere (default: the engine's, group by group)."""
    config = services.config()
    answer_for = answer_of or (lambda group: _answer(services, config, summary, group))
    answers = [
        (group, answer_for(group))
        for group in summary.groups
        if groups is None or group.id in groups
    ]
    plan = Plan(summary.id)
    for group, answer in answers:
        if answer is None:
            _exceptions_for(uow, summary, group.id, routing_exceptions)
            continue
        drafts = [] if not answer.routes else _draft_fos(summary, group, answer.routes[0])
        uow.add_routing_attempt(
            summary.id,
            group.id,
            answer.rules_version,
            answer.status,
            [fo_id for fo_id, _ in drafts],
            _answer_document(answer),
        )
        if drafts:
            plan.groups.append(group.id)
            plan.drafts += drafts
            waiting = any(pe.attached_id == group.id for pe in routing_exceptions)
            if waiting or _units_left(summary, group.id):
                plan.complete = False
        else:
            _exceptions_for(uow, summary, group.id, routing_exceptions)
    return plan


def _answer(
    services: Services, config: ActiveConfig, summary: OrderSummary, group: DeliveryGroupSummary
) -> PreviewAnswer | None:
    """The engine's best route for what ``group`` still has to fulfil (None: nothing to route)."""
    order = _engine_order(summary, group)
    if order is None:
        return None
    return preview(
        order,
        network=config.network,
        rules=_excluding(config.rules.rules, group.excluded_locations),
        rules_version=config.rules.version,
        stock=services.inventory,
        now=services.now(),
        max_routes=1,
        explain="full",  # the record says, per excluded location, which fence excluded it
    )


def _engine_order(summary: OrderSummary, group: DeliveryGroupSummary) -> EngineOrder | None:
    lines = [
        OrderLine(id=i.line_id, sku=i.sku, quantity=i.quantity_available_to_fulfill)
        for i in summary.items_of(group.id)
        if i.quantity_available_to_fulfill > 0
    ]
    if not lines:
        return None
    if group.method == "pickup":
        if group.location_id is None or group.location_id in group.excluded_locations:
            return None  # a rejected pickup waits for a person (see the reject flow)
        delivery: Any = PickupDelivery(
            method="pickup",
            location_id=group.location_id,
            delivery_method_id=group.delivery_method_id,
        )
    else:
        if group.lat is None or group.lon is None:
            return None  # intake raised a process exception for it
        delivery = ShipDelivery(
            method="ship",
            lat=group.lat,
            lon=group.lon,
            country=group.country,
            delivery_method_id=group.delivery_method_id,
        )
    return EngineOrder(
        id=f"{summary.order_number}/{group.id}",
        channel=summary.channel,
        lines=tuple(lines),
        delivery=delivery,
    )


def _excluding(rules: Rules, locations: Sequence[str]) -> Rules:
    """``rules`` with ``locations`` added to every policy's ``exclude_locations``."""
    if not locations:
        return rules
    policies = tuple(
        p.model_copy(
            update={
                "sources": p.sources.model_copy(
                    update={
                        "exclude_locations": tuple(
                            dict.fromkeys((*p.sources.exclude_locations, *locations))
                        )
                    }
                )
            }
        )
        for p in rules.policies
    )
    return rules.model_copy(update={"policies": policies})


def _draft_fos(summary: OrderSummary, group: DeliveryGroupSummary, route: RouteOut) -> list[Draft]:
    drafts = []
    for planned in route.fulfillment_orders:
        fo_id = f"FO-{uuid.uuid4().hex[:20]}"
        lines = [(line["line_id"], line["quantity"]) for line in planned.lines]
        summary.add_fulfillment_order(
            fo_id=fo_id,
            group_id=group.id,
            location_id=planned.location_id,
            fulfillment_type=planned.fulfillment_type,
            lines=lines,
            reservation_id=fo_id,
        )
        reserve = [
            ReservationLine(planned.location_id, line["sku"], line["quantity"])
            for line in planned.lines
        ]
        drafts.append((fo_id, reserve))
    return drafts


def _activate_all(
    services: Services,
    plan: Plan,
    results: Sequence[Reservation | InventoryError],
    outcome: RouteOutcome,
) -> bool:
    """The common case of step 3: a complete plan whose reservations all held. Activating
    Drafts moves no quantity, so it needs no summary load (the status guard of the update is
    the Draft → Allocated rule). False: take the general path."""
    if not plan.complete or any(isinstance(r, InventoryError) for r in results):
        return False
    fo_ids = [fo_id for fo_id, _ in plan.drafts]
    with services.uow() as uow:
        if uow.activate_drafts(plan.summary_id, fo_ids) != len(fo_ids):
            return False  # reconciliation touched one meanwhile: roll back, go the long way
        uow.commit()
    outcome.fulfillment_order_ids += fo_ids
    return True


def _settle(
    services: Services,
    plan: Plan,
    results: Sequence[Reservation | InventoryError],
    outcome: RouteOutcome,
    *,
    last: bool,
) -> bool:
    """Step 3, one transaction: activate what was reserved, cancel what was refused, settle
    the planned groups' routing exceptions. True: a reservation lost a race for stock."""
    lost = False
    with services.uow() as uow:
        summary = uow.summary(plan.summary_id)
        for (fo_id, _), result in zip(plan.drafts, results, strict=True):
            if summary.fulfillment_order(fo_id).status != "Draft":
                continue  # reconciliation got there first
            if isinstance(result, InventoryError):
                lost = lost or isinstance(result, InsufficientStock)
                summary.release_open(fo_id, "Canceled", f"reservation refused: {result}"[:255])
            else:
                summary.set_status(fo_id, "Allocated")
                outcome.fulfillment_order_ids.append(fo_id)
        if not lost or last:  # otherwise the next plan settles them
            routing_exceptions = _routing_exceptions(uow, summary.id)
            for group_id in plan.groups:
                _exceptions_for(uow, summary, group_id, routing_exceptions)
        for group_id in plan.groups:
            left = _units_left(summary, group_id)
            if left:
                outcome.unfilled[group_id] = left
            else:
                outcome.unfilled.pop(group_id, None)
        uow.save_summary(summary)
        uow.commit()
    return lost


def _units_left(summary: OrderSummary, group_id: str) -> int:
    return sum(i.quantity_available_to_fulfill for i in summary.items_of(group_id))


def _routing_exceptions(uow: OrderUnitOfWork, summary_id: str) -> list[ProcessException]:
    found = uow.exceptions(summary_id=summary_id, category="routing", limit=10_000)
    return [pe for pe in found if pe.active and _is_routing(pe)]


def _is_routing(pe: ProcessException) -> bool:
    return pe.category == "routing" and pe.attached_kind == "delivery_group"


def _exceptions_for(
    uow: OrderUnitOfWork, summary: OrderSummary, group_id: str, open_ones: list[ProcessException]
) -> None:
    """One active routing exception per group while units are left; resolved once none are."""
    left = _units_left(summary, group_id)
    mine = [pe for pe in open_ones if pe.attached_id == group_id and pe.active]
    if left and not mine:
        pe = new_exception(
            id=f"PE-{uuid.uuid4().hex[:20]}",
            order_summary_id=summary.id,
            category="routing",
            message=f"delivery group {group_id}: {left} unit(s) could not be routed",
            description="no eligible location holds usable stock for these units; "
            "route again once stock arrives (POST /v1/order-summaries/{id}/route)",
            attached=("delivery_group", group_id),
            now=uow.now,
        )
        uow.add_exception(pe)
        open_ones.append(pe)
    if not left:
        for pe in mine:
            pe.move_to("resolved", uow.now, note="routed by a later attempt")
            uow.save_exception(pe)


def _answer_document(answer: PreviewAnswer) -> dict[str, Any]:
    return answer.model_dump(mode="json")
