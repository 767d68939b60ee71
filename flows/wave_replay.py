"""Rules replay over the service's own network and stock: one wave of orders routed under the
active rules (A) and under other rules (B), compared by :mod:`engine.wave.replay`. What
``omniroute replay`` does from files, for the console; read-only (nothing is reserved,
nothing activated).

Rules B are either a rules text (checked against the active network, as activating it would
be) or a version stored earlier (every version ever activated is kept). Both sides read the
stock once: the same snapshot, so a change to the stock meanwhile cannot pass for a change
of rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from engine.order import Order
from engine.preview import IntArray, StockReader
from engine.wave.exact import WaveParams
from engine.wave.model import WavePlan, WaveProblem
from engine.wave.replay import compare, replay_side
from engine.wave.strategies import plan_wave
from flows.bootstrap import Services
from flows.config import RulesFormat
from flows.order_records import NotFound
from flows.routing import check_rules
from rules.loader import LoadedRules


class StockSnapshot:
    """A stock reader that reads its source once per set of SKUs and locations and then
    answers from memory: both sides of a replay see the same stock."""

    def __init__(self, source: StockReader) -> None:
        self._source = source
        self._read: dict[tuple[tuple[str, ...], tuple[str, ...]], IntArray] = {}

    def atf_matrix(self, skus: Sequence[str], location_ids: Sequence[str]) -> IntArray:
        key = (tuple(skus), tuple(location_ids))
        if key not in self._read:
            self._read[key] = self._source.atf_matrix(skus, location_ids)
        return self._read[key].copy()


def stored_rules(services: Services, version: str) -> LoadedRules:
    """A rules version stored earlier, checked against the active network (the network may
    have changed since: InvalidRules then); :class:`NotFound` for an unknown version."""
    stored = services.store.get_rules_version(version)
    if stored is None:
        raise NotFound("rules version", version)
    text, stored_fmt, _, _ = stored
    fmt: RulesFormat = "json" if stored_fmt == "json" else "yaml"
    return check_rules(services, text, fmt=fmt, source=f"rules {version[:12]}")


def rules_history(services: Services) -> list[tuple[str, datetime]]:
    """Every rules version ever activated, newest first, with when it was first stored."""
    return services.store.rules_history()[::-1]


def replay(
    services: Services,
    orders: Sequence[Order],
    rules_b: LoadedRules,
    *,
    strategy: str,
    params: WaveParams,
    names: tuple[str, str],
) -> dict[str, Any]:
    """The replay document (:func:`engine.wave.replay.compare`) of the active rules (A,
    called ``names[0]``) against ``rules_b`` (``names[1]``) over ``orders`` (checked as a
    wave job's are), both planned with ``strategy`` over the active network and one read of
    the current stock."""
    config = services.config()
    stock = StockSnapshot(services.inventory)
    now = services.now()

    def plan(problem: WaveProblem) -> WavePlan:
        return plan_wave(problem, strategy, params)

    sides = [
        replay_side(
            name,
            loaded.rules,
            loaded.version,
            orders,
            network=config.network,
            stock=stock,
            now=now,
            plan=plan,
        )
        for name, loaded in zip(names, (config.rules, rules_b), strict=True)
    ]
    return compare(sides[0], sides[1], config.network)
