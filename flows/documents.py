"""Parsing of the input documents (network, orders) with errors that name the field.

Pydantic reports a location as a tuple such as ``("locations", 3, "lat")``; people read
``locations[3].lat``. Every edge (HTTP, CLI) shows errors in that form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from engine.network import Network
from engine.order import Order
from flows.errors import InvalidDocument, Issue
from rules import messages
from rules.documents import load_document, read_text
from rules.messages import format_path


def field_path(loc: Iterable[int | str]) -> str:
    return format_path(tuple(loc))


def issues_from(
    error: ValidationError, model: type[BaseModel], data: object, prefix: str = ""
) -> list[Issue]:
    issues = []
    for loc, message in messages.issues_from(error, model, data):
        # Discriminated unions add the tag ("ship"/"pickup") to the path; it is noise to a reader.
        parts = [p for p in loc if p not in ("ship", "pickup")]
        issues.append(Issue(field_path([prefix, *parts] if prefix else parts), message))
    return issues


def network_from_document(document: object) -> Network:
    try:
        return Network.model_validate(document)
    except ValidationError as exc:
        raise InvalidDocument("network", issues_from(exc, Network, document)) from None


def order_from_document(document: object, prefix: str = "") -> Order:
    try:
        return Order.model_validate(document)
    except ValidationError as exc:
        raise InvalidDocument("order", issues_from(exc, Order, document, prefix)) from None


def read_document(path: str | Path) -> object:
    """Read a JSON or YAML file (by extension); ``rules.errors.DocumentError`` if it cannot."""
    return load_document(path)


def read_orders_jsonl(path: str | Path) -> list[Order]:
    """Every order of a JSON Lines file, or InvalidDocument naming the first bad line."""
    orders = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            orders.append(order_from_document(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InvalidDocument(
                f"{path}:{number}", [Issue("", f"not valid JSON: {exc}")]
            ) from None
        except InvalidDocument as exc:
            raise InvalidDocument(f"{path}:{number}", exc.issues) from None
    return orders
