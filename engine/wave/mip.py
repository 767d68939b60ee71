"""One mixed-integer program over some orders of a wave (HiGHS through OR-Tools' MathOpt):
the whole wave when it is small, a neighbourhood of it in the search.

Per order, the variables and constraints of its own routing problem (units per line and
candidate, one Fulfillment Order per location used, most locations, no split line where the
policy forbids it, all or nothing where it ships complete, the split and unfilled penalties);
across orders, what they share: the stock left per SKU and location, and the units each
location may still take. An order may also be left unrouted, paying its unfilled units.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.math_opt.python import mathopt
from ortools.math_opt.python.variables import Variable as Var

from engine.costing import build_route
from engine.problem import Route
from engine.wave.model import NO_LIMIT, IntArray, WaveOrder, WaveProblem


@dataclass(frozen=True, slots=True)
class MipOutcome:
    """``routes`` per order (``None`` when the solver found no plan in time); ``bound``: the
    solver's proven lower bound on their total cost, when it has one."""

    routes: tuple[Route | None, ...] | None
    bound: float | None
    optimal: bool


@dataclass
class _OrderVars:
    x: dict[tuple[int, int], Var] = field(default_factory=dict)  # (line, candidate) → units
    fo: dict[int, Var] = field(default_factory=dict)  # candidate → a Fulfillment Order there


def solve_orders(
    orders: Sequence[WaveOrder],
    stock: IntArray,
    room: IntArray,
    *,
    slots: IntArray | None = None,
    time_limit: float,
    seed: int,
    node_limit: int | None = None,
) -> MipOutcome:
    """The cheapest plan of ``orders`` over ``stock`` (per wave SKU row and location) with
    ``room`` units and ``slots`` orders left per location (``NO_LIMIT``: no cap), within
    ``time_limit`` seconds and ``node_limit`` branch-and-bound nodes (a limit of work makes the
    answer the same run after run; one of time does not)."""
    model, variables = _program(orders, stock, room, slots)
    result = _solve(model, time_limit, seed, node_limit)
    bound = _bound(result)
    optimal = result.termination.reason == mathopt.TerminationReason.OPTIMAL
    if not result.has_primal_feasible_solution():
        return MipOutcome(None, bound, False)
    values = result.variable_values()
    routes = tuple(_route(o, v, values) for o, v in zip(orders, variables, strict=True))
    return MipOutcome(routes, bound, bool(optimal))


def solve_wave(
    problem: WaveProblem, *, time_limit: float, seed: int, node_limit: int | None = None
) -> MipOutcome:
    """The whole wave as one program (its stock, capacities and orders per location)."""
    return solve_orders(
        problem.orders,
        problem.stock,
        problem.capacity,
        slots=_slots(problem),
        time_limit=time_limit,
        seed=seed,
        node_limit=node_limit,
    )


def fewest_shipments(
    problem: WaveProblem, *, filled: int, time_limit: float, seed: int = 0
) -> float | None:
    """A proven lower bound on the extra shipments (Fulfillment Orders beyond each routed
    order's first) of any plan of the wave that fills at least ``filled`` units: the wave's
    program with that objective instead (``None`` when the solver proves nothing in time)."""
    model, variables = _program(problem.orders, problem.stock, problem.capacity, _slots(problem))
    model.objective.clear()
    model.objective.offset = 0.0
    units: list[Var] = []
    for vars_ in variables:
        if vars_.fo:
            routed = model.add_variable(lb=0, ub=1)  # 1 when the order has an FO at all
            model.add_linear_constraint(routed <= sum(vars_.fo.values()))
            for fo in vars_.fo.values():
                _add(model.objective, fo, 1.0)
            _add(model.objective, routed, -1.0)
        units.extend(vars_.x.values())
    if not units:  # nothing can ship
        return 0.0 if filled <= 0 else None
    model.add_linear_constraint(sum(units) >= filled)
    return _bound(_solve(model, time_limit, seed))


def _slots(problem: WaveProblem) -> IntArray:
    return np.full(len(problem.location_ids), problem.max_orders, dtype=np.int64)


def _program(
    orders: Sequence[WaveOrder], stock: IntArray, room: IntArray, slots: IntArray | None
) -> tuple[mathopt.Model, list[_OrderVars]]:
    model = mathopt.Model(name="wave")
    variables = [_add_order(model, order, stock) for order in orders]
    _share(model, orders, variables, stock, room)
    if slots is not None:
        _limit_orders(model, orders, variables, slots)
    return model, variables


def _solve(
    model: mathopt.Model, time_limit: float, seed: int, node_limit: int | None = None
) -> mathopt.SolveResult:
    return mathopt.solve(
        model,
        mathopt.SolverType.HIGHS,
        params=mathopt.SolveParameters(
            time_limit=datetime.timedelta(seconds=time_limit),
            node_limit=node_limit,
            random_seed=seed,
            relative_gap_tolerance=0.0,
            absolute_gap_tolerance=1e-6,
        ),
    )


def variable_count(orders: Sequence[WaveOrder], stock: IntArray) -> int:
    """How many unit variables the program of ``orders`` would have (its size)."""
    count = 0
    for order in orders:
        if order.problem is not None:
            held = stock[order.skus][:, order.locations] > 0
            count += int(held[list(order.problem.line_sku)].sum())
    return count


def _add_order(model: mathopt.Model, order: WaveOrder, stock: IntArray) -> _OrderVars:
    """The order's variables and constraints; only candidates holding some of its SKUs get
    variables."""
    vars_ = _OrderVars()
    sub = order.problem
    if sub is None:
        return vars_
    objective = model.objective

    opened = []
    routed = model.add_binary_variable() if sub.ship_complete else None
    for c in range(sub.n_candidates):
        tops = []
        for line, qty in enumerate(sub.quantity):
            sku, loc = order.skus[sub.line_sku[line]], order.locations[c]
            top = min(qty, int(sub.stock[sub.line_sku[line], c]), int(stock[sku, loc]))
            if top > 0:
                tops.append((line, top))
        if not tops:
            continue
        fo = model.add_binary_variable()
        opened.append(fo)
        vars_.fo[c] = fo
        _add(objective, fo, float(sub.fixed_cost[c]))
        shipped = []
        for line, top in tops:
            x = model.add_integer_variable(lb=0, ub=top)
            vars_.x[line, c] = x
            _add(objective, x, float(sub.unit_cost[c]))
            model.add_linear_constraint(x <= top * fo)
            shipped.append(x)
        model.add_linear_constraint(fo <= sum(shipped))  # an FO ships something
    if opened:
        most = sub.max_locations if routed is None else sub.max_locations * routed
        model.add_linear_constraint(sum(opened) <= most)
        splits = model.add_variable(lb=0)
        model.add_linear_constraint(splits >= sum(opened) - 1)
        _add(objective, splits, sub.split_penalty)
    elif routed is not None:
        model.add_linear_constraint(routed <= 0)  # nothing can serve it: unrouted
    for line, qty in enumerate(sub.quantity):
        on_line = [(c, x) for (j, c), x in vars_.x.items() if j == line]
        filled = sum(x for _, x in on_line)
        if routed is not None:  # ship complete: every unit, or the order stays unrouted
            model.add_linear_constraint(filled == qty * routed)
        elif on_line:
            model.add_linear_constraint(filled <= qty)
        # an unfilled unit pays its penalty: qty − filled of them
        objective.offset += sub.unfilled_unit_penalty * qty
        for _, x in on_line:
            _add(objective, x, -sub.unfilled_unit_penalty)
        if not sub.line_split and len(on_line) > 1:
            picks = []
            for _, x in on_line:
                pick = model.add_binary_variable()
                model.add_linear_constraint(x <= qty * pick)
                picks.append(pick)
            model.add_linear_constraint(sum(picks) <= 1)
    return vars_


def _add(objective: mathopt.Objective, var: Var, coefficient: float) -> None:
    objective.set_linear_coefficient(var, objective.get_linear_coefficient(var) + coefficient)


def _share(
    model: mathopt.Model,
    orders: Sequence[WaveOrder],
    variables: list[_OrderVars],
    stock: IntArray,
    room: IntArray,
) -> None:
    by_stock: dict[tuple[int, int], list[Var]] = defaultdict(list)
    by_location: dict[int, list[Var]] = defaultdict(list)
    for order, vars_ in zip(orders, variables, strict=True):
        if order.problem is None:
            continue
        for (line, c), x in vars_.x.items():
            sku = int(order.skus[order.problem.line_sku[line]])
            loc = int(order.locations[c])
            by_stock[sku, loc].append(x)
            by_location[loc].append(x)
    for (sku, loc), xs in by_stock.items():
        if len(xs) > 1:  # one variable alone is bounded by the stock already
            model.add_linear_constraint(sum(xs) <= int(stock[sku, loc]))
    for loc, xs in by_location.items():
        if room[loc] != NO_LIMIT:
            model.add_linear_constraint(sum(xs) <= int(room[loc]))


def _limit_orders(
    model: mathopt.Model, orders: Sequence[WaveOrder], variables: list[_OrderVars], slots: IntArray
) -> None:
    by_location: dict[int, list[Var]] = defaultdict(list)
    for order, vars_ in zip(orders, variables, strict=True):
        for c, fo in vars_.fo.items():
            by_location[int(order.locations[c])].append(fo)
    for loc, fos in by_location.items():
        if slots[loc] != NO_LIMIT:
            model.add_linear_constraint(sum(fos) <= int(slots[loc]))


def _route(order: WaveOrder, vars_: _OrderVars, values: dict[Var, float]) -> Route | None:
    if order.problem is None:
        return None
    triples = [(c, line, round(values[x])) for (line, c), x in vars_.x.items()]
    triples = [t for t in triples if t[2] > 0]
    return build_route(order.problem, triples) if triples else None


def _bound(result: mathopt.SolveResult) -> float | None:
    try:
        bound = float(result.best_objective_bound())
    except (ValueError, AttributeError):
        return None
    return bound if bound == bound and abs(bound) != float("inf") else None
