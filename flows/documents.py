"""Parsing of the input documents (network, orders) with errors that name the field.

Pydantic reports a location as a tuple such as ``("locations", 3, "lat")``; people read
``locations[3].lat``. Every edge (HTTP, CLI) shows errors in that form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from engine.network import Network
from engine.order import Order


@dataclass(frozen=True, slots=True)
class Issue:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidDocument(ValueError):
    """A document failed validation; ``issues`` say which field and why."""

    def __init__(self, what: str, issues: Sequence[Issue]) -> None:
        self.what = what
        self.issues = tuple(issues)
        super().__init__(f"invalid {what}: " + "; ".join(str(i) for i in self.issues))


def field_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def issues_from(error: ValidationError, prefix: str = "") -> list[Issue]:
    issues = []
    for item in error.errors(include_url=False):
        # Discriminated unions add the tag ("ship"/"pickup") to the path; it is noise to a reader.
        loc = [p for p in item["loc"] if p not in ("ship", "pickup")]
        path = field_path([prefix, *loc] if prefix else loc)
        message = str(item["msg"])
        if item["type"] == "missing":
            message = "field required"
        elif item["type"] == "extra_forbidden":
            message = "unknown field"
        issues.append(Issue(path, message))
    return issues


def network_from_document(document: object) -> Network:
    try:
        return Network.model_validate(document)
    except ValidationError as exc:
        raise InvalidDocument("network", issues_from(exc)) from None


def order_from_document(document: object, prefix: str = "") -> Order:
    try:
        return Order.model_validate(document)
    except ValidationError as exc:
        raise InvalidDocument("order", issues_from(exc, prefix)) from None


def order_from_json(text: str | bytes, prefix: str = "") -> Order:
    try:
        return Order.model_validate_json(text)
    except ValidationError as exc:
        raise InvalidDocument("order", issues_from(exc, prefix)) from None


def read_document(path: str | Path) -> object:
    """Read a JSON or YAML file (by extension; YAML is a superset of JSON otherwise)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidDocument(str(path), [Issue("", f"cannot read file: {exc.strerror}")]) from None
    try:
        if file.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidDocument(str(path), [Issue("", f"not valid JSON/YAML: {exc}")]) from None


def read_orders_jsonl(path: str | Path) -> list[Order]:
    """Every order of a JSON Lines file, or InvalidDocument naming the first bad line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidDocument(str(path), [Issue("", f"cannot read file: {exc.strerror}")]) from None
    orders = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            orders.append(order_from_json(line))
        except InvalidDocument as exc:
            raise InvalidDocument(f"{path}:{number}", exc.issues) from None
    return orders
