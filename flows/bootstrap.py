"""The composition root: the only place that creates database engines and Redis clients."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from access.ratelimit import MemoryRateLimiter, RateLimiter, Unlimited
from engine.solve import warm
from flows.access_store import KeyRing, SqlAuditLog, SqlKeyStore
from flows.active import ActiveConfig, ActiveConfigCache
from flows.db import DocumentStore, make_engine
from flows.documents import network_from_document, read_document
from flows.inventory_ledger import SqlInventoryLedger
from flows.inventory_upkeep import InventoryUpkeep
from flows.order_store import OrderUnitOfWork
from flows.payments import PaymentGateway, TestGateway
from flows.sample import sample_inventory, sample_network
from flows.settings import Settings
from inventory.memory import MemoryInventory
from inventory.ports import InventoryCache
from inventory.recorded import RecordedInventory
from inventory.records import read_records_file
from rules.loader import LoadedRules, NetworkRefs, check_references, default_rules, load_rules

if TYPE_CHECKING:
    from redis import Redis

REDIS_TIMEOUT_SECONDS = 5.0  # far above any one call of ours (bulk writes go in small chunks)
LIMITER_TIMEOUT_SECONDS = 0.25


@dataclass
class Services:
    settings: Settings
    store: DocumentStore
    inventory: RecordedInventory
    active: ActiveConfigCache
    clock: Callable[[], float]
    close: Callable[[], None]
    upkeep: InventoryUpkeep
    keys: KeyRing
    key_store: SqlKeyStore
    audit: SqlAuditLog
    limiter: RateLimiter
    gateway: PaymentGateway = field(default_factory=TestGateway)

    def config(self) -> ActiveConfig:
        return self.active.current()

    def gateway_for(self, name: str) -> PaymentGateway | None:
        """The gateway an authorization names, or None: a payment is never captured or
        refunded through a gateway it was not authorized on (only ``test`` is built in)."""
        return self.gateway if name == "test" else None

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    def uow(self) -> OrderUnitOfWork:
        """A new unit of work of the order life (one transaction)."""
        return OrderUnitOfWork(self.store.engine, self.now)


def bootstrap(
    settings: Settings,
    *,
    cache: InventoryCache | None = None,
    clock: Callable[[], float] = time.time,
    build_cache: bool = True,
    seed_inventory: bool = True,
) -> Services:
    """Wire adapters from ``settings``; seed the database on a first start, seed the inventory
    record when it is empty, and (unless ``build_cache`` is False) build the cache from it."""
    engine = make_engine(settings.database_url)
    store = DocumentStore(engine)
    closers: list[Callable[[], None]] = [engine.dispose]
    if cache is None:
        cache, close_cache = _make_cache(settings, clock)
        closers.append(close_cache)
    upkeep = InventoryUpkeep(lambda: inventory, check_seconds=settings.inventory_check_seconds)
    ledger = SqlInventoryLedger(engine, clock=clock)
    closers.append(ledger.close)
    inventory = RecordedInventory(cache, ledger, clock, on_not_ready=upkeep.wake)
    network_doc = _seed_documents(settings, store)
    if seed_inventory:
        _seed_inventory(settings, inventory, network_doc)
    if build_cache and inventory.needs_rebuild():
        inventory.rebuild(force=False)
    active = ActiveConfigCache(store, clock, refresh_seconds=settings.refresh_seconds)
    active.current()  # fail at start-up, not on the first request, if something is missing
    warm()  # build the optimizer's common DP tables now, not on the first checkouts
    key_store = SqlKeyStore(engine, lambda: datetime.fromtimestamp(clock(), tz=UTC))
    limiter, close_limiter = make_limiter(settings)
    closers.append(close_limiter)

    def close() -> None:
        upkeep.stop()
        for closer in reversed(closers):
            closer()

    return Services(
        settings=settings,
        store=store,
        inventory=inventory,
        active=active,
        clock=clock,
        close=close,
        upkeep=upkeep,
        keys=KeyRing(key_store, clock, settings.key_cache_seconds),
        key_store=key_store,
        audit=SqlAuditLog(engine),
        limiter=limiter,
    )


def redis_client(url: str, timeout_seconds: float = REDIS_TIMEOUT_SECONDS) -> Redis:
    """A client for ``OMNIROUTE_REDIS_URL``. A Redis that stops answering (hung, partitioned)
    fails the request after ``timeout_seconds`` (503) instead of holding it and its worker
    thread forever; the URL's own ``?socket_timeout=`` / ``socket_connect_timeout=`` win."""
    import redis  # imported here so the embedded default never needs a Redis client

    return redis.Redis.from_url(
        url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
    )


def make_limiter(settings: Settings) -> tuple[RateLimiter, Callable[[], None]]:
    """Per-key buckets: in Redis when configured (shared by every worker), else in process."""
    if settings.rate_limit <= 0:
        return Unlimited(), lambda: None
    burst = settings.rate_burst or 2 * settings.rate_limit
    burst = max(burst, 1.0)
    if settings.redis_url is None:
        return MemoryRateLimiter(settings.rate_limit, burst, time.monotonic), lambda: None
    from flows.ratelimit_redis import RedisRateLimiter

    # The limiter answers on the event loop and lets requests through when Redis fails, so it
    # waits for Redis a quarter of a second at most, not the inventory's five.
    client = redis_client(settings.redis_url, LIMITER_TIMEOUT_SECONDS)
    limiter = RedisRateLimiter(
        client, prefix=settings.redis_prefix, rate=settings.rate_limit, burst=burst
    )
    return limiter, client.close


def _make_cache(
    settings: Settings, clock: Callable[[], float]
) -> tuple[InventoryCache, Callable[[], None]]:
    if settings.redis_url is None:
        # Not built yet: bootstrap builds it from the record (a restart keeps the stock).
        return MemoryInventory(clock=clock, marker=None), lambda: None
    from inventory.redis_store import RedisInventory

    client = redis_client(settings.redis_url)
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


def _seed_inventory(
    settings: Settings, inventory: RecordedInventory, network_doc: dict[str, Any]
) -> None:
    """Stock goes into the record only while it is empty: a restart keeps live counts, and
    an empty *cache* never causes seeding (it is rebuilt from the record instead). Generated
    stock only for the embedded demo, or when asked for (``--sample-data``)."""
    if not inventory.is_empty():
        return
    if settings.inventory_path is not None:
        inventory.sync(read_records_file(settings.inventory_path))
    elif _wants_sample_stock(settings, network_doc):
        network = network_from_document(network_doc)
        inventory.sync(sample_inventory(network, n_skus=settings.sample_skus))


def _wants_sample_stock(settings: Settings, network_doc: dict[str, Any]) -> bool:
    """As asked (``--sample-data``, ``OMNIROUTE_SAMPLE_DATA``); unasked, only for the embedded
    demo: no Redis and the bundled network. Production is never promised invented stock."""
    if settings.sample_data is not None:
        return settings.sample_data
    return settings.redis_url is None and network_doc == _sample_document()
