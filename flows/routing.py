"""Use cases of the routing core: preview, and replacing the network or the rules.

Each function takes its collaborators (``Services``) and plain inputs; the HTTP and CLI
edges only translate requests into these calls and errors into responses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal, TypedDict

from engine.answer import PreviewAnswer
from engine.network import Network
from engine.order import Order
from engine.preview import StockReader, preview, preview_many
from flows.active import ActiveConfig
from flows.bootstrap import Services
from flows.documents import network_from_document
from rules.loader import LoadedRules, NetworkRefs, check_references, parse_rules
from rules.schema import Rules

Explain = Literal["relevant", "full"]


def preview_order(
    services: Services, order: Order, *, max_routes: int = 3, explain: Explain = "relevant"
) -> PreviewAnswer:
    """The route preview of one order under the active network and rules; read-only."""
    return preview(order, **_context(services), max_routes=max_routes, explain=explain)


def preview_orders(
    services: Services,
    orders: Sequence[Order],
    *,
    max_routes: int = 3,
    explain: Explain = "relevant",
) -> list[PreviewAnswer]:
    """Previews of many orders with one stock read; an error names ``orders[i]``."""
    return preview_many(orders, **_context(services), max_routes=max_routes, explain=explain)


def _context(services: Services) -> _PreviewContext:
    config = services.config()
    return {
        "network": config.network,
        "rules": config.rules.rules,
        "rules_version": config.rules.version,
        "stock": services.inventory,
        "now": datetime.fromtimestamp(services.clock(), tz=UTC),
    }


class _PreviewContext(TypedDict):
    network: Network
    rules: Rules
    rules_version: str
    stock: StockReader
    now: datetime


def replace_network(services: Services, document: object) -> Network:
    """Validate and activate a network; the active rules must still resolve against it."""
    network = network_from_document(document)
    config = services.config()
    check_references(config.rules.rules, NetworkRefs.from_network(network), config.rules.source)
    version = services.store.put_network(network.model_dump(mode="json"))
    services.active.publish(ActiveConfig(network, version, config.rules))
    return network


def activate_rules(
    services: Services, text: str | bytes, *, fmt: Literal["yaml", "json", "auto"], source: str
) -> LoadedRules:
    """Validate rules against the active network, then make them the active rules."""
    config = services.config()
    loaded = parse_rules(
        text, source=source, fmt=fmt, known=NetworkRefs.from_network(config.network)
    )
    stored_fmt = "json" if fmt == "json" else "yaml"
    services.store.activate_rules(loaded.text, stored_fmt, source, loaded.version)
    services.active.publish(ActiveConfig(config.network, config.network_version, loaded))
    return loaded
