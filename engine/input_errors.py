"""Errors in a preview's input that the caller must fix (HTTP 422, CLI exit 2).

Each carries ``field``, the dotted path of the offending order field, and ``message``, what is
wrong with it, so the HTTP and CLI layers can name the field without parsing text.
"""

from __future__ import annotations


class PreviewInputError(ValueError):
    """Root of the preview's input errors."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownLocation(PreviewInputError):
    """The order names a location the network does not have."""


class UnknownDeliveryMethod(PreviewInputError):
    """The order names a delivery method the network does not list, or one of the wrong kind."""
