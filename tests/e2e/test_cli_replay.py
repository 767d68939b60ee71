"""``omniroute replay``: the same wave under two rules files, written as replay.json and a
self-contained replay.html, the KPIs printed side by side; bad orders lines reported by
number (both rule sets see the same accepted orders), a bad rules file exit 2 in one line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from tests.e2e.conftest import DATA
from tests.e2e.test_cli_wave import NOW, ORDERS, order, write_orders

DOCUMENT_KEYS = {
    "rules",
    "strategy",
    "orders",
    "kpis",
    "locations",
    "changed_orders_count",
    "changed_orders",
    "distributions",
    "lines_rejected",
}
# The ship policy of tests/e2e/data/rules.yaml, without its nearest warehouse.
RULES_B = (
    (DATA / "rules.yaml")
    .read_text()
    .replace(
        "      location_group: ONLINE\n",
        "      location_group: ONLINE\n      exclude_locations: [DC01]\n",
    )
)


def rules_b(tmp_path: Path, text: str = RULES_B) -> Path:
    path = tmp_path / "rules-b.yaml"
    path.write_text(text)
    return path


def replay(tmp_path: Path, orders: Path, rules_b: Path, *extra: str) -> Result:
    args = ["replay", "--rules-a", str(DATA / "rules.yaml"), "--rules-b", str(rules_b)]
    args += ["--orders", str(orders), "--network", str(DATA / "network.json")]
    args += ["--inventory", str(DATA / "inventory.csv"), "--now", NOW]
    return CliRunner().invoke(app, [*args, "--out", str(tmp_path / "report"), *extra])


def document_of(tmp_path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((tmp_path / "report" / "replay.json").read_text())
    return loaded


def html_of(tmp_path: Path) -> str:
    return (tmp_path / "report" / "replay.html").read_text()


def test_replay_writes_the_json_and_the_html_and_prints_the_kpis_of_a_and_b(
    tmp_path: Path,
) -> None:
    result = replay(tmp_path, write_orders(tmp_path, ORDERS), rules_b(tmp_path))
    assert result.exit_code == 0, result.output
    document = document_of(tmp_path)
    assert set(document) == DOCUMENT_KEYS
    assert (document["orders"], document["strategy"], document["lines_rejected"]) == (
        6,
        "sequential",
        0,
    )
    assert document["rules"]["a"]["name"] == "rules.yaml"
    assert document["rules"]["b"]["name"] == "rules-b.yaml"
    assert document["rules"]["a"]["version"] != document["rules"]["b"]["version"]
    for row in document["kpis"]:
        assert set(row) == {"metric", "a", "b", "difference"}
    assert {row["location_id"] for row in document["locations"]} == {
        "DC01",
        "DC02",
        "ST01",
        "ST02",
        "ST03",
    }
    assert set(document["distributions"]) == {"distance_km", "fulfillment_orders"}
    assert "Rules replay (sequential, 6 orders" in result.stdout
    for row in ("total cost", "routing cost", "fill rate", "FOs per order", "difference"):
        assert row in result.stdout


def test_the_excluded_warehouse_loses_its_load_and_its_orders_are_listed_with_the_fence(
    tmp_path: Path,
) -> None:
    result = replay(tmp_path, write_orders(tmp_path, ORDERS), rules_b(tmp_path))
    assert result.exit_code == 0, result.output
    document = document_of(tmp_path)
    dc01 = next(row for row in document["locations"] if row["location_id"] == "DC01")
    assert dc01["units_a"] > 0
    assert dc01["units_b"] == 0
    assert document["changed_orders_count"] == len(document["changed_orders"]) > 0
    for changed in document["changed_orders"]:
        if "DC01" in {fo["location_id"] for fo in changed["a"]["route"]}:
            assert {"location_id": "DC01", "excluded_by": "exclude_locations"} in changed["b"][
                "excluded"
            ]
    html = html_of(tmp_path)
    assert "DC01 (exclude_locations)" in html


def test_the_html_report_is_self_contained_with_inline_svg_charts(tmp_path: Path) -> None:
    result = replay(tmp_path, write_orders(tmp_path, ORDERS), rules_b(tmp_path))
    assert result.exit_code == 0, result.output
    html = html_of(tmp_path)
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") >= 5  # cost, splits, fill, distances, FO counts, the map
    assert not re.search(r"https?://", html)
    assert "<script" not in html
    assert "<link" not in html
    assert "url(" not in html


def test_text_from_the_files_is_escaped_in_the_html(tmp_path: Path) -> None:
    orders = [*ORDERS, order("<b>x&y</b>", ("SKU-1", 3))]
    result = replay(tmp_path, write_orders(tmp_path, orders), rules_b(tmp_path))
    assert result.exit_code == 0, result.output
    assert "<b>x&y</b>" in {o["order_id"] for o in document_of(tmp_path)["changed_orders"]}
    html = html_of(tmp_path)
    assert "&lt;b&gt;x&amp;y&lt;/b&gt;" in html
    assert "<b>x&y</b>" not in html


def test_the_same_rules_twice_change_no_route(tmp_path: Path) -> None:
    same = rules_b(tmp_path, (DATA / "rules.yaml").read_text())
    result = replay(tmp_path, write_orders(tmp_path, ORDERS), same, "--strategy", "optimize")
    assert result.exit_code == 0, result.output
    document = document_of(tmp_path)
    assert document["changed_orders"] == []
    assert all(row["difference"] == 0 for row in document["kpis"])
    assert "None: every order ships the same units" in html_of(tmp_path)


def test_a_malformed_orders_line_is_reported_and_both_rule_sets_replay_the_others(
    tmp_path: Path,
) -> None:
    lines = [*ORDERS[:2], "{this is not json", *ORDERS[2:]]
    result = replay(tmp_path, write_orders(tmp_path, lines), rules_b(tmp_path))
    assert result.exit_code == 1, result.output
    (rejected,) = result.stderr.splitlines()
    assert rejected.startswith("line 3: ")
    assert "not valid JSON" in rejected
    document = document_of(tmp_path)
    assert (document["orders"], document["lines_rejected"]) == (6, 1)
    for row in document["kpis"]:
        if row["metric"] == "units_ordered":
            assert row["a"] == row["b"] == 16


BAD_RULES = {
    "not-a-mapping": "- just\n- a list\n",
    "bad-field": "version: 1\npolicies:\n  - name: ship\n    split: {max_locations: 0}\n",
    "unknown-location": RULES_B.replace("[DC01]", "[NOWHERE]"),
    "not-yaml": "policies: [unclosed\n",
}


@pytest.mark.parametrize("text", BAD_RULES.values(), ids=BAD_RULES.keys())
def test_a_bad_rules_file_exits_2_with_one_line_naming_it(tmp_path: Path, text: str) -> None:
    bad = rules_b(tmp_path, text)
    result = replay(tmp_path, write_orders(tmp_path, ORDERS), bad)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert str(bad) in line
    assert "Traceback" not in result.output
    assert not (tmp_path / "report" / "replay.json").exists()


def test_a_missing_rules_file_exits_2_with_one_line_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = replay(tmp_path, write_orders(tmp_path, ORDERS), missing)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert str(missing) in line
