"""``omniroute wave``: a plan of one preview answer per order, the KPIs as a table and as JSON,
bad lines reported by number without losing the rest, exit 2 for files it cannot use."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from engine.answer import PreviewAnswer
from flows.wave_ray import RAY_MISSING
from tests.e2e.conftest import DATA
from tests.support.fixtures import _missing

NOW = "2026-11-27T10:00:00+00:00"
STRATEGIES = ("optimize", "sequential", "fewest_splits", "nearest")
NEW_YORK = {"method": "ship", "lat": 40.7, "lon": -74.0, "country": "US"}


def order(order_id: str, *lines: tuple[str, int], **delivery: Any) -> str:
    return json.dumps(
        {
            "id": order_id,
            "lines": [
                {"id": str(i), "sku": sku, "quantity": qty}
                for i, (sku, qty) in enumerate(lines, start=1)
            ],
            "delivery": delivery or NEW_YORK,
        }
    )


# Six orders near New York competing for the little SKU-2 stock there, and one pickup.
ORDERS = [
    order("W1", ("SKU-1", 2)),
    order("W2", ("SKU-2", 2), ("SKU-1", 1)),
    order("W3", ("SKU-2", 3)),
    order("W4", ("SKU-1", 1), ("SKU-2", 1)),
    order("W5", ("SKU-1", 2), method="pickup", location_id="ST03"),
    order("W6", ("SKU-2", 4)),
]


def write_orders(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "orders.jsonl"
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def wave(
    orders: Path,
    out: Path,
    *extra: str,
    network: Path = DATA / "network.json",
    inventory: Path = DATA / "inventory.csv",
    rules: Path = DATA / "rules.yaml",
) -> Result:
    args = ["wave", "--network", str(network), "--inventory", str(inventory)]
    args += ["--rules", str(rules), "--orders", str(orders), "--out", str(out), "--now", NOW]
    return CliRunner().invoke(app, [*args, *extra])


def plan_of(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text().splitlines()]


def kpis_of(out: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(out.with_suffix(".kpis.json").read_text())
    return loaded


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_writes_one_answer_per_order_and_the_kpis(
    tmp_path: Path, strategy: str
) -> None:
    out = tmp_path / "plan.jsonl"
    result = wave(write_orders(tmp_path, ORDERS), out, "--strategy", strategy, "--time-limit", "5")
    assert result.exit_code == 0, result.output
    plan = plan_of(out)
    assert [answer["order_id"] for answer in plan] == ["W1", "W2", "W3", "W4", "W5", "W6"]
    for answer in plan:
        PreviewAnswer.model_validate(answer)
        assert len(answer["routes"]) == (0 if answer["status"] == "unroutable" else 1)
    figures = kpis_of(out)
    assert figures["strategy"] == strategy
    assert (figures["orders"], figures["units_ordered"], figures["lines_rejected"]) == (6, 16, 0)
    filled = sum(
        line["quantity"]
        for answer in plan
        for route in answer["routes"]
        for fo in route["fulfillment_orders"]
        for line in fo["lines"]
    )
    assert figures["units_filled"] == filled == sum(figures["load"].values())
    assert figures["fill_rate"] == pytest.approx(filled / 16, abs=1e-6)
    assert f"Wave KPIs ({strategy})" in result.stdout
    for row in ("total cost", "fill rate", "FOs per order", "average distance", "Load per"):
        assert row in result.stdout


def test_optimize_reports_its_lower_bound_and_gap(tmp_path: Path) -> None:
    out = tmp_path / "plan.jsonl"
    result = wave(write_orders(tmp_path, ORDERS), out, "--time-limit", "5")
    assert result.exit_code == 0, result.output
    figures = kpis_of(out)
    assert figures["lower_bound"] is not None
    assert figures["lower_bound"] <= figures["total_cost"] + 1e-6
    assert "lower bound" in result.stdout
    assert "gap" in result.stdout


BAD_LINES = {
    "not-json": ("{this is not json", "not valid JSON"),
    "negative-quantity": (order("BAD", ("SKU-1", -1)), "lines[0].quantity"),
    "unknown-pickup-store": (
        order("BAD", ("SKU-1", 1), method="pickup", location_id="NOWHERE"),
        "delivery.location_id: unknown pickup location 'NOWHERE'",
    ),
    "unknown-delivery-method": (
        order("BAD", ("SKU-1", 1), **{**NEW_YORK, "delivery_method_id": "TELEPORT"}),
        "unknown delivery method 'TELEPORT'",
    ),
    "repeated-order-id": (ORDERS[0], "order 'W1' is already on line 1"),
    "not-utf8": ("\udcff", "not UTF-8"),
}


@pytest.mark.parametrize("case", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_a_malformed_line_is_reported_with_its_number_and_the_other_orders_are_planned(
    tmp_path: Path, case: tuple[str, str]
) -> None:
    bad, expected = case
    path = tmp_path / "orders.jsonl"
    lines = [*ORDERS[:2], bad, *ORDERS[2:]]
    path.write_bytes(b"".join(line.encode("utf-8", "surrogateescape") + b"\n" for line in lines))
    out = tmp_path / "plan.jsonl"
    result = wave(path, out, "--strategy", "sequential")
    assert result.exit_code == 1, result.output
    (rejected,) = result.stderr.splitlines()  # one line, however long its message
    assert rejected.startswith("line 3: ")
    assert expected in rejected
    assert [a["order_id"] for a in plan_of(out)] == ["W1", "W2", "W3", "W4", "W5", "W6"]
    assert kpis_of(out)["lines_rejected"] == 1


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    out = tmp_path / "plan.jsonl"
    result = wave(write_orders(tmp_path, [ORDERS[0], "", "   ", ORDERS[1]]), out)
    assert result.exit_code == 0, result.output
    assert [a["order_id"] for a in plan_of(out)] == ["W1", "W2"]


def test_an_unknown_sku_is_left_unfilled(tmp_path: Path) -> None:
    out = tmp_path / "plan.jsonl"
    lines = [order("U1", ("SKU-1", 1), ("SKU-404", 2)), order("U2", ("SKU-404", 1))]
    result = wave(write_orders(tmp_path, lines), out, "--strategy", "sequential")
    assert result.exit_code == 0, result.output
    partial, unknown = plan_of(out)
    assert partial["status"] == "partial"
    assert partial["routes"][0]["unfilled"] == [{"line_id": "2", "sku": "SKU-404", "quantity": 2}]
    assert (unknown["status"], unknown["reason"]) == (
        "unroutable",
        "no stock at eligible locations",
    )


def test_the_same_input_and_seed_give_byte_identical_plan_files(tmp_path: Path) -> None:
    orders = write_orders(tmp_path, ORDERS)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    for out in (first, second):
        result = wave(orders, out, "--seed", "7", "--time-limit", "10")
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    assert first.with_suffix(".kpis.json").read_bytes() == (
        second.with_suffix(".kpis.json").read_bytes()
    )


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_locations_daily_capacity_caps_the_units_it_takes(tmp_path: Path, strategy: str) -> None:
    document = json.loads((DATA / "network.json").read_text())
    for location in document["locations"]:
        if location["id"] == "DC01":
            location["daily_capacity_units"] = 2
    network = tmp_path / "network.json"
    network.write_text(json.dumps(document))
    out = tmp_path / "plan.jsonl"
    result = wave(write_orders(tmp_path, ORDERS), out, "--strategy", strategy, network=network)
    assert result.exit_code == 0, result.output
    assert kpis_of(out)["load"].get("DC01", 0) <= 2


@pytest.mark.parametrize("missing", ["network", "inventory", "rules", "orders"])
def test_a_missing_file_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, missing: str
) -> None:
    files: dict[str, Path] = {
        "network": DATA / "network.json",
        "inventory": DATA / "inventory.csv",
        "rules": DATA / "rules.yaml",
    }
    orders = write_orders(tmp_path, ORDERS)
    absent = tmp_path / f"absent-{missing}.json"
    if missing == "orders":
        orders = absent
    else:
        files[missing] = absent
    out = tmp_path / "plan.jsonl"
    result = wave(orders, out, **files)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert absent.name in lines[0]
    assert not out.exists()


def test_a_plan_in_a_missing_directory_exits_2(tmp_path: Path) -> None:
    result = wave(write_orders(tmp_path, ORDERS), tmp_path / "nowhere" / "plan.jsonl")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: --out: {tmp_path / 'nowhere'} is not a directory"
    ]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--time-limit", "0"], "--time-limit"),
        (["--time-limit", "nan"], "--time-limit"),
        (["--now", "yesterday"], "--now"),
        (["--strategy", "cheapest"], "cheapest"),
        (["--executor", "cluster"], "cluster"),
        (["--ray-address", "auto"], "--ray-address: only with --executor ray"),
        (["--max-steps", "-1"], "--max-steps"),
        (["--max-nodes", "0"], "--max-nodes"),
    ],
    ids=[
        "zero-time-limit",
        "nan-time-limit",
        "bad-now",
        "unknown-strategy",
        "unknown-executor",
        "ray-address-without-ray",
        "negative-max-steps",
        "no-max-nodes",
    ],
)
def test_a_bad_flag_exits_2(tmp_path: Path, flags: list[str], expected: str) -> None:
    result = wave(write_orders(tmp_path, ORDERS), tmp_path / "plan.jsonl", *flags)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_help_states_the_exit_statuses() -> None:
    result = CliRunner().invoke(app, ["wave", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "0 when every line was read, 1 when some lines were rejected" in text


def test_workers_take_a_count_from_1(tmp_path: Path) -> None:
    orders = write_orders(tmp_path, ORDERS)
    done = wave(orders, tmp_path / "plan.jsonl", "--workers", "2", "--time-limit", "5")
    assert done.exit_code == 0, done.output
    assert len(plan_of(tmp_path / "plan.jsonl")) == len(ORDERS)
    refused = wave(orders, tmp_path / "other.jsonl", "--workers", "0")
    assert refused.exit_code == 2
    assert "--workers" in refused.output


def test_the_ray_executor_plans_the_wave_as_in_this_process(tmp_path: Path) -> None:
    """A local Ray instance of --workers CPUs, started and stopped by the command."""
    if importlib.util.find_spec("ray") is None:
        _missing("ray", "install the extra: pip install -e '.[ray]' (or '.[dev]')")
    orders = write_orders(tmp_path, ORDERS)
    here, spread = tmp_path / "here.jsonl", tmp_path / "ray.jsonl"
    done = wave(orders, here, "--seed", "3", "--time-limit", "10")
    assert done.exit_code == 0, done.output
    done = wave(orders, spread, "--seed", "3", "--time-limit", "10", "--executor", "ray")
    assert done.exit_code == 0, done.output
    assert spread.read_bytes() == here.read_bytes()


def test_without_ray_the_ray_executor_exits_2_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as if not installed
    out = tmp_path / "plan.jsonl"
    result = wave(write_orders(tmp_path, ORDERS), out, "--executor", "ray", "--workers", "2")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"error: {RAY_MISSING}"]
    assert not out.exists()
