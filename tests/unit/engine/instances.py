"""Seeded random small routing problems covering the objective's corner cases."""

from __future__ import annotations

import numpy as np

from engine.problem import RoutingProblem
from tests.unit.engine.bruteforce import combination_count

MAX_COMBINATIONS = 60_000


def small_problem(seed: int) -> RoutingProblem:
    """A problem the brute force can enumerate (retrying smaller draws if needed)."""
    rng = np.random.default_rng(seed)
    for shrink in range(10):
        problem = _draw(rng, shrink)
        if problem.n_candidates == 0 or combination_count(problem) <= MAX_COMBINATIONS:
            return problem
    return _draw(rng, 10)


def _draw(rng: np.random.Generator, shrink: int) -> RoutingProblem:
    n_lines = int(rng.integers(1, max(2, 5 - shrink // 2)))
    n_cand = 0 if rng.random() < 0.04 else int(rng.integers(1, max(2, 6 - shrink // 2)))
    n_skus = int(rng.integers(1, n_lines + 1))  # fewer SKUs than lines: duplicate-SKU lines
    line_sku = tuple(int(s) for s in rng.integers(0, n_skus, n_lines))
    quantity = tuple(int(q) for q in rng.integers(1, max(2, 4 - shrink // 3), n_lines))
    scarce = rng.random() < 0.3  # mostly empty shelves: unfilled and unroutable cases
    stock = rng.integers(0, 2 if scarce else 4, (n_skus, n_cand)).astype(np.int64)
    stock[rng.random((n_skus, n_cand)) < 0.2] = 0
    ties = rng.random() < 0.15  # zero costs everywhere: many equal-cost routes
    scale = 0.0 if ties else 1.0
    return RoutingProblem(
        line_sku=line_sku,
        quantity=quantity,
        stock=stock,
        fixed_cost=(scale * rng.integers(0, 12, n_cand) / 2.0).astype(np.float64),
        unit_cost=(scale * rng.integers(0, 8, n_cand) / 4.0).astype(np.float64),
        max_locations=int(rng.integers(1, 4)),
        line_split=bool(rng.random() < 0.5),
        ship_complete=bool(rng.random() < 0.25),
        split_penalty=scale * float(rng.choice([0.0, 0.5, 3.0])),
        unfilled_unit_penalty=scale * float(rng.choice([0.0, 1.0, 4.0, 100.0, 100.0])),
        max_routes=int(rng.integers(1, 5)),
    )
