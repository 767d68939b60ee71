"""The inventory error tree. Every failure the inventory reports is an ``InventoryError``."""

from __future__ import annotations

from dataclasses import dataclass


class InventoryError(Exception):
    """Root of the inventory errors."""


@dataclass(frozen=True, slots=True)
class InventoryProblem:
    """One bad value in inventory records: where (``row 3`` / ``[2]``), field, problem."""

    where: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.problem}"


class InvalidInventory(InventoryError):
    """Inventory records that cannot be loaded; nothing was written."""

    def __init__(self, problems: list[InventoryProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def where(self) -> str:
        return self.problems[0].where

    @property
    def field(self) -> str:
        return self.problems[0].field


@dataclass(frozen=True, slots=True)
class Shortage:
    """A reservation line that lacks stock: ``usable`` = on hand − reserved − safety stock."""

    location_id: str
    sku: str
    requested: int
    usable: int


class InsufficientStock(InventoryError):
    """A reservation was refused because some lines lack usable stock; nothing was reserved."""

    def __init__(self, reservation_id: str, shortages: list[Shortage]) -> None:
        self.reservation_id = reservation_id
        self.shortages = tuple(shortages)
        detail = "; ".join(
            f"{s.sku} at {s.location_id}: requested {s.requested}, usable {s.usable}"
            for s in self.shortages
        )
        super().__init__(f"reservation {reservation_id}: insufficient stock: {detail}")


class ReservationConflict(InventoryError):
    """The reservation id is taken by a reservation with other lines."""

    def __init__(self, reservation_id: str) -> None:
        self.reservation_id = reservation_id
        super().__init__(f"reservation {reservation_id} already exists with other lines")


class UnknownReservation(InventoryError):
    def __init__(self, reservation_id: str) -> None:
        self.reservation_id = reservation_id
        super().__init__(f"unknown reservation {reservation_id}")


class InvalidReservation(InventoryError):
    """A malformed reservation request (bad quantity, ttl, lines) or more than is held."""


class InventoryUnavailable(InventoryError):
    """The inventory store cannot be reached or failed (e.g. a Redis error)."""


class CacheNotReady(InventoryUnavailable):
    """The cache holds no build of the record (Redis lost its data, or a rebuild is under
    way): availability and reservations must wait for the rebuild, never read as zero."""


class CacheStale(InventoryUnavailable):
    """A write was made on a cache build that the record no longer matches (a rebuild or a
    full sync replaced it); nothing was acknowledged, a retry goes to the new build."""


class RecordUnavailable(InventoryUnavailable):
    """The durable inventory record (the database) cannot be reached or failed."""
