"""The active network and rules, shared by every worker through the database.

Each process keeps the parsed network and rules in memory and asks the database at most once
per ``refresh_seconds`` whether another worker activated something newer, so a preview never
pays a database round trip and a change reaches every worker within that interval.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from engine.network import Network
from flows.db import DocumentStore
from flows.documents import network_from_document
from rules.loader import LoadedRules, parse_rules


@dataclass(frozen=True, slots=True)
class ActiveConfig:
    network: Network
    network_version: str
    rules: LoadedRules


class ActiveConfigCache:
    def __init__(
        self,
        store: DocumentStore,
        clock: Callable[[], float],
        refresh_seconds: float = 1.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._current: ActiveConfig | None = None
        self._checked_at = float("-inf")

    def current(self) -> ActiveConfig:
        now = self._clock()
        current = self._current
        if current is not None and now - self._checked_at < self._refresh_seconds:
            return current
        with self._lock:
            self._current = self._reload_if_changed(self._current)
            self._checked_at = now
            return self._current

    def publish(self, config: ActiveConfig) -> None:
        """Make a configuration this process just stored visible here at once."""
        with self._lock:
            self._current = config
            self._checked_at = self._clock()

    def _reload_if_changed(self, cached: ActiveConfig | None) -> ActiveConfig:
        network_version, rules_version = self._store.active_versions()
        if network_version is None or rules_version is None:
            raise LookupError("no active network or rules in the database; run bootstrap first")
        if cached is not None and (cached.network_version, cached.rules.version) == (
            network_version,
            rules_version,
        ):
            return cached
        # Network and rules in one read: a switch of both (PUT /v1/config) committing between
        # two reads must never pair its network with the rules it replaced.
        documents = self._store.active_documents(cached.network_version if cached else None)
        if documents is None:
            raise LookupError("no active network or rules in the database; run bootstrap first")
        if documents.network is None:
            assert cached is not None  # only left out when it is the cached network
            network = cached.network
        else:
            network = network_from_document(documents.network)
        text, fmt, source, version = documents.rules
        if cached is not None and cached.rules.version == version:
            rules = cached.rules
        else:
            rules = parse_rules(text, source=source, fmt=fmt)  # type: ignore[arg-type]
        return ActiveConfig(network=network, network_version=documents.network_sha, rules=rules)
