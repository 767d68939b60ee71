"""The engine's error tree: every failure the optimizer raises is an :class:`EngineError`."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of the engine's errors."""


class InvalidProblemError(EngineError, ValueError):
    """A :class:`~engine.problem.RoutingProblem` whose arrays or numbers break its contract."""


class InvalidParamsError(EngineError, ValueError):
    """A :class:`~engine.params.SolveParams` field out of range."""


class SolverError(EngineError):
    """The OR-Tools model failed in a way that is not "no route exists" (e.g. a model error)."""
