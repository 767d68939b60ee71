"""The MIP path: DESIGN.md's objective as a mixed-integer program, solved by HiGHS via MathOpt.

Why a MIP: the order-level model is a capacitated facility-location problem. With the
*disaggregated* link ``x[i, c] <= min(demand_i, stock) * use[c]`` its LP relaxation is tight,
and an LP-based branch-and-bound (HiGHS) proves optima that CP-SAT (whose default search
leaves most of the LP out) only approaches within its time limit. Costs stay floats.

Model (``c`` ranges over the pruned candidates, see :mod:`engine.solvers.prune`):
    * ``use[c]`` binary: ``c`` is one Fulfillment Order; ``sum use <= max_locations``.
    * ``line_split`` on: ``x[s, c]`` integer units of SKU row ``s`` (lines of one SKU are
      interchangeable), ``sum_c x[s, c] <= demand_s`` (``==`` when ship_complete).
    * ``line_split`` off: ``x[j, c]`` integer units of line ``j`` and ``pick[j, c]`` binary,
      ``x <= ub * pick``, ``pick <= use[c]``, ``sum_c pick[j, c] <= 1``, lines of one SKU share
      ``stock[s, c]``; ``sum_c x[j, c] <= q_j`` (``==`` when ship_complete).
    * ``sum x >= 1``: a route ships at least one unit.
    * minimise ``sum (fixed + split_penalty) use + sum (unit - unfilled_penalty) x``; the
      constant ``unfilled_penalty * units - split_penalty`` is the objective offset.
A used candidate that ships nothing only costs more, so the optimum never has one.

The model is written straight into a ``ModelProto`` from numpy arrays: MathOpt's Python
modelling layer costs about 50 µs per variable, which would dominate a 5,000-candidate order.
The k best: each further solve adds a cut forbidding every location set already returned, so
routes 2..k are distinct and valid but not necessarily the true 2nd..kth best.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

import numpy as np
import numpy.typing as npt
from google.protobuf import duration_pb2
from ortools.math_opt import (
    callback_pb2,
    model_parameters_pb2,
    model_pb2,
    parameters_pb2,
    result_pb2,
)
from ortools.math_opt.core.python import solver as mathopt_solver
from ortools.math_opt.python import parameters as mathopt_parameters

from engine.costing import build_route
from engine.errors import SolverError
from engine.params import SolveParams
from engine.problem import FloatArray, IntArray, Route, RoutingProblem

_HIGHS = mathopt_parameters.SolverType.HIGHS.value
_PROVEN = (
    result_pb2.TERMINATION_REASON_OPTIMAL,
    result_pb2.TERMINATION_REASON_INFEASIBLE,
)


@dataclass
class MipOutcome:
    """Routes best first; ``proven`` when the first solve proved route 1 optimal (or that no
    route exists)."""

    routes: list[Route]
    proven: bool


@dataclass(frozen=True)
class _Layout:
    """Variables: ids ``0..m-1`` are ``use`` (one per candidate), then one ``x`` per
    (item, candidate) that can ship, then (without line_split) one ``pick`` per ``x``."""

    item_row: IntArray  # per item: its SKU row (split) or its line (no split)
    item: IntArray  # per x: its item
    col: IntArray  # per x: its candidate's position in ``cand``
    ub: FloatArray  # per x: min(item demand, stock)


class _Rows:
    """Linear constraints gathered as numpy pieces, written into the proto at the end."""

    def __init__(self) -> None:
        self.lo: list[FloatArray] = []
        self.hi: list[FloatArray] = []
        self.entries: list[tuple[IntArray, IntArray, FloatArray]] = []
        self.count = 0

    def add(
        self, lo: FloatArray, hi: FloatArray, row: IntArray, col: IntArray, val: FloatArray
    ) -> None:
        """Rows ``lo <= A v <= hi`` numbered from 0 in ``row``; entries ``(row, col, val)``."""
        self.lo.append(lo)
        self.hi.append(hi)
        self.entries.append((row + self.count, col, val))
        self.count += lo.shape[0]


def solve_mip(problem: RoutingProblem, params: SolveParams, cand: IntArray) -> MipOutcome:
    """Up to ``problem.max_routes`` routes using only the (sorted) candidate columns ``cand``;
    route 1 is optimal when ``proven``."""
    if cand.size == 0:
        return MipOutcome([], True)
    model, layout = _build(problem, cand)
    m = cand.shape[0]
    deadline = perf_counter() + params.time_limit_s  # one budget for all the k solves
    routes: list[Route] = []
    proven = False
    for rank in range(problem.max_routes):
        remaining = deadline - perf_counter()
        if remaining <= 0:
            break
        result = _solve(model, params, remaining)
        if rank == 0:
            proven = result.termination.reason in _PROVEN
        if not result.solutions or not result.solutions[0].HasField("primal_solution"):
            break
        values = _values(result, model.variables.ids[-1] + 1)
        xs = np.rint(values[m : m + layout.item.shape[0]]).astype(np.int64)
        route = _route(problem, cand, layout, xs)
        routes.append(route)
        used = np.searchsorted(cand, [plan.location for plan in route.plans])
        _forbid_location_set(model, m, used)
    routes.sort(key=lambda r: r.cost)  # only reorders when a solve stopped early
    return MipOutcome(routes, proven)


def _solve(
    model: model_pb2.ModelProto, params: SolveParams, seconds: float
) -> result_pb2.SolveResultProto:
    limit = duration_pb2.Duration()
    limit.FromNanoseconds(int(seconds * 1e9))
    solve_params = parameters_pb2.SolveParametersProto(
        time_limit=limit,
        random_seed=params.seed,
        relative_gap_tolerance=0.0,
        absolute_gap_tolerance=params.mip_gap_abs,
    )
    try:
        result: result_pb2.SolveResultProto = mathopt_solver.solve(
            model,
            _HIGHS,
            parameters_pb2.SolverInitializerProto(),
            solve_params,
            model_parameters_pb2.ModelSolveParametersProto(),
            None,
            callback_pb2.CallbackRegistrationProto(),
            None,
            None,
        )
    except Exception as exc:  # pybind StatusNotOk: a model or solver error, not "no route"
        raise SolverError(f"HiGHS failed: {exc}") from exc
    return result


def _values(result: result_pb2.SolveResultProto, n_vars: int) -> FloatArray:
    sparse = result.solutions[0].primal_solution.variable_values
    values = np.zeros(n_vars)
    values[np.array(sparse.ids, dtype=np.int64)] = np.array(sparse.values)
    return values


def _build(problem: RoutingProblem, cand: IntArray) -> tuple[model_pb2.ModelProto, _Layout]:
    m = cand.shape[0]
    quantity = np.array(problem.quantity, dtype=np.int64)
    line_sku = np.array(problem.line_sku, dtype=np.int64)
    if problem.line_split:
        item_row = np.unique(line_sku)
        demand = np.zeros(problem.stock.shape[0], dtype=np.int64)
        np.add.at(demand, line_sku, quantity)
        item_demand = demand[item_row]
        stock_row = item_row
    else:
        item_row, item_demand, stock_row = np.arange(problem.n_lines), quantity, line_sku
    cap = np.minimum(problem.stock[stock_row][:, cand], item_demand[:, None])
    item, col = np.nonzero(cap)
    layout = _Layout(item_row, item, col, cap[item, col].astype(np.float64))
    n_x = item.shape[0]
    x_ids = m + np.arange(n_x)
    ones = np.ones(n_x)
    rows = _Rows()
    # Each item ships at most (ship_complete: exactly) its demand.
    hi = item_demand.astype(np.float64)
    lo = hi if problem.ship_complete else np.full(hi.shape, -np.inf)
    rows.add(lo, hi, item, x_ids, ones)
    # The disaggregated link x <= ub * use (ub * pick without line_split): a tight LP bound.
    k = np.arange(n_x)
    gate = col if problem.line_split else m + n_x + k
    rows.add(
        np.full(n_x, -np.inf),
        np.zeros(n_x),
        np.concatenate([k, k]),
        np.concatenate([x_ids, gate]),
        np.concatenate([ones, -layout.ub]),
    )
    # A used candidate ships >= 1 unit: the use variables are exactly the route's locations.
    rows.add(
        np.full(m, -np.inf),
        np.zeros(m),
        np.concatenate([np.arange(m), col]),
        np.concatenate([np.arange(m), x_ids]),
        np.concatenate([np.ones(m), -ones]),
    )
    if not problem.line_split:
        _add_picks(rows, problem, layout, cand)
    one = np.zeros(1, dtype=np.int64)
    limit = np.array([float(problem.max_locations)])
    rows.add(np.array([-np.inf]), limit, np.zeros(m, np.int64), np.arange(m), np.ones(m))
    rows.add(np.ones(1), np.array([np.inf]), np.repeat(one, n_x), x_ids, ones)  # ships >= 1
    return _proto(problem, cand, rows, layout), layout


def _add_picks(rows: _Rows, problem: RoutingProblem, layout: _Layout, cand: IntArray) -> None:
    """Without line_split: ``pick <= use``, at most one pick per line, and the stock that the
    lines of one SKU share at a candidate."""
    line, col = layout.item, layout.col
    m, n_x = cand.shape[0], line.shape[0]
    pick_ids = m + n_x + np.arange(n_x)
    k = np.arange(n_x)
    rows.add(
        np.full(n_x, -np.inf),
        np.zeros(n_x),
        np.concatenate([k, k]),
        np.concatenate([pick_ids, col]),
        np.concatenate([np.ones(n_x), -np.ones(n_x)]),
    )
    n_lines = problem.n_lines
    rows.add(np.full(n_lines, -np.inf), np.ones(n_lines), line, pick_ids, np.ones(n_x))
    sku = np.array(problem.line_sku, dtype=np.int64)[line]
    _, group, count = np.unique(sku * m + col, return_inverse=True, return_counts=True)
    shared = np.flatnonzero(count[group] > 1)
    if shared.size:
        _, first, row = np.unique(group[shared], return_index=True, return_inverse=True)
        at = shared[first]
        limit = problem.stock[sku[at], cand[col[at]]].astype(np.float64)
        rows.add(np.full(limit.shape, -np.inf), limit, row, m + shared, np.ones(shared.size))


def _proto(
    problem: RoutingProblem, cand: IntArray, rows: _Rows, layout: _Layout
) -> model_pb2.ModelProto:
    m, n_x = cand.shape[0], layout.ub.shape[0]
    n_vars = m + n_x * (1 if problem.line_split else 2)
    model = model_pb2.ModelProto()
    upper = np.ones(n_vars)
    upper[m : m + n_x] = layout.ub
    model.variables.ids.extend(range(n_vars))
    model.variables.lower_bounds.extend([0.0] * n_vars)
    model.variables.upper_bounds.extend(upper.tolist())
    model.variables.integers.extend([True] * n_vars)
    penalty = problem.unfilled_unit_penalty
    fo_cost = problem.fixed_cost[cand] + problem.split_penalty
    unit = problem.unit_cost[cand[layout.col]] - penalty
    model.objective.linear_coefficients.ids.extend(range(m + n_x))
    model.objective.linear_coefficients.values.extend(np.concatenate([fo_cost, unit]).tolist())
    model.objective.offset = penalty * sum(problem.quantity) - problem.split_penalty
    model.linear_constraints.ids.extend(range(rows.count))
    model.linear_constraints.lower_bounds.extend(np.concatenate(rows.lo).tolist())
    model.linear_constraints.upper_bounds.extend(np.concatenate(rows.hi).tolist())
    r = np.concatenate([e[0] for e in rows.entries])
    c = np.concatenate([e[1] for e in rows.entries])
    v = np.concatenate([e[2] for e in rows.entries])
    order = np.lexsort((c, r))  # MathOpt wants the matrix in row-major order
    model.linear_constraint_matrix.row_ids.extend(r[order].tolist())
    model.linear_constraint_matrix.column_ids.extend(c[order].tolist())
    model.linear_constraint_matrix.coefficients.extend(v[order].tolist())
    return model


def _forbid_location_set(model: model_pb2.ModelProto, m: int, used: IntArray) -> None:
    """Cut off every solution over the location set ``used`` (positions of use variables):
    ``sum_{c not in S} use_c - sum_{c in S} use_c >= 1 - |S|``."""
    row = len(model.linear_constraints.ids)
    coef = np.ones(m)
    coef[used] = -1.0
    model.linear_constraints.ids.append(row)
    model.linear_constraints.lower_bounds.append(1.0 - used.shape[0])
    model.linear_constraints.upper_bounds.append(np.inf)
    model.linear_constraint_matrix.row_ids.extend([row] * m)
    model.linear_constraint_matrix.column_ids.extend(range(m))
    model.linear_constraint_matrix.coefficients.extend(coef.tolist())


def _route(
    problem: RoutingProblem, cand: IntArray, layout: _Layout, xs: npt.NDArray[np.int64]
) -> Route:
    """Integer x values to a costed route; a SKU's units fill its lines in line order."""
    shipments: list[tuple[int, int, int]] = []
    left = list(problem.quantity)
    shipped = np.flatnonzero(xs > 0)
    for k in shipped[np.lexsort((layout.item[shipped], layout.col[shipped]))]:
        loc, units = int(cand[layout.col[k]]), int(xs[k])
        row = int(layout.item_row[layout.item[k]])
        if not problem.line_split:
            shipments.append((loc, row, units))
            continue
        for line, sku in enumerate(problem.line_sku):
            if sku == row and units > 0 and left[line] > 0:
                take = min(units, left[line])
                shipments.append((loc, line, take))
                left[line] -= take
                units -= take
    return build_route(problem, shipments)
