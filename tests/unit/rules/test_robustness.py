"""Whatever an editor produces, loading gives rules or InvalidRules, never another error."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.errors import InvalidRules
from rules.loader import NetworkRefs, parse_rules

from .support import as_yaml, full_rules, tiny_network, with_value

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def paths(node: Any, prefix: tuple[int | str, ...] = ()) -> list[tuple[int | str, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


ALL_PATHS = paths(full_rules())


def loads_or_reports(text: str | bytes) -> None:
    try:
        parse_rules(text, source="r.yaml", known=NetworkRefs.from_network(tiny_network()))
    except InvalidRules as exc:
        assert exc.issues
        for issue in exc.issues:
            assert issue.source == "r.yaml" and issue.message
            assert "\n" not in str(issue)


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(ALL_PATHS), value=VALUES)
def test_any_value_at_any_field_loads_or_is_reported(
    path: tuple[int | str, ...], value: Any
) -> None:
    document = with_value(full_rules(), path, value)
    loads_or_reports(as_yaml(document))
    loads_or_reports(json.dumps(document))


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("{}[]:,-#'\"\n\t &*!|>%@`ab1 "), max_size=40))
def test_arbitrary_text_loads_or_is_reported(text: str) -> None:
    loads_or_reports(text)
    loads_or_reports("policies:\n  - name: a\n" + text)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=40))
def test_arbitrary_bytes_load_or_are_reported(data: bytes) -> None:
    loads_or_reports(data)
