"""Use case: switch the network and the rules together, optionally with a full inventory sync.

Changing the network alone is refused while the active rules name a group it lacks, and
changing the rules alone while they name a group the active network lacks; a config change
takes both (and the stock that goes with them) as one step:

1. **Validate every part first**, collecting every problem with its part as the prefix
   (``network.locations[3].lat``, ``rules.policies[0].sources.location_group``,
   ``inventory[12].on_hand``): the network document; the rules against THAT network; the
   inventory records, each at a location of that network. Any problem: nothing changes.
2. **The inventory full sync**, if one was given. It comes before the switch because it is the
   step that can still fail (Redis or the database away, a cache rebuild running): failing
   there changes nothing at all, since the sync itself is all-or-nothing and the config has not
   moved. It cannot share the switch's SQL transaction (the record's rebuild runs its own,
   and the cache build happens beside it).
3. **The switch**: network and rules stored and both made active in ONE transaction
   (:meth:`flows.db.DocumentStore.switch_config`), with the history row, so no worker ever
   sees the new network with the old rules.

The remaining window: the sync succeeded and the switch then failed (the database went away
between the two). The stock is then the new one under the old config until the same request
is made again (it is idempotent: the same body syncs the same stock and switches to the same
version); :class:`ConfigNotSwitched` says so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.exc import DBAPIError

from engine.network import Network
from flows.active import ActiveConfig
from flows.bootstrap import Services
from flows.db import ConfigRecord
from flows.documents import network_from_document
from flows.errors import FlowError, InvalidDocument, Issue
from inventory.errors import InvalidInventory
from inventory.model import InventoryRecord, StockWriteResult
from inventory.records import parse_csv, parse_json
from rules.errors import InvalidRules
from rules.loader import LoadedRules, NetworkRefs, parse_rules

RulesFormat = Literal["yaml", "json", "auto"]
HISTORY_LIMIT = 50  # configs GET /v1/config lists; the table keeps every one
MAX_LOCATION_ISSUES = 20  # like the inventory parser: enough to fix a file in a few passes


@dataclass(frozen=True, slots=True)
class RulesText:
    """A rules file as given: its text, format and where it came from (stored with it)."""

    text: str | bytes
    fmt: RulesFormat
    source: str


@dataclass(frozen=True, slots=True)
class ConfigParts:
    """What a config change asks for. ``network`` is a decoded document (JSON object);
    ``inventory`` is a decoded JSON list of records, CSV text, or None to leave stock alone."""

    network: object
    rules: RulesText
    inventory: Sequence[object] | str | None = None


@dataclass(frozen=True, slots=True)
class ValidConfig:
    network: Network
    rules: LoadedRules
    records: list[InventoryRecord] | None


@dataclass(frozen=True, slots=True)
class AppliedConfig:
    """The config now active; ``changed`` is False when it already was (nothing recorded)."""

    record: ConfigRecord
    changed: bool
    network: Network
    rules: LoadedRules
    inventory: StockWriteResult | None


class ConfigNotSwitched(FlowError):
    """The database refused the switch after validation passed (it went away). The previous
    config is still active; ``inventory_synced`` says whether the stock already moved."""

    def __init__(self, cause: Exception, inventory: StockWriteResult | None) -> None:
        self.inventory_synced = inventory is not None
        reason = " ".join(str(getattr(cause, "orig", None) or cause).split())
        head = f"the network and rules were not switched (database: {reason}); "
        if inventory is None:
            tail = "the previous config stays active and nothing changed; try again"
        else:
            tail = (
                f"the inventory WAS synced ({inventory.written} records) and the previous "
                "network and rules stay active: send the same config again to finish"
            )
        super().__init__(head + tail)


def validate_config(parts: ConfigParts) -> ValidConfig:
    """Every part checked, the rules against the new network and the stock's locations too;
    InvalidDocument("config") listing every problem, each field prefixed with its part."""
    issues: list[Issue] = []
    network: Network | None = None
    try:
        network = network_from_document(parts.network)
    except InvalidDocument as exc:
        issues += [Issue(_under("network", i.field), i.message) for i in exc.issues]
    # Without a valid network the rules are still checked on their own (syntax, fields,
    # values), so one round trip reports everything that can be known.
    known = None if network is None else NetworkRefs.from_network(network)
    rules: LoadedRules | None = None
    try:
        rules = parse_rules(
            parts.rules.text, source=parts.rules.source, fmt=parts.rules.fmt, known=known
        )
    except InvalidRules as exc:
        for issue in exc.issues:
            line = f" (line {issue.line})" if issue.line is not None and issue.path else ""
            issues.append(Issue(_under("rules", issue.path), issue.message + line))
    records: list[InventoryRecord] | None = None
    if parts.inventory is not None:
        try:
            records = _records(parts.inventory)
        except InvalidInventory as exc:
            issues += [Issue(_inventory_field(p.where, p.field), p.problem) for p in exc.problems]
        if records is not None and network is not None:
            issues += _unknown_locations(records, network, parts.inventory)
    if issues:
        raise InvalidDocument("config", issues)
    assert network is not None and rules is not None
    return ValidConfig(network, rules, records)


def apply_config(services: Services, parts: ConfigParts, actor: str | None = None) -> AppliedConfig:
    """Validate every part, sync the inventory if given, then switch network and rules in
    one transaction (the order and its one failure window: see the module docstring).
    ``actor`` (an API key's name, ``cli:<user>``) is recorded in the config history."""
    valid = validate_config(parts)
    inventory = None
    if valid.records is not None:
        # Straight to the inventory: flows.stock.sync_records checks locations against the
        # ACTIVE network, and these were checked against the new one above.
        inventory = services.inventory.sync(valid.records)
    stored_fmt = "json" if parts.rules.fmt == "json" else "yaml"
    rules = (valid.rules.text, stored_fmt, valid.rules.source, valid.rules.version)
    try:
        record, changed = services.store.switch_config(
            network=valid.network.model_dump(mode="json"),
            rules=rules,
            change="config",
            actor=actor,
        )
    except DBAPIError as exc:
        raise ConfigNotSwitched(exc, inventory) from exc
    services.active.publish(ActiveConfig(valid.network, record.network_sha, valid.rules))
    return AppliedConfig(record, changed, valid.network, valid.rules, inventory)


def history(services: Services, limit: int = HISTORY_LIMIT) -> list[ConfigRecord]:
    """The last ``limit`` configs, latest (the active one in the database) first."""
    return services.store.config_history(limit)


def _under(part: str, field: str) -> str:
    if not field:
        return part
    return part + field if field.startswith("[") else f"{part}.{field}"


def _records(inventory: Sequence[object] | str) -> list[InventoryRecord]:
    if isinstance(inventory, str):
        return parse_csv(inventory)
    return parse_json(list(inventory))


def _inventory_field(where: str, field: str) -> str:
    """``[12]`` + ``on_hand`` → ``inventory[12].on_hand``; a CSV ``row 3`` →
    ``inventory row 3.on_hand``; the parser's ``<…>`` placeholders name no field."""
    if where.startswith("<"):
        head = "inventory"
    elif where.startswith("["):
        head = "inventory" + where
    else:
        head = f"inventory {where}"
    return head if not field or field.startswith("<") else f"{head}.{field}"


def _unknown_locations(
    records: Sequence[InventoryRecord], network: Network, given: Sequence[object] | str
) -> list[Issue]:
    # Records come back in input order, one per JSON item or non-blank CSV row.
    wheres = (
        [f"row {n}" for n in _csv_rows(given)]
        if isinstance(given, str)
        else [f"[{i}]" for i in range(len(records))]
    )
    issues = [
        Issue(
            _inventory_field(where, "location_id"),
            f"unknown location {record.location_id!r} (not in the new network)",
        )
        for where, record in zip(wheres, records, strict=True)
        if record.location_id not in network.index
    ]
    return issues[:MAX_LOCATION_ISSUES]


def _csv_rows(text: str) -> list[int]:
    """Line numbers (header = 1) of the data rows, as ``inventory.records`` numbers them."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    next(reader, None)
    return [n for n, cells in enumerate(reader, start=2) if any(c.strip() for c in cells)]
