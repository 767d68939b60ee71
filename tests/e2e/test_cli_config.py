"""``omniroute config apply|show`` against the configured database (and Redis)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from api.cli import app
from flows.access import cli_actor
from flows.bootstrap import bootstrap
from flows.settings import Settings
from tests.conftest import delete_redis_prefix
from tests.e2e.conftest import DATA
from tests.e2e.test_http_config import OWN_NETWORK, OWN_RULES

SETTINGS = (
    "OMNIROUTE_DATABASE_URL",
    "OMNIROUTE_REDIS_URL",
    "OMNIROUTE_REDIS_PREFIX",
    "OMNIROUTE_RULES",
    "OMNIROUTE_NETWORK",
    "OMNIROUTE_INVENTORY",
    "OMNIROUTE_SAMPLE_DATA",
    "OMNIROUTE_SAMPLE_SKUS",
)
OWN_STOCK_CSV = "location_id,sku,on_hand,safety_stock\nNJ1,SKU-1,10,0\nCA1,SKU-1,40,0\n"


def invoke(env: dict[str, str], *args: str) -> Result:
    # Every setting not in ``env`` is unset, so the calling shell cannot leak into the test.
    full: dict[str, str | None] = {name: None for name in SETTINGS}
    full.update(env)
    return CliRunner().invoke(app, ["config", *args], env=full)


def one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(params=["embedded", "production"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Settings of a service seeded from tests/e2e/data (its rules name ONLINE)."""
    settings = {
        "OMNIROUTE_NETWORK": str(DATA / "network.json"),
        "OMNIROUTE_RULES": str(DATA / "rules.yaml"),
        "OMNIROUTE_INVENTORY": str(DATA / "inventory.csv"),
    }
    if request.param == "embedded":
        settings["OMNIROUTE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'omniroute.db'}"
    else:
        redis_url: str = request.getfixturevalue("redis_url")
        settings["OMNIROUTE_DATABASE_URL"] = request.getfixturevalue("postgres_schema_url")
        settings["OMNIROUTE_REDIS_URL"] = redis_url
        settings["OMNIROUTE_REDIS_PREFIX"] = f"test-{uuid.uuid4().hex[:10]}"
    bootstrap(Settings.from_env(settings)).close()  # the running service's first start
    yield settings
    if request.param == "production":
        delete_redis_prefix(settings["OMNIROUTE_REDIS_URL"], settings["OMNIROUTE_REDIS_PREFIX"])


def show(env: dict[str, str]) -> dict[str, Any]:
    result = invoke(env, "show")
    assert result.exit_code == 0, result.output
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


def own_files(tmp_path: Path) -> list[str]:
    network = write(tmp_path, "network.yaml", yaml.safe_dump(OWN_NETWORK))
    rules = write(tmp_path, "rules.yaml", OWN_RULES)
    stock = write(tmp_path, "stock.csv", OWN_STOCK_CSV)
    return ["--network", str(network), "--rules", str(rules), "--inventory", str(stock)]


def test_apply_switches_network_rules_and_stock_and_prints_the_version(
    env: dict[str, str], tmp_path: Path
) -> None:
    before = show(env)

    result = invoke(env, "apply", *own_files(tmp_path))

    assert result.exit_code == 0, result.output
    applied = json.loads(result.stdout)
    assert applied["changed"] is True
    assert applied["version"] != before["version"]
    assert applied["rules"]["source"] == str(tmp_path / "rules.yaml")
    assert applied["inventory"]["records"] == 2
    shown = show(env)
    assert shown["version"] == applied["version"]
    assert shown["network"]["group_ids"] == ["EAST", "WEST"]
    assert [(h["change"], h["activated_by"]) for h in shown["history"]] == [
        ("config", cli_actor()),
        ("initial", None),
    ]
    assert cli_actor().startswith("cli:")
    # What a service starting now (or refreshing) routes with.
    services = bootstrap(Settings.from_env(env), seed_inventory=False)
    try:
        assert services.config().rules.version == applied["rules"]["version"]
        assert services.inventory.availability("CA1", "SKU-1").on_hand == 40
    finally:
        services.close()


def test_apply_with_json_rules_and_a_json_stock_list(env: dict[str, str], tmp_path: Path) -> None:
    network = write(tmp_path, "network.json", json.dumps(OWN_NETWORK))
    rules = write(tmp_path, "rules.json", json.dumps(yaml.safe_load(OWN_RULES)))
    stock = write(
        tmp_path, "stock.json", json.dumps([{"location_id": "NY1", "sku": "S", "on_hand": 1}])
    )
    args = ["--network", str(network), "--rules", str(rules), "--inventory", str(stock)]
    result = invoke(env, "apply", *args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inventory"]["records"] == 1
    again = invoke(env, "apply", "--network", str(network), "--rules", str(rules))
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["changed"] is False


@pytest.mark.parametrize(
    ("file", "text", "field"),
    [
        (
            "rules.yaml",
            OWN_RULES.replace("EAST}\n    split", "MARS}\n    split"),
            "rules.policies[1].sources.location_group",
        ),
        (
            "network.yaml",
            yaml.safe_dump(
                {**OWN_NETWORK, "locations": [{**OWN_NETWORK["locations"][0], "lat": 99}]}
            ),
            "network.locations[0].lat",
        ),
        ("stock.csv", OWN_STOCK_CSV + "DC01,SKU-1,1,0\n", "inventory row 4.location_id"),
        ("stock.csv", OWN_STOCK_CSV + "NJ1,SKU-2,lots,0\n", "inventory row 4.on_hand"),
    ],
    ids=["unknown-group", "bad-latitude", "old-location", "text-count"],
)
def test_a_bad_file_exits_2_with_one_line_naming_part_and_field_and_changes_nothing(
    env: dict[str, str], tmp_path: Path, file: str, text: str, field: str
) -> None:
    args = own_files(tmp_path)
    write(tmp_path, file, text)
    before = show(env)
    message = one_error_line(invoke(env, "apply", *args))
    assert message.startswith("error: invalid config: ")
    assert field in message, message
    assert show(env) == before


def test_a_missing_file_exits_2_with_one_line(env: dict[str, str], tmp_path: Path) -> None:
    args = own_files(tmp_path)
    (tmp_path / "rules.yaml").unlink()
    message = one_error_line(invoke(env, "apply", *args))
    assert "--rules" in message and "rules.yaml" in message
    missing_network = [*args[:1], str(tmp_path / "nope.json"), *args[2:]]
    assert "nope.json" in one_error_line(invoke(env, "apply", *missing_network))
