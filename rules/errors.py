"""The rules package's error tree.

``RulesError`` is the root. ``InvalidRules`` carries every problem found in a rules file at
once (ops fix a file in one pass, not one error per run); ``DocumentError`` is a JSON/YAML
document that cannot be read or parsed at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class RulesError(Exception):
    """Root of the rules package's errors."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: the file (``source``), the field path (``policies[1].split.max_locations``,
    empty for the whole document), what was expected, and the line when it is known."""

    source: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        head = f"{self.source}: {self.path}: " if self.path else f"{self.source}: "
        tail = f" (line {self.line})" if self.line is not None and self.path else ""
        return head + self.message + tail


class InvalidRules(RulesError):
    """A rules file failed validation; ``str()`` is one ``FILE: PATH: MESSAGE`` line per issue."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class DocumentError(RulesError):
    """A JSON or YAML document could not be read or parsed; ``str()`` is one line."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.issue = Issue(source, "", message, line)
        super().__init__(str(self.issue))
