"""Errors raised by the flows package (use cases, settings, persistence)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class FlowError(Exception):
    """Base of the errors the flows package raises on purpose."""


class ConfigError(FlowError):
    """An environment variable holds a value omniroute cannot use."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        self.problem = problem
        super().__init__(f"{variable}: {problem}")


class StorageError(FlowError):
    """The database holds something that is not what omniroute stored there."""


@dataclass(frozen=True, slots=True)
class Issue:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidDocument(FlowError, ValueError):
    """A document failed validation; ``issues`` say which field and why."""

    def __init__(self, what: str, issues: Sequence[Issue]) -> None:
        self.what = what
        self.issues = tuple(issues)
        super().__init__(f"invalid {what}: " + "; ".join(str(i) for i in self.issues))


class UnknownLocationOrGroup(FlowError, LookupError):
    """A location id or location group id the active network does not have (HTTP 404)."""

    def __init__(self, field: str, value: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}: unknown {field.replace('_', ' ')} {value!r}")
