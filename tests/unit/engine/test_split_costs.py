"""The DP's two ways to price blocks agree: the lattice (``SplitCosts``, line_split orders)
against the full blocks x candidates matrix (``block_costs``)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.problem import RoutingProblem
from engine.solvers import blockcosts, dp


def _split_problem(seed: int, caps: tuple[int, ...]) -> RoutingProblem:
    """One line per SKU, each asking for its cap, over candidates with sparse stock."""
    rng = np.random.default_rng(seed)
    n_cand = int(rng.integers(1, 60))
    top = max(caps) + 1
    stock = np.where(rng.random((len(caps), n_cand)) < 0.5, rng.integers(0, top, n_cand), 0)
    return RoutingProblem(
        line_sku=tuple(range(len(caps))),
        quantity=caps,
        stock=stock.astype(np.int64),
        fixed_cost=rng.integers(0, 5, n_cand).astype(np.float64),  # ties on purpose
        unit_cost=rng.integers(0, 3, n_cand) / 2.0,
        max_locations=3,
        line_split=True,
        ship_complete=False,
        split_penalty=float(rng.choice([0.0, 2.0])),
        unfilled_unit_penalty=100.0,
    )


SHAPES = [(1,), (3,), (2, 1), (2, 2, 1), (3, 1, 2, 1), (1,) * 9]  # the last: no states table


@pytest.mark.parametrize("caps", SHAPES)
def test_lattice_block_costs_equal_the_full_matrix(caps: tuple[int, ...]) -> None:
    items = len(caps)
    tab = dp.tables(tuple(range(items)), caps, (1,) * items)
    blocks = list(range(1, tab.digits.shape[0]))
    for seed in range(40):
        problem = _split_problem(seed, caps)
        rows = np.arange(items)
        matrix = blockcosts.block_costs(problem, tab, rows)
        costs = blockcosts.SplitCosts(problem, tab, rows)
        assert np.array_equal(costs.best[1:], matrix[1:].min(axis=1)), f"seed {seed}"
        assert costs.best[0] == np.inf
        assert np.array_equal(costs.rows(blocks), matrix[blocks]), f"seed {seed}"
        assert np.array_equal(costs.matrix(), matrix)


def test_matrix_costs_leave_the_empty_block_out() -> None:
    caps = (2, 1)
    tab = dp.tables((0, 1), caps, (1, 1))
    problem = _split_problem(3, caps)
    costs = blockcosts.MatrixCosts(problem, tab, np.arange(2))
    assert costs.best[0] == np.inf
    matrix = blockcosts.block_costs(problem, tab, np.arange(2))
    assert np.array_equal(costs.best[1:], matrix[1:].min(axis=1))
