"""What the routing page computes from its forms, over the same code the API and CLI run:
a draft rules file checked as ``omniroute rules validate --network <active>`` checks it, an
order read as ``POST /v1/routes/preview`` reads its body, and the line diff of two stored
rules versions."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass

from pydantic import ValidationError

from engine.order import Order
from flows.bootstrap import Services
from flows.config import RulesFormat
from flows.routing import RefusedAlone, check_rules
from rules import messages
from rules.documents import ParsedDocument, parse_document
from rules.errors import DocumentError, InvalidRules, Issue

FORMATS: tuple[RulesFormat, ...] = ("auto", "yaml", "json")
DRAFT_SOURCE = "draft"  # the "file" an issue names
CONSOLE_SOURCE = "console"  # the source recorded with rules activated from the console
_TAGS = ("ship", "pickup")  # the delivery union's tags, noise in a field path


def rules_format(value: str | None) -> RulesFormat:
    return value if value in ("yaml", "json") else "auto"  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class DraftCheck:
    """A draft rules file and what checking it found: its issues, or its version if valid.
    ``note`` adds what the issues alone do not say (why an activation was refused)."""

    text: str
    fmt: RulesFormat
    issues: tuple[Issue, ...] = ()
    version: str | None = None
    note: str | None = None

    @property
    def valid(self) -> bool:
        return not self.issues and self.version is not None


def check_draft(services: Services, text: str, fmt: RulesFormat) -> DraftCheck:
    """Validate ``text`` against the active network; nothing is stored or activated."""
    try:
        loaded = check_rules(services, text, fmt=fmt, source=DRAFT_SOURCE)
    except InvalidRules as exc:
        return DraftCheck(text, fmt, exc.issues)
    return DraftCheck(text, fmt, version=loaded.version)


def refused(text: str, fmt: RulesFormat, exc: InvalidRules) -> DraftCheck:
    """An activation refused by ``flows.routing.activate_rules``: its issues, and the hint
    its message ends with when the rules would fit another network."""
    note = str(exc).splitlines()[-1] if isinstance(exc, RefusedAlone) else None
    return DraftCheck(text, fmt, exc.issues, note=note)


@dataclass(frozen=True, slots=True)
class OrderIssue:
    field: str
    message: str
    line: int | None = None


class BadOrder(Exception):
    def __init__(self, issues: list[OrderIssue]) -> None:
        super().__init__("; ".join(f"{i.field}: {i.message}" for i in issues))
        self.issues = issues


def parse_order(text: str) -> Order:
    """The order in ``text``, validated as the preview endpoint validates its body; BadOrder
    listing every problem (with its line when the JSON gives one) otherwise."""
    try:
        return Order.model_validate_json(text)
    except ValidationError as exc:
        raise BadOrder(_order_issues(exc, text)) from None


def _order_issues(exc: ValidationError, text: str) -> list[OrderIssue]:
    items = exc.errors(include_url=False)
    invalid_json = next((item for item in items if item["type"] == "json_invalid"), None)
    if invalid_json is not None:
        try:
            json.loads(text)
        except json.JSONDecodeError as err:
            message = f"invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}"
            return [OrderIssue("order", message, err.lineno)]
        return [OrderIssue("order", str(invalid_json["msg"]))]
    try:
        document = parse_document(text, source="order", fmt="json")  # for the line numbers
    except DocumentError:
        document = ParsedDocument(json.loads(text))
    issues = []
    for loc, message in messages.issues_from(exc, Order, document.data):
        path = tuple(part for part in loc if part not in _TAGS)
        field = messages.format_path(path) or "order"
        issues.append(OrderIssue(field, message, document.line_of(path)))
    return issues


def sample_order(services: Services) -> str:
    """A starting point for the playground: one line shipped to the middle of the network."""
    locations = services.config().network.locations
    lat = sum(loc.lat for loc in locations) / len(locations) if locations else 40.71
    lon = sum(loc.lon for loc in locations) / len(locations) if locations else -74.01
    order = {
        "id": "PREVIEW-1",
        "channel": "web",
        "lines": [{"id": "1", "sku": "SKU-1", "quantity": 1}],
        "delivery": {"method": "ship", "lat": round(lat, 2), "lon": round(lon, 2)},
    }
    return json.dumps(order, indent=2)


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # "add", "del", "hunk", "head" or "same"
    text: str


@dataclass(frozen=True, slots=True)
class Comparison:
    a: str
    b: str
    lines: list[DiffLine]
    error: str | None = None


def compare(services: Services, a: str, b: str) -> Comparison:
    """The unified line diff from rules version ``a`` to ``b`` (their stored texts)."""
    first = services.store.get_rules_version(a)
    second = services.store.get_rules_version(b)
    missing = [v for v, stored in ((a, first), (b, second)) if stored is None]
    if first is None or second is None:
        return Comparison(a, b, [], f"no rules version {', '.join(missing)}")
    diff = difflib.unified_diff(
        first[0].splitlines(),
        second[0].splitlines(),
        fromfile=f"A {a[:12]} ({first[2]})",
        tofile=f"B {b[:12]} ({second[2]})",
        lineterm="",
    )
    return Comparison(a, b, [DiffLine(_kind(line), line) for line in diff])


def _kind(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "head"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    return "same"
