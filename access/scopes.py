"""Permission sets. Each HTTP operation declares the scope it needs (``api.auth.requires``);
a key holds one or more. No scope implies another: ``admin`` manages keys and reads the audit
trail, nothing else, so a key that should do everything is given every scope."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from access.errors import InvalidKeyRequest


class Scope(StrEnum):
    checkout = "checkout"  # previews, availability, reservations
    orders = "orders"  # order intake and imports
    store = "store"  # Fulfillment Orders of the key's own locations
    agent = "agent"  # Order Summaries and service actions
    ops = "ops"  # rules, network, config, inventory loads, waves, replay, process exceptions
    admin = "admin"  # API keys and the audit trail


ALL_SCOPES = frozenset(Scope)
SCOPE_NAMES = ", ".join(scope.value for scope in Scope)


def parse_scopes(values: Iterable[str] | str) -> frozenset[Scope]:
    """Scopes from names (a comma-separated string or a list); at least one, all known."""
    names = values.split(",") if isinstance(values, str) else list(values)
    cleaned = [name.strip() for name in names if name.strip()]
    if not cleaned:
        raise InvalidKeyRequest("scopes", f"give at least one scope: {SCOPE_NAMES}")
    scopes: set[Scope] = set()
    for name in cleaned:
        try:
            scopes.add(Scope(name))
        except ValueError:
            raise InvalidKeyRequest(
                "scopes", f"unknown scope {name!r}: expected one of {SCOPE_NAMES}"
            ) from None
    return frozenset(scopes)
