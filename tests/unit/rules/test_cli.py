"""`omniroute rules validate` and `omniroute rules schema`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from api.cli_rules import rules_app
from rules.loader import load_rules, rules_json_schema

from .support import as_yaml, full_rules, tiny_network, with_value

app = typer.Typer()
app.add_typer(rules_app, name="rules")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, ["rules", *map(str, args)])


@pytest.fixture
def network_file(tmp_path: Path) -> Path:
    path = tmp_path / "network.json"
    path.write_text(tiny_network().model_dump_json())
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_valid_file_exits_0_with_one_ok_line_naming_its_version(tmp_path: Path) -> None:
    path = write(tmp_path, "rules.yaml", as_yaml(full_rules()))
    result = run("validate", path)
    assert result.exit_code == 0
    assert result.stdout == f"ok: {path} version {load_rules(path).version}\n"
    assert result.stderr == ""


def test_valid_file_against_a_network_exits_0(tmp_path: Path, network_file: Path) -> None:
    path = write(tmp_path, "rules.yaml", as_yaml(full_rules()))
    assert run("validate", path, "--network", network_file).exit_code == 0


def test_bundled_default_rules_validate_from_the_cli(network_file: Path) -> None:
    assert run("validate", "rules/default.yaml", "--network", network_file).exit_code == 0


def test_invalid_file_exits_2_with_one_line_per_issue_on_stderr(tmp_path: Path) -> None:
    document = with_value(full_rules(), ("policies", 1, "split", "max_locations"), 0)
    document = with_value(document, ("policies", 1, "cost", "per_km"), -1)
    path = write(tmp_path, "rules.yaml", as_yaml(document))
    result = run("validate", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        f"{path}: policies[1].split.max_locations: expected an integer >= 1, got 0"
    )
    assert lines[1].startswith(f"{path}: policies[1].cost.per_km: expected a number >= 0")
    assert "Traceback" not in result.stderr


def test_unknown_group_in_the_network_exits_2(tmp_path: Path, network_file: Path) -> None:
    document = with_value(full_rules(), ("policies", 1, "sources", "location_group"), "EAST")
    path = write(tmp_path, "rules.yaml", as_yaml(document))
    result = run("validate", path, "--network", network_file)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: policies[1].sources.location_group: unknown")


def test_yaml_syntax_error_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "rules.yaml", "policies:\n  - name: [a\n")
    result = run("validate", path)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"{path}: invalid YAML at line")


def test_missing_rules_file_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "absent.yaml")
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path / 'absent.yaml'}: file not found\n"


def test_directory_instead_of_a_file_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run("validate", tmp_path)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1


def test_missing_network_file_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "rules.yaml", as_yaml(full_rules()))
    result = run("validate", path, "--network", tmp_path / "net.json")
    assert result.exit_code == 2
    assert result.stderr == f"{tmp_path / 'net.json'}: file not found\n"


def test_invalid_network_file_exits_2_naming_the_network_field(tmp_path: Path) -> None:
    network = tiny_network().model_dump(mode="json")
    network["locations"][0]["lat"] = "north"
    network_path = write(tmp_path, "net.json", json.dumps(network))
    path = write(tmp_path, "rules.yaml", as_yaml(full_rules()))
    result = run("validate", path, "--network", network_path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"{network_path}: locations[0].lat: expected a number, got the string 'north'\n"
    )


def test_unparsable_network_file_exits_2_with_one_line(tmp_path: Path) -> None:
    network_path = write(tmp_path, "net.json", '{"locations": [')
    path = write(tmp_path, "rules.yaml", as_yaml(full_rules()))
    result = run("validate", path, "--network", network_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{network_path}: invalid JSON at line 1")
    assert len(result.stderr.splitlines()) == 1


def test_schema_prints_the_json_schema_indented() -> None:
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == rules_json_schema()
    assert result.stdout.startswith('{\n  "$schema"')
