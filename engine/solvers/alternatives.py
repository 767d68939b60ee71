"""Routes 2..k on the DP path: runner-ups around the optimum, cheapest first.

The optimum is exact; the alternatives are the cheapest routes found by three cheap moves
(move one block of the optimum to another candidate; the relaxation's best route for other
end states; a candidate shipping alone), offered one per set of locations first, so that a
checkout sees real choices rather than the optimum minus a unit. They are valid, distinct and
sorted, not always the true 2nd..kth best (the CP-SAT path without pruning gives those).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from engine.solvers import blockcosts, dp

FloatArray = npt.NDArray[np.float64]

Options = dict[frozenset[dp.Block], float]


def moves(
    rows: FloatArray, blocks: list[dp.Block], placed: list[float], value: float, want: int
) -> Options:
    """Runner-ups: the optimum with one block moved to one of its ``want`` next cheapest
    candidates that the route does not use (``rows``: the blocks' costs per candidate).
    A row at a time: a route has at most a few blocks, and scalar argmins beat 2-D fancy
    indexing there."""
    used = [loc for _, loc in blocks]
    options: Options = {}
    for i, (block, _) in enumerate(blocks):
        free = rows[i].copy()
        free[used] = np.inf
        rest = blocks[:i] + blocks[i + 1 :]
        base = value - placed[i]
        for _ in range(min(want, free.shape[0])):
            col = int(free.argmin())
            cost = float(free[col])
            if cost == np.inf:
                break
            free[col] = np.inf
            options.setdefault(frozenset([*rest, (block, col)]), base + cost)
    return options


def other_ends(
    options: Options,
    tab: dp.Tables,
    g: FloatArray,
    costs: blockcosts.BlockCosts,
    flat: FloatArray,
    end: int,
    want: int,
) -> None:
    """Runner-ups: the relaxation's best route for other (block count, placed units) end
    states, when it has distinct candidates. Only end states that could still rank among the
    ``want`` cheapest options are traced (their value is a lower bound, often the far side of
    an unfilled-unit penalty)."""
    bar = sorted(options.values())[want - 1] if len(options) >= want else np.inf
    if bar < np.inf and np.count_nonzero(flat < bar) <= 1:  # only the optimum's own end
        return
    count = min(want + 1, flat.shape[0])
    near = np.argpartition(flat, count - 1)[:count].tolist()
    ends = sorted((v, i) for i, v in zip(near, flat[near].tolist(), strict=True) if v < bar)
    traces = [dp.trace(tab, g, costs.best, *divmod(i, g.shape[1])) for _, i in ends if i != end]
    if not traces:
        return
    values = [v for v, i in ends if i != end]
    rows = costs.rows([block for trace in traces for block in trace])
    locs = rows.argmin(axis=1).tolist()
    start = 0
    for trace, value in zip(traces, values, strict=True):
        route = list(zip(trace, locs[start : start + len(trace)], strict=True))
        start += len(trace)
        if len({loc for _, loc in route}) == len(route):
            options.setdefault(frozenset(route), value)


def _locations(blocks: Iterable[dp.Block]) -> frozenset[int]:
    return frozenset(loc for _, loc in blocks)


def prefer_other_locations(
    options: Options, optimum: list[dp.Block], want: int
) -> list[tuple[frozenset[dp.Block], float]]:
    """The ``want`` alternatives to offer, cheapest first: the cheapest route of each other set
    of locations before routes that only ship less from locations already offered (those
    differ from a better route by a few unfilled units, which nobody chooses between)."""
    ranked = sorted(options.items(), key=lambda item: (item[1], sorted(item[0])))
    seen = {_locations(optimum)}
    fresh: list[tuple[frozenset[dp.Block], float]] = []
    repeats: list[tuple[frozenset[dp.Block], float]] = []
    for option in ranked:
        locations = _locations(option[0])
        (repeats if locations in seen else fresh).append(option)
        seen.add(locations)
    chosen = (fresh + repeats)[:want]
    return sorted(chosen, key=lambda item: (item[1], sorted(item[0])))


def singles(
    options: Options,
    costs: blockcosts.BlockCosts,
    final: FloatArray,
    optimum: frozenset[dp.Block],
    want: int,
) -> None:
    """Last-resort runner-ups when moves and other end states found fewer than ``want``
    (scarce stock: no other candidate can take a whole block): every other candidate shipping
    alone the block that is cheapest there, always a valid route. Rare, so the full blocks x
    candidates matrix is affordable here."""
    seen = {_locations(option) for option in options} - {_locations(optimum)}
    if len(seen) >= want:
        return
    total = costs.matrix() + final[1][:, None]
    total[0, :] = np.inf  # the empty block ships nothing: not a Fulfillment Order
    state = total.argmin(axis=0)
    cost = total[state, np.arange(total.shape[1])]
    for col in np.argsort(cost, kind="stable").tolist():
        if len(seen) >= want or not cost[col] < np.inf:
            return
        if frozenset([col]) not in seen and frozenset([col]) != _locations(optimum):
            options.setdefault(frozenset([(int(state[col]), col)]), float(cost[col]))
            seen.add(frozenset([col]))
