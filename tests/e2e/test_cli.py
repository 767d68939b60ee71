"""The omniroute CLI: JSON Lines previews, and exit 2 with one line for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.e2e.conftest import DATA

ROOT = Path(__file__).resolve().parents[2]


def preview_args(**overrides: str) -> list[str]:
    files = {
        "network": str(DATA / "network.json"),
        "inventory": str(DATA / "inventory.csv"),
        "rules": str(DATA / "rules.yaml"),
        "orders": str(DATA / "orders.jsonl"),
    }
    files.update(overrides)
    args = ["preview"]
    for name, value in files.items():
        args += [f"--{name}", value]
    return [*args, "--now", "2026-11-27T10:00:00+00:00"]


def test_preview_prints_one_answer_per_order() -> None:
    result = CliRunner().invoke(app, preview_args())
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["order_id"] for a in answers] == ["O1", "O2", "O3"]
    assert answers[0]["status"] == "routable"
    assert answers[2]["status"] == "unroutable"


def test_preview_is_deterministic() -> None:
    first = CliRunner().invoke(app, preview_args()).stdout
    assert CliRunner().invoke(app, preview_args()).stdout == first


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


BAD_INPUTS = {
    "negative-quantity": (
        "orders",
        "o.jsonl",
        '{"id":"O","lines":[{"id":"1","sku":"S","quantity":-1}],'
        '"delivery":{"method":"ship","lat":1,"lon":1}}\n',
        "lines[0].quantity",
    ),
    "huge-quantity": (
        "orders",
        "o.jsonl",
        '{"id":"O","lines":[{"id":"1","sku":"S","quantity":' + str(10**30) + "}],"
        '"delivery":{"method":"ship","lat":1,"lon":1}}\n',
        "lines[0].quantity: expected an integer <= 1,000,000",
    ),
    "malformed-order": ("orders", "o.jsonl", "{this is not json\n", "o.jsonl:1"),
    "unknown-delivery-method": (
        "orders",
        "o.jsonl",
        '{"id":"O","lines":[{"id":"1","sku":"S","quantity":1}],"delivery":{"method":"boat"}}\n',
        "delivery",
    ),
    "pickup-at-unknown-location": (
        "orders",
        "o.jsonl",
        '{"id":"O","lines":[{"id":"1","sku":"S","quantity":1}],'
        '"delivery":{"method":"pickup","location_id":"NOWHERE"}}\n',
        "delivery.location_id",
    ),
    "rules-unknown-key": (
        "rules",
        "r.yaml",
        "version: 1\npolicies:\n  - name: x\n    colour: red\n",
        "policies[0].colour",
    ),
    "rules-bad-value": (
        "rules",
        "r.yaml",
        "version: 1\npolicies:\n  - name: x\n    split: {max_locations: 0}\n",
        "policies[0].split.max_locations",
    ),
    "csv-non-numeric": (
        "inventory",
        "i.csv",
        "location_id,sku,on_hand,safety_stock\nDC01,SKU-1,many,0\n",
        "on_hand",
    ),
    "missing-file": ("network", "absent.json", "", "absent.json"),
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_exits_2_with_one_line_naming_the_field(
    tmp_path: Path, case: tuple[str, str, str, str]
) -> None:
    option, name, text, expected = case
    path = write(tmp_path, name, text) if text else str(tmp_path / name)
    result = CliRunner().invoke(app, preview_args(**{option: path}))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_the_installed_command_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, "r.yaml", "version: 1\npolicies: []\n")
    command = [sys.executable, "-m", "api.cli", *preview_args(rules=bad)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_serve_refuses_several_workers_without_redis(tmp_path: Path) -> None:
    env = {**os.environ, "OMNIROUTE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    env.pop("OMNIROUTE_REDIS_URL", None)
    command = [sys.executable, "-m", "api.cli", "serve", "--workers", "2"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    assert done.returncode == 2
    assert "OMNIROUTE_REDIS_URL" in done.stderr


@pytest.mark.parametrize(
    "args",
    [["preview", "--network", "n.json"], ["preview", *preview_args()[1:], "--max-routes", "0"]],
    ids=["missing-option", "bad-flag-value"],
)
def test_usage_errors_get_one_line_and_exit_2(args: list[str]) -> None:
    command = [sys.executable, "-m", "api.cli", *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("error: ")
