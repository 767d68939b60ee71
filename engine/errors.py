"""The engine's error tree: every error the engine raises on purpose is an :class:`EngineError`.

Input errors of a preview (:class:`PreviewInputError`) carry ``field``, the dotted path of the
offending order field, and ``message``, so the HTTP and CLI edges name the field without
parsing text (HTTP 422, CLI exit 2)."""

from __future__ import annotations


class EngineError(Exception):
    """Base class of the engine's errors."""


class InvalidProblemError(EngineError, ValueError):
    """A :class:`~engine.problem.RoutingProblem` whose arrays or numbers break its contract."""


class InvalidParamsError(EngineError, ValueError):
    """A :class:`~engine.params.SolveParams` field out of range."""


class SolverError(EngineError):
    """The OR-Tools model failed in a way that is not "no route exists" (e.g. a model error)."""


class PreviewInputError(EngineError, ValueError):
    """An order names something the network does not know; the caller must fix it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownLocation(PreviewInputError):
    """The order names a location the network does not have."""


class UnknownDeliveryMethod(PreviewInputError):
    """The order names a delivery method the network does not list, or one of the wrong kind."""
