"""The composition root: the only place that creates database engines and Redis clients."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.solve import warm
from flows.active import ActiveConfig, ActiveConfigCache
from flows.db import DocumentStore, make_engine
from flows.documents import network_from_document, read_document
from flows.sample import sample_inventory, sample_network
from flows.settings import Settings
from inventory.memory import MemoryInventory
from inventory.ports import Inventory
from inventory.records import read_records_file
from rules.loader import LoadedRules, NetworkRefs, check_references, default_rules, load_rules


@dataclass
class Services:
    settings: Settings
    store: DocumentStore
    inventory: Inventory
    active: ActiveConfigCache
    clock: Callable[[], float]
    close: Callable[[], None]

    def config(self) -> ActiveConfig:
        return self.active.current()


def bootstrap(
    settings: Settings,
    *,
    inventory: Inventory | None = None,
    clock: Callable[[], float] = time.time,
) -> Services:
    """Wire adapters from ``settings``; seed the database and stock on a first start."""
    engine = make_engine(settings.database_url)
    store = DocumentStore(engine)
    closers: list[Callable[[], None]] = [engine.dispose]
    if inventory is None:
        inventory, close_inventory = _make_inventory(settings, clock)
        closers.append(close_inventory)
    network_doc = _seed_documents(settings, store)
    _seed_inventory(settings, inventory, is_sample=network_doc == _sample_document())
    active = ActiveConfigCache(store, clock, refresh_seconds=settings.refresh_seconds)
    active.current()  # fail at start-up, not on the first request, if something is missing
    warm()  # build the optimizer's common DP tables now, not on the first checkouts

    def close() -> None:
        for closer in reversed(closers):
            closer()

    return Services(settings, store, inventory, active, clock, close)


def _make_inventory(
    settings: Settings, clock: Callable[[], float]
) -> tuple[Inventory, Callable[[], None]]:
    if settings.redis_url is None:
        return MemoryInventory(clock=clock), lambda: None
    import redis  # imported here so the embedded default never needs a Redis client

    from inventory.redis_store import RedisInventory

    client = redis.Redis.from_url(settings.redis_url)
    return RedisInventory(client, prefix=settings.redis_prefix, clock=clock), client.close


def _seed_documents(settings: Settings, store: DocumentStore) -> dict[str, Any]:
    """Store a network and rules when the database has none; return the active network."""
    network_doc = store.get_network()
    if network_doc is None:
        if settings.network_path is None:
            network_doc = _sample_document()
        else:
            document = read_document(settings.network_path)
            network_doc = network_from_document(document).model_dump(mode="json")
        store.put_network(network_doc)
    if store.get_active_rules() is None:
        refs = NetworkRefs.from_network(network_from_document(network_doc))
        loaded = _initial_rules(settings, refs)
        fmt = "json" if loaded.source.endswith(".json") else "yaml"
        store.activate_rules(loaded.text, fmt, loaded.source, loaded.version)
    return network_doc


def _sample_document() -> dict[str, Any]:
    return sample_network().model_dump(mode="json")


def _initial_rules(settings: Settings, refs: NetworkRefs) -> LoadedRules:
    if settings.rules_path is not None:
        return load_rules(settings.rules_path, known=refs)
    loaded = default_rules()
    check_references(loaded.rules, refs, loaded.source)
    return loaded


def _seed_inventory(settings: Settings, inventory: Inventory, *, is_sample: bool) -> None:
    """Load stock on a first start only: Redis keeps live counts across restarts, and a stale
    file must not overwrite them (in-process inventory starts empty every time)."""
    if not inventory.is_empty():
        return
    if settings.inventory_path is not None:
        inventory.upsert(read_records_file(settings.inventory_path))
    elif is_sample:
        inventory.upsert(sample_inventory(sample_network(), n_skus=settings.sample_skus))
