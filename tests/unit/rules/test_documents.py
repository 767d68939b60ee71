"""load_document: the JSON/YAML reader shared by rules and network files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rules.errors import DocumentError, RulesError
from rules.loader import load_document

from .support import tiny_network


def test_json_and_yaml_files_give_the_same_data(tmp_path: Path) -> None:
    document = tiny_network().model_dump(mode="json")
    (tmp_path / "n.json").write_text(json.dumps(document))
    (tmp_path / "n.yaml").write_text(json.dumps(document, indent=2))  # JSON is YAML too
    assert load_document(tmp_path / "n.json") == load_document(tmp_path / "n.yaml") == document


def test_key_written_twice_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "n.yaml"
    path.write_text("locations: []\nlocation_groups: []\nlocations: []\n")
    with pytest.raises(DocumentError) as caught:
        load_document(path)
    assert caught.value.issue.line == 3
    assert str(caught.value) == (
        f"{path}: invalid YAML at line 3, column 1: duplicate key 'locations'"
    )


def test_unreadable_file_is_a_rules_error_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(RulesError) as caught:
        load_document(tmp_path / "missing.yaml")
    assert str(caught.value) == f"{tmp_path / 'missing.yaml'}: file not found"


def test_control_characters_are_one_line_errors(tmp_path: Path) -> None:
    path = tmp_path / "n.yaml"
    path.write_text("a: \x01\n")
    with pytest.raises(DocumentError) as caught:
        load_document(path)
    assert "\n" not in str(caught.value)
    assert "not allowed" in str(caught.value)
