"""Loading and validating rules files (YAML or JSON).

Pure apart from :func:`load_rules` and :func:`load_document`, which read the path they are
given, and :func:`default_rules`, which reads the bundled ``default.yaml``. Every failure is
an :class:`~rules.errors.InvalidRules` listing all issues found, each with the file, the
field path and what was expected.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from rules.documents import (
    Format,
    ParsedDocument,
    format_for,
    load_document,
    parse_document,
    read_text,
)
from rules.errors import DocumentError, InvalidRules, Issue
from rules.messages import Loc, describe, format_path, issues_from
from rules.schema import Rules
from rules.version import rules_version

__all__ = [
    "LoadedRules",
    "NetworkIds",
    "NetworkRefs",
    "check_references",
    "default_rules",
    "load_document",
    "load_rules",
    "parse_rules",
    "rules_json_schema",
]

DEFAULT_RULES_SOURCE = "rules/default.yaml"


class NetworkIds(Protocol):
    """What :meth:`NetworkRefs.from_network` reads of a network: its location ids and its
    location groups by id. ``engine.network.Network`` has both; rules never import it."""

    @property
    def location_ids(self) -> Iterable[str]: ...

    @property
    def groups(self) -> Mapping[str, object]: ...


@dataclass(frozen=True, slots=True)
class NetworkRefs:
    """The ids a rules file may refer to: the network's locations and location groups."""

    location_ids: frozenset[str]
    group_ids: frozenset[str]

    @classmethod
    def from_network(cls, network: NetworkIds) -> NetworkRefs:
        return cls(frozenset(network.location_ids), frozenset(network.groups))


@dataclass(frozen=True, slots=True)
class LoadedRules:
    """Validated rules with their version (sha256 of the canonical content), where they came
    from and the text as written (kept so it can be stored and shown again verbatim)."""

    rules: Rules
    version: str
    source: str
    text: str


def load_rules(path: str | Path, known: NetworkRefs | None = None) -> LoadedRules:
    """Read and validate a rules file; JSON for ``*.json``, YAML otherwise."""
    try:
        text = read_text(path)
    except DocumentError as exc:
        raise InvalidRules((exc.issue,)) from None
    return parse_rules(text, source=str(path), fmt=format_for(path), known=known)


def parse_rules(
    text: str | bytes,
    *,
    source: str = "<rules>",
    fmt: Format = "auto",
    known: NetworkRefs | None = None,
) -> LoadedRules:
    """Validate rules text; with ``known``, also check the ids it names exist."""
    try:
        document = parse_document(text, source=source, fmt=fmt)
    except DocumentError as exc:
        raise InvalidRules((exc.issue,)) from None
    if not isinstance(document.data, dict):
        expected = "expected a mapping with a 'policies' list at the top level"
        got = "the document is empty" if document.data is None else f"got {describe(document.data)}"
        message = f"{got}; {expected}" if document.data is None else f"{expected}, {got}"
        raise InvalidRules((Issue(source, "", message),))
    try:
        rules = Rules.model_validate(document.data)
    except ValidationError as exc:
        found = issues_from(exc, Rules, document.data)
        raise InvalidRules(_located(source, document, found)) from None
    problems = _unreachable_policies(rules)
    if known is not None:
        problems += _reference_problems(rules, known)
    if problems:
        raise InvalidRules(_located(source, document, problems))
    decoded = text.decode("utf-8") if isinstance(text, bytes) else text
    return LoadedRules(rules, rules_version(rules), source, decoded)


def check_references(rules: Rules, known: NetworkRefs, source: str) -> None:
    """Raise InvalidRules if a policy names a location group or location ``known`` lacks."""
    problems = _reference_problems(rules, known)
    if problems:
        raise InvalidRules(Issue(source, format_path(loc), message) for loc, message in problems)


@cache
def default_rules() -> LoadedRules:
    """The bundled ``rules/default.yaml`` (validated; no network references checked)."""
    text = resources.files("rules").joinpath("default.yaml").read_text(encoding="utf-8")
    return parse_rules(text, source=DEFAULT_RULES_SOURCE, fmt="yaml")


def rules_json_schema() -> dict[str, object]:
    """JSON Schema of a rules file, for editors (e.g. yaml-language-server)."""
    schema: dict[str, object] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    schema.update(Rules.model_json_schema())
    return schema


def _located(
    source: str, document: ParsedDocument, problems: Iterable[tuple[Loc, str]]
) -> list[Issue]:
    return [
        Issue(source, format_path(loc), message, document.line_of(loc)) for loc, message in problems
    ]


def _unreachable_policies(rules: Rules) -> list[tuple[Loc, str]]:
    """A policy that an earlier one always pre-empts can never apply: surely a mistake."""
    problems: list[tuple[Loc, str]] = []
    for j, later in enumerate(rules.policies):
        for i, earlier in enumerate(rules.policies[:j]):
            if earlier.when.covers(later.when):
                problems.append(
                    (
                        ("policies", j, "when"),
                        f"policy {later.name!r} can never apply: policies[{i}] "
                        f"({earlier.name!r}) comes first and matches every order it would match",
                    )
                )
                break
    return problems


def _reference_problems(rules: Rules, known: NetworkRefs) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    for i, policy in enumerate(rules.policies):
        group = policy.sources.location_group
        if group is not None and group not in known.group_ids:
            loc: Loc = ("policies", i, "sources", "location_group")
            problems.append((loc, _unknown("location group", group, known.group_ids)))
        for j, location_id in enumerate(policy.sources.exclude_locations):
            if location_id not in known.location_ids:
                loc = ("policies", i, "sources", "exclude_locations", j)
                problems.append((loc, _unknown("location", location_id, known.location_ids)))
    return problems


def _unknown(what: str, name: str, known: frozenset[str]) -> str:
    message = f"unknown {what} {name!r} (not in the network)"
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        return f"{message}; did you mean {close[0]!r}?"
    if known and len(known) <= 12:
        return f"{message}; expected one of: {', '.join(sorted(known))}"
    return message
