"""Order sources: the HTTP body, Shopify's webhook and JSON Lines imports, each parsed into
the intake document and handed to :func:`flows.order_intake.place_order`, then routed."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from flows.bootstrap import Services
from flows.errors import FlowError, InvalidDocument, Issue
from flows.order_intake import Placed, parse_order, place_order
from flows.order_routing import carry_out, route_summary
from flows.shopify import order_document_from_shopify, verify_webhook
from inventory.errors import InventoryError

log = logging.getLogger(__name__)


class BadSignature(FlowError):
    """A webhook whose signature does not verify (HTTP 401); nothing is stored."""


@dataclass(frozen=True, slots=True)
class Intake:
    placed: Placed
    routed: bool


def json_document(raw: bytes, what: str = "order") -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:  # bad UTF-8 or JSON, huge or deep numbers
        raise InvalidDocument(what, [Issue("body", f"not valid JSON: {error}")]) from None


def take_order(services: Services, document: Any, body: str) -> Intake:
    """Record an order document (``body``: exactly as received), then route it if it is
    new and managed. A routing failure does not undo the intake: the order is recorded, and
    routing runs again on demand or at the next reconciliation."""
    order = parse_order(document)
    placed = place_order(services, order, body)
    routed = False
    if placed.created and order.lifecycle == "managed":
        try:
            if placed.plan is not None:
                carry_out(services, placed.plan, automatic=True)
            else:
                route_summary(services, placed.summary_id, automatic=True)
            routed = True
        except (InventoryError, FlowError, SQLAlchemyError) as error:
            log.warning("order %s recorded but not routed yet: %s", order.order_number, error)
    return Intake(placed, routed)


def take_shopify_order(
    services: Services, raw: bytes, signature: str | None, *, gateway: str = "test"
) -> Intake:
    secret = services.settings.shopify_webhook_secret
    if not secret:
        raise BadSignature(
            "no Shopify webhook secret is configured (OMNIROUTE_SHOPIFY_WEBHOOK_SECRET)"
        )
    if not verify_webhook(raw, signature, secret):
        raise BadSignature("X-Shopify-Hmac-Sha256 is missing or does not match the body")
    payload = json_document(raw, "shopify_order")
    if not isinstance(payload, dict):
        raise InvalidDocument("shopify_order", [Issue("body", "expected a JSON object")])
    document = order_document_from_shopify(payload, gateway=gateway)
    return take_order(services, document, raw.decode("utf-8"))
