"""The ``Authorization`` header, a key's secret, hash and hint, and what a new key may be."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from access.errors import InvalidKeyRequest, Unauthenticated
from access.keys import (
    HINT_LENGTH,
    KEY_PREFIX,
    MAX_LOCATIONS,
    MAX_NAME,
    ApiKey,
    KeyRequest,
    bearer_token,
    key_hash,
    key_hint,
    new_secret,
)
from access.scopes import Scope

TOKEN = "omr_" + "a1B2-c3_D4" * 3


# -- the Authorization header ---------------------------------------------------------------


def test_a_bearer_header_gives_its_key() -> None:
    assert bearer_token(f"Bearer {TOKEN}") == TOKEN


@pytest.mark.parametrize(
    "header", [f"bearer {TOKEN}", f"BEARER {TOKEN}", f"  Bearer   {TOKEN}  "], ids=repr
)
def test_the_scheme_is_case_insensitive_and_spaces_around_the_key_do_not_matter(
    header: str,
) -> None:
    assert bearer_token(header) == TOKEN


@pytest.mark.parametrize("header", [None, "", "   "], ids=repr)
def test_a_missing_header_says_how_to_send_a_key(header: str | None) -> None:
    with pytest.raises(Unauthenticated, match=r"missing API key.*Authorization: Bearer <key>"):
        bearer_token(header)


@pytest.mark.parametrize("header", [f"Basic {TOKEN}", f"Token {TOKEN}", TOKEN], ids=repr)
def test_another_scheme_is_refused_naming_it(header: str) -> None:
    scheme = header.split(" ")[0]
    with pytest.raises(Unauthenticated, match=f"expected 'Bearer <key>', got scheme '{scheme}'"):
        bearer_token(header)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer omr_short",  # under 16 characters
        f"Bearer {'x' * 257}",  # over 256
        f"Bearer {TOKEN}!",
        f"Bearer {TOKEN[:10]} {TOKEN[10:]}",
        f"Bearer {TOKEN}é",
        f"Bearer {TOKEN}=",
        f"Bearer {TOKEN}\x00",
    ],
    ids=[
        "no-key",
        "empty-key",
        "too-short",
        "too-long",
        "bang",
        "inner-space",
        "accent",
        "equals",
        "nul",
    ],
)
def test_a_malformed_key_is_refused_saying_what_a_key_looks_like(header: str) -> None:
    with pytest.raises(Unauthenticated, match="16 to 256 letters, digits, '-' or '_'"):
        bearer_token(header)


# -- the secret, its hash and hint ----------------------------------------------------------


def test_a_new_secret_is_prefixed_random_and_fits_the_header() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith(KEY_PREFIX)
        assert len(secret) == len(KEY_PREFIX) + 43  # 32 random bytes, base64url
        assert bearer_token(f"Bearer {secret}") == secret


def test_the_hash_is_sha256_hex_and_the_hint_a_short_prefix() -> None:
    secret = new_secret()
    assert re.fullmatch(r"[0-9a-f]{64}", key_hash(secret))
    assert key_hash(secret) == key_hash(secret) != key_hash(new_secret())
    assert key_hint(secret) == secret[:HINT_LENGTH]
    assert len(key_hint(secret)) == len(KEY_PREFIX) + 4


# -- a new key's request ---------------------------------------------------------------------


def test_a_request_keeps_its_name_scopes_and_locations() -> None:
    request = KeyRequest.of(" web-1 ", ["checkout", "orders", "checkout"], ["NJ1", " CA1 "])
    assert request == KeyRequest(
        "web-1", frozenset({Scope.checkout, Scope.orders}), frozenset({"NJ1", "CA1"})
    )


def test_scopes_and_locations_may_be_comma_separated_text_as_the_cli_takes_them() -> None:
    request = KeyRequest.of("store-nj", "store, agent,", "NJ1,NY1")
    assert request.scopes == {Scope.store, Scope.agent}
    assert request.locations == {"NJ1", "NY1"}


def test_no_locations_means_every_location() -> None:
    assert KeyRequest.of("web", "checkout").locations is None
    assert KeyRequest.of("web", "checkout", None).locations is None


@pytest.mark.parametrize("name", ["a", "A.b@c:d-e_f", "9lives", "x" * MAX_NAME], ids=repr)
def test_names_of_letters_digits_and_a_few_marks_are_accepted(name: str) -> None:
    assert KeyRequest.of(name, "ops").name == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("x" * (MAX_NAME + 1), f"at most {MAX_NAME} characters, got {MAX_NAME + 1}"),
        ("two words", "letters, digits and _ . @ : - only"),
        ("-leading-dash", "starting with a letter or digit"),
        ("_leading", "starting with a letter or digit"),
        ("slash/y", "letters, digits"),
        ("émile", "letters, digits"),
        ("tab\tname", "letters, digits"),
    ],
    ids=[
        "empty",
        "blank",
        "too-long",
        "space",
        "dash-first",
        "underscore-first",
        "slash",
        "accent",
        "tab",
    ],
)
def test_a_bad_name_is_refused_naming_the_field(name: str, message: str) -> None:
    with pytest.raises(InvalidKeyRequest) as refused:
        KeyRequest.of(name, "ops")
    assert refused.value.field == "name"
    assert message in refused.value.message


def test_an_unknown_scope_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(InvalidKeyRequest) as refused:
        KeyRequest.of("web", ["checkout", "superuser"])
    assert refused.value.field == "scopes"
    assert refused.value.message == (
        "unknown scope 'superuser': expected one of checkout, orders, store, agent, ops, admin"
    )
    assert str(refused.value).startswith("scopes: unknown scope 'superuser'")


@pytest.mark.parametrize("scopes", [[], "", " , ", ["", "  "]], ids=repr)
def test_a_key_without_a_scope_is_refused(scopes: list[str] | str) -> None:
    with pytest.raises(InvalidKeyRequest) as refused:
        KeyRequest.of("web", scopes)
    assert refused.value.field == "scopes"
    assert refused.value.message.startswith("give at least one scope")


@pytest.mark.parametrize("locations", [[], "", ",", [" ", ""]], ids=repr)
def test_an_empty_location_list_is_refused_rather_than_read_as_every_location(
    locations: list[str] | str,
) -> None:
    with pytest.raises(InvalidKeyRequest) as refused:
        KeyRequest.of("store", "store", locations)
    assert refused.value.field == "locations"
    assert "at least one location id, or leave it out" in refused.value.message


def test_too_many_locations_are_refused() -> None:
    with pytest.raises(InvalidKeyRequest) as refused:
        KeyRequest.of("store", "store", [f"L{i}" for i in range(MAX_LOCATIONS + 1)])
    assert refused.value.field == "locations"
    assert KeyRequest.of("store", "store", [f"L{i}" for i in range(MAX_LOCATIONS)]).locations


# -- a stored key ----------------------------------------------------------------------------


def test_a_key_allows_only_its_own_scopes() -> None:
    # (which locations a store key sees is tested over HTTP: tests/e2e/test_http_store_keys.py)
    made = datetime(2026, 1, 1, tzinfo=UTC)
    store = ApiKey("nj", frozenset({Scope.store}), frozenset({"NJ1"}), "omr_abcd", made)
    assert store.allows(Scope.store)
    assert not store.allows(Scope.admin)
