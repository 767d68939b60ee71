"""Errors raised by the flows package (use cases, settings, persistence)."""

from __future__ import annotations


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
