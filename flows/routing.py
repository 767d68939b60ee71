"""Use cases of the routing core: preview, and replacing the network or the rules.

Each function takes its collaborators (``Services``) and plain inputs; the HTTP and CLI
edges only translate requests into these calls and errors into responses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Literal, TypedDict

from engine.answer import PreviewAnswer
from engine.network import Network
from engine.order import Order
from engine.preview import StockReader, preview, preview_many
from flows.active import ActiveConfig
from flows.bootstrap import Services
from flows.config import RulesFormat
from flows.documents import network_from_document
from rules.errors import InvalidRules, Issue
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


def replace_network(services: Services, document: object, *, actor: str | None = None) -> Network:
    """Validate and activate a network; the active rules must still resolve against it.
    ``actor`` (an API key's name, ``cli:<user>``) is recorded in the config history."""
    network = network_from_document(document)
    config = services.config()
    try:
        check_references(config.rules.rules, NetworkRefs.from_network(network), config.rules.source)
    except InvalidRules as exc:
        hint = "the active rules name location groups or locations this network lacks"
        raise RefusedAlone(exc.issues, hint) from None
    record, _ = services.store.switch_config(
        network=network.model_dump(mode="json"), change="network", actor=actor
    )
    if record.rules_version == config.rules.version:
        services.active.publish(ActiveConfig(network, record.network_sha, config.rules))
    # else another worker changed the rules meanwhile: the next refresh loads both
    return network


def check_rules(
    services: Services, text: str | bytes, *, fmt: RulesFormat, source: str
) -> LoadedRules:
    """Rules checked against the active network, nothing stored or activated; InvalidRules
    with every problem at its line otherwise."""
    known = NetworkRefs.from_network(services.config().network)
    return parse_rules(text, source=source, fmt=fmt, known=known)


def activate_rules(
    services: Services,
    text: str | bytes,
    *,
    fmt: RulesFormat,
    source: str,
    actor: str | None = None,
) -> LoadedRules:
    """Validate rules against the active network, then make them the active rules.
    ``actor`` (an API key's name, ``cli:<user>``) is recorded in the config history."""
    config = services.config()
    try:
        loaded = parse_rules(
            text, source=source, fmt=fmt, known=NetworkRefs.from_network(config.network)
        )
    except InvalidRules as exc:
        if not _valid_alone(text, source, fmt):
            raise  # wrong on their own: changing the network too would not help
        hint = "the rules name location groups or locations the active network lacks"
        raise RefusedAlone(exc.issues, hint) from None
    stored_fmt = "json" if fmt == "json" else "yaml"
    record, _ = services.store.switch_config(
        rules=(loaded.text, stored_fmt, source, loaded.version), change="rules", actor=actor
    )
    if record.network_sha == config.network_version:
        services.active.publish(ActiveConfig(config.network, config.network_version, loaded))
    return loaded


CHANGE_BOTH = (
    "to change the network and the rules together, PUT /v1/config with both "
    "(or run omniroute config apply --network FILE --rules FILE)"
)


class RefusedAlone(InvalidRules):
    """A network or rules change refused because the two would no longer fit each other;
    the message ends by saying how to change both at once."""

    def __init__(self, issues: Iterable[Issue], reason: str) -> None:
        super().__init__(issues)
        self.args = (f"{self.args[0]}\n{reason}; {CHANGE_BOTH}",)


def _valid_alone(text: str | bytes, source: str, fmt: RulesFormat) -> bool:
    """Whether the rules pass every check but the network references (a second parse, only
    on the error path)."""
    try:
        parse_rules(text, source=source, fmt=fmt)
    except InvalidRules:
        return False
    return True
