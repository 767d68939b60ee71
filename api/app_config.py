"""Config endpoints: ``PUT /v1/config`` (network + rules [+ inventory] as one step) and
``GET /v1/config`` (what is active, and the history of configs).

Handlers only translate: the body into :class:`flows.config.ConfigParts`, the result into the
response models below (shared with ``omniroute config``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from access.scopes import Scope
from api.app_inventory import services_of
from api.auth import actor_of, requires
from api.schemas import LoadOut
from engine.network import Network
from flows import config
from flows.active import ActiveConfig
from flows.config import AppliedConfig, ConfigParts, RulesText
from flows.db import ConfigRecord, config_version
from flows.errors import InvalidDocument, Issue
from rules.loader import LoadedRules

router = APIRouter(dependencies=[requires(Scope.ops)])

PARTS = ("network", "rules", "inventory")
SOURCE = "PUT /v1/config"


class ConfigIn(BaseModel):
    """The body of ``PUT /v1/config`` (documentation: the handler checks it itself, so that
    every error names its part the same way the parts' own checks do)."""

    model_config = ConfigDict(extra="forbid")
    network: dict[str, Any] = Field(description="the network document, as PUT /v1/network takes")
    rules: dict[str, Any] | str = Field(
        description="the rules: a JSON object, or the text of a YAML or JSON rules file"
    )
    inventory: list[dict[str, Any]] | str | None = Field(
        None,
        description="optional full sync, as PUT /v1/inventory: a JSON list of records or CSV "
        "text; every (location, SKU) it does not name has no stock afterwards. Left out: the "
        "stock stays as it is",
    )


class ConfigNetworkOut(BaseModel):
    version: str
    locations: int
    location_groups: int
    delivery_methods: int
    group_ids: list[str]

    @classmethod
    def of(cls, version: str, network: Network) -> ConfigNetworkOut:
        return cls(
            version=version,
            locations=len(network.locations),
            location_groups=len(network.location_groups),
            delivery_methods=len(network.delivery_methods),
            group_ids=[group.id for group in network.location_groups],
        )


class ConfigRulesOut(BaseModel):
    version: str
    source: str

    @classmethod
    def of(cls, rules: LoadedRules) -> ConfigRulesOut:
        return cls(version=rules.version, source=rules.source)


class ConfigEntryOut(BaseModel):
    version: str
    network_version: str
    rules_version: str
    change: str = Field(description="config, network, rules, or initial (seeded at a start)")
    applied_at: datetime
    activated_by: str | None = Field(
        description="who switched to it: the API key's name, cli:<user> (omniroute config "
        "apply), or null for a config seeded at a start"
    )

    @classmethod
    def of(cls, record: ConfigRecord) -> ConfigEntryOut:
        return cls(
            version=record.version,
            network_version=record.network_sha,
            rules_version=record.rules_version,
            change=record.change,
            applied_at=record.applied_at,
            activated_by=record.activated_by,
        )


class ConfigOut(BaseModel):
    """The config this worker routes with, and the history in the database (latest first).
    Another worker's change reaches this one within ``OMNIROUTE_REFRESH_SECONDS``: until
    then ``history[0]`` may be newer than ``version``."""

    version: str
    applied_at: datetime | None
    network: ConfigNetworkOut
    rules: ConfigRulesOut
    history: list[ConfigEntryOut]

    @classmethod
    def of(cls, active: ActiveConfig, history: list[ConfigRecord]) -> ConfigOut:
        version = config_version(active.network_version, active.rules.version)
        applied = next((r.applied_at for r in history if r.version == version), None)
        return cls(
            version=version,
            applied_at=applied,
            network=ConfigNetworkOut.of(active.network_version, active.network),
            rules=ConfigRulesOut.of(active.rules),
            history=[ConfigEntryOut.of(record) for record in history],
        )


class ConfigAppliedOut(BaseModel):
    """What ``PUT /v1/config`` did. ``changed`` is false when that config was already active
    (nothing new in the history); ``inventory`` is the full sync's result, if one was asked."""

    version: str
    changed: bool
    applied_at: datetime
    network: ConfigNetworkOut
    rules: ConfigRulesOut
    inventory: LoadOut | None

    @classmethod
    def of(cls, applied: AppliedConfig) -> ConfigAppliedOut:
        synced = applied.inventory
        return cls(
            version=applied.record.version,
            changed=applied.changed,
            applied_at=applied.record.applied_at,
            network=ConfigNetworkOut.of(applied.record.network_sha, applied.network),
            rules=ConfigRulesOut.of(applied.rules),
            inventory=None if synced is None else LoadOut.of("full_sync", synced),
        )


@router.get("/v1/config", response_model=ConfigOut)
def get_config(request: Request) -> ConfigOut:
    services = services_of(request)
    return ConfigOut.of(services.config(), config.history(services))


@router.put(
    "/v1/config",
    response_model=ConfigAppliedOut,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": ConfigIn.model_json_schema()}},
            "required": True,
        }
    },
)
async def put_config(request: Request) -> ConfigAppliedOut:
    """Switch the network and the rules together (and, if given, sync the inventory): every
    part is validated first, against each other; any problem answers 422 naming
    ``network.…``, ``rules.…`` or ``inventory[i].…`` and changes nothing."""
    parts = parts_from_body(await request.body())
    # Validation, a full sync and the switch take a while for big inputs: off the event loop.
    applied = await run_in_threadpool(
        config.apply_config, services_of(request), parts, actor_of(request)
    )
    return ConfigAppliedOut.of(applied)


def parts_from_body(raw: bytes) -> ConfigParts:
    """The body's parts, or InvalidDocument("config") naming what is missing or misplaced."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidDocument("config", [Issue("body", f"not valid JSON: {exc}")]) from None
    if not isinstance(body, dict):
        expected = "expected a JSON object with network, rules and optionally inventory"
        raise InvalidDocument("config", [Issue("body", expected)])
    issues = [
        Issue(str(key), f"unknown field; expected one of {', '.join(PARTS)}")
        for key in body
        if key not in PARTS
    ]
    issues += [Issue(part, "field required") for part in ("network", "rules") if part not in body]
    rules = body.get("rules")
    if isinstance(rules, dict):
        rules_text = RulesText(json.dumps(rules), "json", SOURCE)
    elif isinstance(rules, str):
        rules_text = RulesText(rules, "auto", SOURCE)
    else:
        rules_text = RulesText("", "auto", SOURCE)
        if "rules" in body:
            got = type(rules).__name__
            issues.append(Issue("rules", f"expected a rules object or YAML/JSON text, got {got}"))
    inventory = body.get("inventory")
    if inventory is not None and not isinstance(inventory, list | str):
        got = type(inventory).__name__
        issues.append(Issue("inventory", f"expected a JSON list of records or CSV text, got {got}"))
    if issues:
        raise InvalidDocument("config", issues)
    return ConfigParts(body["network"], rules_text, inventory)
