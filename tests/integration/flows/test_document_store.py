"""The network document and the active rules in the database, on SQLite and PostgreSQL.

Every test runs against a SQLite file and against real PostgreSQL (``database_url`` in
tests/conftest.py). Each PostgreSQL test gets a schema of its own, dropped afterwards, so
reruns and parallel runs never see each other's rows.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from engine.network import Network
from flows.db import DocumentStore, canonical_json, make_engine, network_documents
from flows.errors import ConfigError, StorageError
from flows.sample import sample_network

StoreFactory = Callable[[], DocumentStore]

NETWORK_A = {
    "locations": [{"id": "DC01", "type": "warehouse", "lat": 40.1, "lon": -75.2}],
    "location_groups": [{"id": "ONLINE", "location_ids": ["DC01"]}],
}
NETWORK_B = {"locations": [{"id": "ST01", "type": "store", "lat": 34.05, "lon": -118.24}]}
RULES_V1 = "version: 1\npolicies:\n  - name: ship\n    when: {delivery_method: ship}\n"
RULES_V2 = RULES_V1 + "    split: {max_locations: 2}\n"


def version_of(rules_text: str) -> str:
    return hashlib.sha256(rules_text.encode()).hexdigest()


def sha_of(document: dict[str, object]) -> str:
    return hashlib.sha256(canonical_json(document).encode()).hexdigest()


@pytest.fixture(scope="session")
def postgres_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Opens a store on this test's database; each call is a fresh engine, like a new worker."""
    engines: list[Engine] = []
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'omniroute.db'}"

        def open_engine() -> Engine:
            engines.append(make_engine(url))
            return engines[-1]

    else:
        base: Engine = request.getfixturevalue("postgres_engine")
        schema = f"omniroute_test_{uuid.uuid4().hex[:12]}"
        with base.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))

        def open_engine() -> Engine:
            return base.execution_options(schema_translate_map={None: schema})

    yield lambda: DocumentStore(open_engine())
    for engine in engines:
        engine.dispose()
    if request.param == "postgresql":
        with base.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def store(new_store: StoreFactory) -> DocumentStore:
    return new_store()


def test_a_new_database_has_no_network_and_no_rules(store: DocumentStore) -> None:
    assert store.get_network() is None
    assert store.get_active_rules() is None
    assert store.active_versions() == (None, None)
    assert store.rules_history() == []


def test_stored_network_reads_back_equal_with_its_hash(store: DocumentStore) -> None:
    sha = store.put_network(NETWORK_A)
    assert sha == sha_of(NETWORK_A)
    assert store.get_network() == NETWORK_A
    assert store.active_versions() == (sha, None)


def test_key_order_does_not_change_the_network_hash(store: DocumentStore) -> None:
    reordered = dict(reversed(list(NETWORK_A.items())))
    assert store.put_network(NETWORK_A) == store.put_network(reordered)


def test_storing_another_network_makes_it_active_and_the_old_one_can_come_back(
    store: DocumentStore,
) -> None:
    sha_a = store.put_network(NETWORK_A)
    sha_b = store.put_network(NETWORK_B)
    assert store.get_network() == NETWORK_B
    assert store.put_network(NETWORK_A) == sha_a != sha_b
    assert store.get_network() == NETWORK_A
    assert store.active_versions()[0] == sha_a


def test_sample_network_survives_the_round_trip(store: DocumentStore) -> None:
    network = sample_network()
    store.put_network(network.model_dump(mode="json"))
    assert Network.model_validate(store.get_network()) == network


def test_activated_rules_read_back_with_text_format_source_and_version(
    store: DocumentStore,
) -> None:
    store.activate_rules(RULES_V1, "yaml", "rules/default.yaml", version_of(RULES_V1))
    assert store.get_active_rules() == (
        RULES_V1,
        "yaml",
        "rules/default.yaml",
        version_of(RULES_V1),
    )
    assert store.active_versions() == (None, version_of(RULES_V1))


def test_activating_new_rules_replaces_the_active_ones_and_keeps_history(
    new_store: StoreFactory,
) -> None:
    times = iter(datetime(2024, 5, 1, 12, tzinfo=UTC) + timedelta(minutes=i) for i in range(9))
    store = DocumentStore(new_store().engine, now=lambda: next(times))
    v1, v2 = version_of(RULES_V1), version_of(RULES_V2)
    store.activate_rules(RULES_V1, "yaml", "a.yaml", v1)
    store.activate_rules(RULES_V2, "yaml", "b.yaml", v2)
    assert store.get_active_rules() == (RULES_V2, "yaml", "b.yaml", v2)
    store.activate_rules(RULES_V1, "yaml", "a.yaml", v1)  # roll back
    assert store.get_active_rules() == (RULES_V1, "yaml", "a.yaml", v1)
    first = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert store.rules_history() == [(v1, first), (v2, first + timedelta(minutes=1))]
    # Every version stays readable by id, the active one or not (the console diffs them).
    assert store.get_rules_version(v2) == (RULES_V2, "yaml", "b.yaml", v2)
    assert store.get_rules_version(v1) == (RULES_V1, "yaml", "a.yaml", v1)
    assert store.get_rules_version("0" * 64) is None


def test_same_version_with_new_text_keeps_one_history_entry_and_returns_the_latest_text(
    store: DocumentStore,
) -> None:
    commented = "# reviewed by ops\n" + RULES_V1
    store.activate_rules(RULES_V1, "yaml", "a.yaml", "v-same")
    store.activate_rules(commented, "yaml", "PUT /v1/rules", "v-same")
    assert store.get_active_rules() == (commented, "yaml", "PUT /v1/rules", "v-same")
    assert [version for version, _ in store.rules_history()] == ["v-same"]


def test_history_timestamps_are_timezone_aware_utc(store: DocumentStore) -> None:
    before = datetime.now(UTC)
    store.activate_rules(RULES_V1, "yaml", "a.yaml", version_of(RULES_V1))
    [(_, created_at)] = store.rules_history()
    assert created_at.tzinfo is not None and created_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= created_at <= datetime.now(UTC) + timedelta(seconds=1)


def test_a_restarted_worker_sees_what_another_worker_stored(new_store: StoreFactory) -> None:
    first = new_store()
    sha = first.put_network(NETWORK_A)
    first.activate_rules(RULES_V1, "yaml", "a.yaml", version_of(RULES_V1))
    second = new_store()
    assert second.get_network() == NETWORK_A
    assert second.active_versions() == (sha, version_of(RULES_V1))
    second.activate_rules(RULES_V2, "yaml", "b.yaml", version_of(RULES_V2))
    assert first.active_versions() == (sha, version_of(RULES_V2))


def test_creating_tables_again_keeps_the_stored_documents(new_store: StoreFactory) -> None:
    store = new_store()
    store.put_network(NETWORK_A)
    store.create_tables()
    assert new_store().get_network() == NETWORK_A


def test_workers_starting_together_all_get_a_working_store(new_store: StoreFactory) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        stores = list(pool.map(lambda _: new_store(), range(4)))
    assert all(s.active_versions() == (None, None) for s in stores)


def test_concurrent_activations_never_fail_and_leave_one_consistent_winner(
    new_store: StoreFactory,
) -> None:
    store = new_store()
    texts = [RULES_V1 + f"# variant {i % 4}\n" for i in range(16)]
    start = threading.Barrier(8, timeout=30)

    def activate(rules_text: str) -> None:
        start.wait()  # eight at a time, so the writes really overlap
        store.activate_rules(rules_text, "yaml", "race", version_of(rules_text))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(activate, texts))
    active = store.get_active_rules()
    assert active is not None
    active_text, _, _, active_version = active
    assert active_text in texts and active_version == version_of(active_text)
    assert sorted(v for v, _ in store.rules_history()) == sorted({version_of(t) for t in texts})


def test_concurrent_puts_of_the_same_network_store_it_once(new_store: StoreFactory) -> None:
    store = new_store()
    with ThreadPoolExecutor(max_workers=8) as pool:
        shas = set(pool.map(lambda _: store.put_network(NETWORK_A), range(16)))
    assert shas == {sha_of(NETWORK_A)}
    with store.engine.connect() as conn:
        rows = conn.execute(network_documents.select()).all()
    assert len(rows) == 1


def test_an_active_network_that_is_not_an_object_is_reported(store: DocumentStore) -> None:
    store.put_network(NETWORK_A)
    with store.engine.begin() as conn:
        conn.execute(network_documents.update().values(body="[1, 2]"))
    with pytest.raises(StorageError):
        store.get_network()


def test_in_memory_sqlite_is_one_database_shared_by_every_thread() -> None:
    engine = make_engine("sqlite://")
    store = DocumentStore(engine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(store.put_network, NETWORK_A).result()
    assert store.get_network() == NETWORK_A
    engine.dispose()


@pytest.mark.parametrize("url", ["not a url", "nosuchdb://host/db"])
def test_an_unusable_database_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_engine(url)
    assert caught.value.variable == "OMNIROUTE_DATABASE_URL"
