"""Scope names: parsed from a list or comma-separated text, all known, at least one."""

from __future__ import annotations

import pytest

from access.errors import InvalidKeyRequest
from access.scopes import ALL_SCOPES, SCOPE_NAMES, Scope, parse_scopes


def test_there_are_six_scopes_and_admin_is_one_of_them() -> None:
    assert SCOPE_NAMES == "checkout, orders, store, agent, ops, admin"
    assert Scope.admin in ALL_SCOPES
    assert len(ALL_SCOPES) == 6


@pytest.mark.parametrize(
    "names",
    [["ops", "admin"], "ops,admin", " ops , admin ,", ["admin", "ops", "ops"]],
    ids=repr,
)
def test_scopes_parse_from_a_list_or_comma_separated_text(names: list[str] | str) -> None:
    assert parse_scopes(names) == {Scope.ops, Scope.admin}


def test_every_scope_parses_from_its_own_name() -> None:
    assert parse_scopes([scope.value for scope in Scope]) == ALL_SCOPES


@pytest.mark.parametrize("name", ["Admin", "OPS", "root", "all", "*", "ops;admin"], ids=repr)
def test_names_are_exact_and_lowercase(name: str) -> None:
    with pytest.raises(InvalidKeyRequest) as refused:
        parse_scopes(name)
    assert refused.value.field == "scopes"
    assert f"unknown scope {name!r}" in refused.value.message


@pytest.mark.parametrize("names", [[], "", ",,", ["  "]], ids=repr)
def test_at_least_one_scope_is_needed(names: list[str] | str) -> None:
    with pytest.raises(InvalidKeyRequest, match="scopes: give at least one scope: checkout, "):
        parse_scopes(names)
