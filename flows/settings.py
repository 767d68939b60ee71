"""Settings from environment variables, with defaults that run with nothing installed.

- ``OMNIROUTE_DATABASE_URL`` (``sqlite:///./omniroute.db``): SQLite or PostgreSQL database that
  holds the network and the rules.
- ``OMNIROUTE_REDIS_URL`` (unset: in-process inventory): Redis for inventory; several workers
  need it.
- ``OMNIROUTE_REDIS_PREFIX`` (``omniroute``): first part of every Redis key.
- ``OMNIROUTE_RULES`` (unset: bundled default rules): rules file activated when the database
  has none.
- ``OMNIROUTE_NETWORK`` (unset: bundled sample network): network file stored when the database
  has none.
- ``OMNIROUTE_INVENTORY`` (unset): inventory CSV/JSON loaded into an empty inventory record at
  start-up.
- ``OMNIROUTE_SAMPLE_DATA`` (unset: only on the embedded default): ``true`` seeds generated
  sample stock into an empty record even with Redis configured; ``false`` never seeds it.
- ``OMNIROUTE_SAMPLE_SKUS`` (``2000``): SKUs in the generated sample stock.
- ``OMNIROUTE_INVENTORY_CHECK_SECONDS`` (``300``): how often ``serve`` compares the inventory
  cache with the record and logs differences (``0``: never).
- ``OMNIROUTE_SHOPIFY_WEBHOOK_SECRET`` (unset: the Shopify webhook refuses every call): the
  secret Shopify signs its ``orders/create`` webhooks with.
- ``OMNIROUTE_RECONCILE_SECONDS`` (``60``): how often ``serve`` reconciles the order life
  with the inventory (abandoned Draft FOs, stray reservations, unconsumed shipments, unpaid
  invoices, unrouted units; ``0``: never).
- ``OMNIROUTE_REFRESH_SECONDS`` (``1.0``): how stale a worker's copy of the network and rules
  may get before it asks the database again.
- ``OMNIROUTE_WAVE_EXECUTOR`` (``process``): where a wave job's ``optimize`` routes its search's
  neighbourhoods: ``inline`` (in the job's thread, in turn), ``process`` (a pool of spawned
  processes, made for the job and closed after it) or ``ray`` (a Ray cluster; the ``ray``
  extra).
- ``OMNIROUTE_WAVE_WORKERS`` (``1``): neighbourhoods routed at once, and the pool's processes
  (``1`` to ``64``).
- ``OMNIROUTE_RAY_ADDRESS`` (unset: a local Ray instance of ``OMNIROUTE_WAVE_WORKERS`` CPUs,
  started for the job): the Ray cluster to join (``host:port`` of its head, or ``auto``); read
  with the ``ray`` executor only.

- ``OMNIROUTE_AUTH`` (``on``): every endpoint but ``/healthz`` and the signed webhooks needs
  ``Authorization: Bearer <key>``; ``off`` lets anyone in (local experiments; warned at every
  start).
- ``OMNIROUTE_ADMIN_KEY_FILE`` (``./omniroute-admin.key``): where the embedded default's first
  start writes the key it creates (every scope; readable only by its owner).
- ``OMNIROUTE_KEY_CACHE_SECONDS`` (``0.5``): how long a worker trusts a key it looked up; a
  revoked key is refused everywhere within this.
- ``OMNIROUTE_MAX_BODY_BYTES`` (``10485760``, 10 MB): larger request bodies are refused (413)
  before they are read; ``OMNIROUTE_MAX_BULK_BODY_BYTES`` (``536870912``, 512 MB) for the bulk
  inventory loads and order imports.
- ``OMNIROUTE_RATE_LIMIT`` (``1000``): requests per second per key (a token bucket, shared
  across workers through Redis when configured; ``0``: no limit); ``OMNIROUTE_RATE_BURST``
  (twice the rate, at least 1): the bucket's size, in requests (1 or more).

An empty variable counts as unset (container tooling often exports empty values). A value that
cannot be used raises :class:`ConfigError` naming the variable, at start-up.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from flows.errors import ConfigError


class ExecutorKind(StrEnum):
    """Where a wave's search runs (:mod:`flows.wave_executor` makes them); defined here, not
    there, so that reading the settings does not load the optimizer."""

    inline = "inline"
    process = "process"
    ray = "ray"


DEFAULT_DATABASE_URL = "sqlite:///./omniroute.db"
DEFAULT_REDIS_PREFIX = "omniroute"
DEFAULT_SAMPLE_SKUS = 2000
MAX_SAMPLE_SKUS = 1_000_000
DEFAULT_REFRESH_SECONDS = 1.0
DEFAULT_CHECK_SECONDS = 300.0
DEFAULT_RECONCILE_SECONDS = 60.0
DEFAULT_WAVE_EXECUTOR = ExecutorKind.process
MAX_WAVE_WORKERS = 64
DEFAULT_ADMIN_KEY_FILE = Path("omniroute-admin.key")
DEFAULT_KEY_CACHE_SECONDS = 0.5
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_BULK_BODY_BYTES = 512 * 1024 * 1024
DEFAULT_RATE_LIMIT = 1000.0
MAX_RATE = 1_000_000.0
MAX_BODY_LIMIT = 1 << 40
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

_DATABASE_SCHEMES = re.compile(r"^(sqlite|postgresql)(\+\w+)?://")
_REDIS_SCHEMES = re.compile(r"^(redis|rediss|unix)://")
_PREFIX = re.compile(r"^[A-Za-z0-9_.:-]+$")


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    redis_prefix: str = DEFAULT_REDIS_PREFIX
    rules_path: Path | None = None
    network_path: Path | None = None
    inventory_path: Path | None = None
    sample_skus: int = DEFAULT_SAMPLE_SKUS
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS
    sample_data: bool | None = None
    inventory_check_seconds: float = DEFAULT_CHECK_SECONDS
    shopify_webhook_secret: str | None = None
    reconcile_seconds: float = DEFAULT_RECONCILE_SECONDS
    wave_executor: ExecutorKind = DEFAULT_WAVE_EXECUTOR
    wave_workers: int = 1
    ray_address: str | None = None
    auth: bool = True
    admin_key_file: Path = DEFAULT_ADMIN_KEY_FILE
    key_cache_seconds: float = DEFAULT_KEY_CACHE_SECONDS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_bulk_body_bytes: int = DEFAULT_MAX_BULK_BODY_BYTES
    rate_limit: float = DEFAULT_RATE_LIMIT
    rate_burst: float | None = None  # None: twice the rate

    @property
    def embedded(self) -> bool:
        """The embedded kind of deployment: a SQLite file and in-process inventory."""
        return self.redis_url is None and self.database_url.startswith("sqlite")

    @property
    def uses_sample_network(self) -> bool:
        return self.network_path is None

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        max_body = _whole(
            "OMNIROUTE_MAX_BODY_BYTES",
            get("OMNIROUTE_MAX_BODY_BYTES"),
            DEFAULT_MAX_BODY_BYTES,
            MAX_BODY_LIMIT,
        )
        return cls(
            database_url=_database_url(get("OMNIROUTE_DATABASE_URL")),
            redis_url=_redis_url(get("OMNIROUTE_REDIS_URL")),
            redis_prefix=_redis_prefix(get("OMNIROUTE_REDIS_PREFIX")),
            rules_path=_file("OMNIROUTE_RULES", get("OMNIROUTE_RULES")),
            network_path=_file("OMNIROUTE_NETWORK", get("OMNIROUTE_NETWORK")),
            inventory_path=_file("OMNIROUTE_INVENTORY", get("OMNIROUTE_INVENTORY")),
            sample_skus=_sample_skus(get("OMNIROUTE_SAMPLE_SKUS")),
            refresh_seconds=_refresh_seconds(get("OMNIROUTE_REFRESH_SECONDS")),
            sample_data=_flag("OMNIROUTE_SAMPLE_DATA", get("OMNIROUTE_SAMPLE_DATA")),
            inventory_check_seconds=_seconds(
                "OMNIROUTE_INVENTORY_CHECK_SECONDS",
                get("OMNIROUTE_INVENTORY_CHECK_SECONDS"),
                DEFAULT_CHECK_SECONDS,
                86400.0,
            ),
            shopify_webhook_secret=get("OMNIROUTE_SHOPIFY_WEBHOOK_SECRET"),
            reconcile_seconds=_seconds(
                "OMNIROUTE_RECONCILE_SECONDS",
                get("OMNIROUTE_RECONCILE_SECONDS"),
                DEFAULT_RECONCILE_SECONDS,
                86400.0,
            ),
            wave_executor=_wave_executor(get("OMNIROUTE_WAVE_EXECUTOR")),
            wave_workers=_whole(
                "OMNIROUTE_WAVE_WORKERS", get("OMNIROUTE_WAVE_WORKERS"), 1, MAX_WAVE_WORKERS
            ),
            ray_address=get("OMNIROUTE_RAY_ADDRESS"),
            auth=_flag("OMNIROUTE_AUTH", get("OMNIROUTE_AUTH")) is not False,
            admin_key_file=Path(get("OMNIROUTE_ADMIN_KEY_FILE") or DEFAULT_ADMIN_KEY_FILE),
            key_cache_seconds=_seconds(
                "OMNIROUTE_KEY_CACHE_SECONDS",
                get("OMNIROUTE_KEY_CACHE_SECONDS"),
                DEFAULT_KEY_CACHE_SECONDS,
                60.0,
            ),
            max_body_bytes=max_body,
            max_bulk_body_bytes=_bulk_limit(get("OMNIROUTE_MAX_BULK_BODY_BYTES"), max_body),
            rate_limit=_rate_limit(get("OMNIROUTE_RATE_LIMIT")),
            # The bucket's size: at least one request (a smaller one would refuse every one).
            rate_burst=_number(
                "OMNIROUTE_RATE_BURST",
                get("OMNIROUTE_RATE_BURST"),
                1.0,
                2 * MAX_RATE,
                f"1 to {2 * MAX_RATE:g} requests",
            ),
        )


def _bulk_limit(value: str | None, body: int) -> int:
    """Bulk loads may send more than other requests, never less: a bulk limit below the normal
    one is refused; unset, it is the default or the normal limit, whichever is larger."""
    default = max(DEFAULT_MAX_BULK_BODY_BYTES, body)
    bulk = _whole("OMNIROUTE_MAX_BULK_BODY_BYTES", value, default, MAX_BODY_LIMIT)
    if bulk < body:
        raise ConfigError(
            "OMNIROUTE_MAX_BULK_BODY_BYTES",
            f"{bulk} is below OMNIROUTE_MAX_BODY_BYTES ({body}): bulk may send more, not less",
        )
    return bulk


def _database_url(value: str | None) -> str:
    if value is None:
        return DEFAULT_DATABASE_URL
    for short in ("postgres://", "postgresql://"):
        # The short forms others hand out; SQLAlchemy's default driver for them (psycopg 3)
        # is not installed, the one omniroute ships with is psycopg2.
        if value.startswith(short):
            value = "postgresql+psycopg2://" + value.removeprefix(short)
    if not _DATABASE_SCHEMES.match(value):
        raise ConfigError(
            "OMNIROUTE_DATABASE_URL",
            f"expected a sqlite:/// or postgresql:// URL, got {_redacted(value)!r}",
        )
    return value


def _redis_url(value: str | None) -> str | None:
    if value is not None and not _REDIS_SCHEMES.match(value):
        raise ConfigError(
            "OMNIROUTE_REDIS_URL",
            f"expected a redis://, rediss:// or unix:// URL, got {_redacted(value)!r}",
        )
    return value


def _redis_prefix(value: str | None) -> str:
    if value is None:
        return DEFAULT_REDIS_PREFIX
    if not _PREFIX.match(value):
        raise ConfigError(
            "OMNIROUTE_REDIS_PREFIX",
            f"expected letters, digits and _ . : - only, got {value!r}",
        )
    return value


def _file(variable: str, value: str | None) -> Path | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(variable, f"no such file: {value}")
    return path


def _sample_skus(value: str | None) -> int:
    return _whole("OMNIROUTE_SAMPLE_SKUS", value, DEFAULT_SAMPLE_SKUS, MAX_SAMPLE_SKUS)


def _whole(variable: str, value: str | None, default: int, most: int) -> int:
    if value is None:
        return default
    try:
        count = int(value)
    except ValueError:
        raise ConfigError(variable, f"expected a whole number, got {value!r}") from None
    if not 1 <= count <= most:
        raise ConfigError(variable, f"expected 1 to {most}, got {count}")
    return count


def _wave_executor(value: str | None) -> ExecutorKind:
    if value is None:
        return DEFAULT_WAVE_EXECUTOR
    try:
        return ExecutorKind(value.lower())
    except ValueError:
        kinds = ", ".join(kind.value for kind in ExecutorKind)
        raise ConfigError(
            "OMNIROUTE_WAVE_EXECUTOR", f"expected one of {kinds}, got {value!r}"
        ) from None


def _refresh_seconds(value: str | None) -> float:
    return _seconds("OMNIROUTE_REFRESH_SECONDS", value, DEFAULT_REFRESH_SECONDS, 3600.0)


def _rate_limit(value: str | None) -> float:
    rate = _number("OMNIROUTE_RATE_LIMIT", value, 0.0, MAX_RATE, f"0 to {MAX_RATE:g} per second")
    return DEFAULT_RATE_LIMIT if rate is None else rate


def _seconds(variable: str, value: str | None, default: float, most: float) -> float:
    seconds = _number(variable, value, 0.0, most, f"seconds from 0 to {most:g}")
    return default if seconds is None else seconds


def _number(
    variable: str, value: str | None, least: float, most: float, expected: str
) -> float | None:
    """``value`` as a number from ``least`` to ``most`` (None when unset); ConfigError saying
    ``expected`` otherwise."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not least <= number <= most:  # also rejects nan and inf
        raise ConfigError(variable, f"expected {expected}, got {value!r}")
    return number


def _flag(variable: str, value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    raise ConfigError(variable, f"expected true or false, got {value!r}")


def _redacted(url: str) -> str:
    """The URL without its password, so an error message never leaks it."""
    return re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", url)
