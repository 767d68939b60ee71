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
REDIS_ADAPTER = {
    "redis_store.py",
    "redis_scripts.py",
    "redis_marker.py",
    "redis_build.py",
    "redis_lean.py",
}
PURE_MODULES = sorted(
    [
        *ROOT.joinpath("engine").rglob("*.py"),
        *ROOT.joinpath("rules").rglob("*.py"),
        *ROOT.joinpath("summary").rglob("*.py"),
        *ROOT.joinpath("service").rglob("*.py"),
        *ROOT.joinpath("access").rglob("*.py"),
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


@pytest.mark.parametrize("path", sorted(ROOT.joinpath("rules").rglob("*.py")), ids=lambda p: p.name)
def test_the_rules_import_no_other_package_of_ours(path: Path) -> None:
    """``engine`` → ``rules``, never back: the rules are data and validation only."""
    ours = {"engine", "inventory", "summary", "flows", "api", "service"}
    assert imported_top_level_names(path).isdisjoint(ours)


def test_the_inventory_model_imports_nothing_of_ours() -> None:
    ours = {"engine", "rules", "inventory", "summary", "flows", "api", "service"}
    assert imported_top_level_names(ROOT / "inventory" / "model.py").isdisjoint(ours)


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_imports(package: Path) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports (anywhere in the file, type-checking
    and function-local imports too: a circle through them is still a circle)."""
    root = package.parent
    modules = {module_name(p, root): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle of imports found by a depth-first walk (each as a closed path)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_import_circle_inside_the_engine() -> None:
    cycles = import_cycles(package_imports(ROOT / "engine"))
    assert not cycles, [" → ".join(cycle) for cycle in cycles]


def test_the_cycle_check_sees_a_circle(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from typing import TYPE_CHECKING\nfrom pkg.b import x\n")
    (package / "b.py").write_text("if TYPE_CHECKING:\n    from pkg import a\n")
    (package / "c.py").write_text("import pkg.a\n")
    assert import_cycles(package_imports(package)) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_the_solvers_see_only_the_problem_contract() -> None:
    """``engine.solvers`` never reaches the documents or the preview pipeline."""
    allowed = {"engine.problem", "engine.costing", "engine.params", "engine.errors"}
    for module, imports in package_imports(ROOT / "engine").items():
        if module.startswith("engine.solvers"):
            outside = {m for m in imports if not m.startswith("engine.solvers")}
            assert outside <= allowed, (module, sorted(outside - allowed))


@pytest.mark.parametrize(
    "path", sorted(ROOT.joinpath("service").rglob("*.py")), ids=lambda p: p.name
)
def test_service_actions_build_on_the_order_domain_only(path: Path) -> None:
    ours = {"engine", "rules", "inventory", "flows", "api"}
    assert imported_top_level_names(path).isdisjoint(ours)
