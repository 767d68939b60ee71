"""Network + rules switched as one (``DocumentStore.switch_config``), the config history, and
workers' caches seeing a switch as one change. On a SQLite file and on PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from flows.active import ActiveConfigCache
from flows.db import ConfigRecord, DocumentStore, StoredRules, config_version, make_engine
from rules.loader import parse_rules

NETWORK_A: dict[str, Any] = {
    "locations": [{"id": "DC01", "type": "warehouse", "lat": 40.1, "lon": -75.2}],
    "location_groups": [{"id": "ONLINE", "location_ids": ["DC01"]}],
}
NETWORK_B: dict[str, Any] = {
    "locations": [{"id": "NJ1", "type": "warehouse", "lat": 40.7, "lon": -74.2}],
    "location_groups": [{"id": "EAST", "location_ids": ["NJ1"]}],
}
NETWORK_C: dict[str, Any] = {
    "locations": [{"id": "CA1", "type": "warehouse", "lat": 34.0, "lon": -118.2}],
    "location_groups": [{"id": "WEST", "location_ids": ["CA1"]}],
}


def rules_for(group: str) -> StoredRules:
    policy = f"  - name: {group.lower()}\n    sources: {{location_group: {group}}}\n"
    text = "version: 1\npolicies:\n" + policy
    loaded = parse_rules(text, source=f"{group}.yaml", fmt="yaml")
    return (loaded.text, "yaml", loaded.source, loaded.version)


RULES_A, RULES_B, RULES_C = rules_for("ONLINE"), rules_for("EAST"), rules_for("WEST")


class Ticks:
    """A clock that moves one second per reading, so every write has its own time."""

    def __init__(self) -> None:
        self._times = (
            datetime(2026, 12, 1, tzinfo=UTC) + timedelta(seconds=i) for i in itertools.count()
        )

    def __call__(self) -> datetime:
        return next(self._times)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'omniroute.db'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> DocumentStore:
    """A store holding network A and rules A, seeded the way a first start does (no history)."""
    store = DocumentStore(engine, now=Ticks())
    store.put_network(NETWORK_A)
    store.activate_rules(*RULES_A)
    return store


def versions(store: DocumentStore) -> tuple[str | None, str | None]:
    return store.active_versions()


def test_both_parts_switch_in_one_step_and_the_history_records_the_seeded_config_first(
    store: DocumentStore,
) -> None:
    seeded = versions(store)
    assert len(store.config_history()) == 1  # the seeded config, made up until recorded

    record, changed = store.switch_config(network=NETWORK_B, rules=RULES_B, change="config")

    assert changed
    assert versions(store) == (record.network_sha, RULES_B[3])
    assert record.version == config_version(record.network_sha, RULES_B[3])
    assert store.get_network() == NETWORK_B
    assert store.get_active_rules() == RULES_B
    history = store.config_history()
    assert [(h.version, h.change) for h in history] == [
        (record.version, "config"),
        (config_version(*seeded), "initial"),  # type: ignore[arg-type]
    ]
    # The seeded entry carries the time its later part (the rules) became active.
    assert history[1].applied_at < history[0].applied_at


def test_the_history_records_who_activated_each_config(store: DocumentStore) -> None:
    assert store.config_history()[0].activated_by is None  # seeded, made up until recorded
    store.switch_config(rules=RULES_C, change="rules", actor="ops-alice")
    store.switch_config(network=NETWORK_C, change="network", actor="cli:bob")
    history = store.config_history()
    assert [(h.change, h.activated_by) for h in history] == [
        ("network", "cli:bob"),
        ("rules", "ops-alice"),
        ("initial", None),
    ]
    # The config already active: nothing new, and it still names who switched to it.
    again, changed = store.switch_config(network=NETWORK_C, change="network", actor="carol")
    assert not changed
    assert again.activated_by == "cli:bob"
    # Without an actor (older callers), NULL.
    record, _ = store.switch_config(rules=RULES_A, change="rules")
    assert record.activated_by is None
    assert store.config_history()[0].activated_by is None


def test_the_config_already_active_changes_nothing(store: DocumentStore) -> None:
    first, _ = store.switch_config(network=NETWORK_B, rules=RULES_B, change="config")
    again, changed = store.switch_config(network=NETWORK_B, rules=RULES_B, change="config")
    assert not changed
    assert again == first
    assert len(store.config_history()) == 2


def test_one_part_alone_keeps_the_other(store: DocumentStore) -> None:
    network_a = versions(store)[0]
    rules_only, _ = store.switch_config(rules=RULES_C, change="rules")
    assert (rules_only.network_sha, rules_only.rules_version) == (network_a, RULES_C[3])
    network_only, _ = store.switch_config(network=NETWORK_C, change="network")
    assert network_only.rules_version == RULES_C[3]
    assert [h.change for h in store.config_history()] == ["network", "rules", "initial"]


def test_a_failure_inside_the_switch_leaves_the_previous_config_and_no_trace(
    store: DocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, history = versions(store), store.config_history()

    def fail(_conn: Any, record: ConfigRecord) -> None:
        if record.change == "config":  # after both pointers moved, before the commit
            raise RuntimeError("connection lost")

    monkeypatch.setattr(DocumentStore, "_record", staticmethod(fail))
    with pytest.raises(RuntimeError):
        store.switch_config(network=NETWORK_B, rules=RULES_B, change="config")
    monkeypatch.undo()

    assert versions(store) == before
    assert store.get_network() == NETWORK_A
    assert store.config_history() == history


def test_the_history_is_bounded_and_latest_first(store: DocumentStore) -> None:
    for network, rules in [(NETWORK_B, RULES_B), (NETWORK_C, RULES_C), (NETWORK_A, RULES_A)]:
        store.switch_config(network=network, rules=rules, change="config")
    history = store.config_history(limit=2)
    assert len(history) == 2
    assert history[0].version == config_version(*versions(store))  # type: ignore[arg-type]
    assert [h.change for h in store.config_history()] == ["config"] * 3 + ["initial"]


def test_concurrent_switches_leave_a_history_in_commit_order(engine: Engine) -> None:
    store = DocumentStore(engine)
    store.switch_config(network=NETWORK_A, rules=RULES_A, change="config")
    pairs = [(NETWORK_B, RULES_B), (NETWORK_C, RULES_C), (NETWORK_A, RULES_A)] * 8

    def switch(pair: tuple[dict[str, Any], StoredRules]) -> bool:
        # A store per call, like a worker each: its own connections.
        return DocumentStore(engine, create_tables=False).switch_config(
            network=pair[0], rules=pair[1], change="config"
        )[1]

    with ThreadPoolExecutor(max_workers=6) as pool:
        changed = sum(pool.map(switch, pairs))

    history = store.config_history(limit=1000)
    assert len(history) == changed + 1
    assert history[0].version == config_version(*versions(store))  # type: ignore[arg-type]
    # Each entry replaced the one before it: no lost or doubled switch.
    assert all(newer.version != older.version for newer, older in itertools.pairwise(history))


def test_active_documents_read_both_parts_at_once_and_skip_a_network_already_held(
    store: DocumentStore,
) -> None:
    record, _ = store.switch_config(network=NETWORK_B, rules=RULES_B, change="config")
    documents = store.active_documents()
    assert documents is not None
    assert (documents.network_sha, documents.network, documents.rules) == (
        record.network_sha,
        NETWORK_B,
        RULES_B,
    )
    held = store.active_documents(record.network_sha)
    assert held is not None and held.network is None and held.rules == RULES_B


def test_a_worker_never_pairs_the_network_of_one_switch_with_the_rules_of_another(
    store: DocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = itertools.count(0.0, 10.0)
    cache = ActiveConfigCache(store, lambda: float(next(clock)), refresh_seconds=1.0)
    assert cache.current().rules.version == RULES_A[3]
    store.switch_config(rules=RULES_C, change="rules")  # the worker has not seen this yet
    checked = store.active_versions

    def then_another_switch() -> tuple[str | None, str | None]:
        # The worker learns (network A, rules C) is new; before it reads the documents,
        # another worker switches both to B.
        seen = checked()
        monkeypatch.setattr(store, "active_versions", checked)
        store.switch_config(network=NETWORK_B, rules=RULES_B, change="config")
        return seen

    monkeypatch.setattr(store, "active_versions", then_another_switch)
    config = cache.current()

    assert set(config.network.groups) == {"EAST"}
    assert config.rules.version == RULES_B[3]
    assert config.network_version == versions(store)[0]
