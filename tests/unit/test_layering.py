"""The domain packages stay pure: no adapter library is imported from them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADAPTER_LIBRARIES = {
    "redis",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "psycopg2",
}
REDIS_ADAPTER = {"redis_store.py", "redis_scripts.py", "redis_marker.py", "redis_build.py"}
PURE_MODULES = sorted(
    [
        *ROOT.joinpath("engine").rglob("*.py"),
        *ROOT.joinpath("rules").rglob("*.py"),
        *ROOT.joinpath("summary").rglob("*.py"),
    ]
    + [p for p in ROOT.joinpath("inventory").glob("*.py") if p.name not in REDIS_ADAPTER]
)


def imported_top_level_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", PURE_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module_imports_no_adapter_library(path: Path) -> None:
    assert imported_top_level_names(path).isdisjoint(ADAPTER_LIBRARIES)


def test_layering_check_sees_an_adapter_import(tmp_path: Path) -> None:
    module = tmp_path / "impure.py"
    module.write_text("import json\nfrom redis import Redis\n")
    assert "redis" in imported_top_level_names(module)


@pytest.mark.parametrize(
    "path", sorted(ROOT.joinpath("summary").rglob("*.py")), ids=lambda p: p.name
)
def test_the_order_domain_imports_no_other_package_of_ours(path: Path) -> None:
    ours = {"engine", "rules", "inventory", "flows", "api", "service"}
    assert imported_top_level_names(path).isdisjoint(ours)
