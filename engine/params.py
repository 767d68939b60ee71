"""Tuning knobs of :func:`engine.solve.solve`; the defaults suit route previews."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.errors import InvalidParamsError

ForceSolver = Literal["auto", "dp", "search", "mip", "cpsat"]
ExactSolver = Literal["mip", "cpsat"]


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How to solve one routing problem.

    Attributes:
        time_limit_s: wall-time budget of the solver path (MIP or CP-SAT), shared by its k
            solves (one per returned route). When it runs out, the best routes found so far
            are returned and ``stats["optimal"]`` is 0 unless route 1 was proven optimal.
            The default 0.5 s suits a checkout preview that runs on the event loop: the
            DP answers 1-9 line orders in well under a millisecond, and the location-set
            search proves 20-line orders over 5,000 candidates in about 0.2 s (see
            ``benchmarks/test_bench_solver.py``); it bounds the rare worse case. Batch
            callers may raise it.
        seed: solver random seed (with one worker the search is then reproducible).
        workers: solver threads; 1 keeps answers deterministic and the event loop's core free.
        max_dp_pairs: the DP runs only when its (state, block) pair count is at most this;
            larger problems go to the solver path. 3**9 lets a 9-line single-unit order use
            the DP.
        max_warm_dp_pairs: the higher limit for the shapes ``warm()`` builds at start-up
            (line-split orders of up to 5 SKUs x 3 units: dense carts). Their tables are
            ready, so the DP answers them in about a millisecond at worst; other shapes above
            ``max_dp_pairs`` would pay tens of milliseconds to build theirs, and the set search
            is faster for them.
        max_dp_cells: most (block, candidate) cost cells the DP may evaluate.
        exact_solver: the OR-Tools path for what neither the DP nor the location-set search
            takes (orders without line_split, ship-complete orders): ``"mip"`` (HiGHS
            through MathOpt) or ``"cpsat"``.
        prune: drop candidates that provably cannot improve route 1 before the solver path
            (:mod:`engine.solvers.prune`). Route 1 stays optimal; routes 2..k are then the
            best found among the kept candidates. Off, CP-SAT returns the true k best.
        validate: check the problem's contract first (:func:`engine.costing.validate_problem`);
            problems built by :mod:`engine.candidates` are valid by construction, so the
            preview path skips the check.
        cost_scale: CP-SAT needs integer objective coefficients; costs are multiplied by this
            and rounded, so CP-SAT optimizes to about ``1 / cost_scale`` per term.
        mip_gap_abs: the MIP stops when its incumbent is within this absolute cost of the
            bound (costs are currency units, so 1e-6 is exact for prices in cents).
        force_solver: ``"auto"`` picks the DP when it fits, else the location-set search
            (:mod:`engine.solvers.setsearch`) when it applies, else ``exact_solver``; the
            others force one path (tests compare them). Forcing ``"dp"`` on a problem too big
            for it, or ``"search"`` on one it does not apply to, raises
            :class:`InvalidParamsError`.
    """

    time_limit_s: float = 0.5
    seed: int = 0
    workers: int = 1
    max_dp_pairs: int = 3**9
    max_warm_dp_pairs: int = 10**5
    max_dp_cells: int = 4_000_000
    exact_solver: ExactSolver = "mip"
    prune: bool = True
    validate: bool = False
    cost_scale: float = 1e6
    mip_gap_abs: float = 1e-6
    force_solver: ForceSolver = "auto"

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise InvalidParamsError(f"time_limit_s must be > 0, got {self.time_limit_s}")
        if self.workers < 1:
            raise InvalidParamsError(f"workers must be >= 1, got {self.workers}")
        if self.max_dp_pairs < 1 or self.max_dp_cells < 1 or self.max_warm_dp_pairs < 1:
            raise InvalidParamsError("max_dp_pairs and max_dp_cells must be >= 1")
        if not self.cost_scale >= 1:
            raise InvalidParamsError(f"cost_scale must be >= 1, got {self.cost_scale}")
        if not self.mip_gap_abs >= 0:
            raise InvalidParamsError(f"mip_gap_abs must be >= 0, got {self.mip_gap_abs}")
        if self.exact_solver not in ("mip", "cpsat"):
            raise InvalidParamsError(
                f"exact_solver must be 'mip' or 'cpsat', got {self.exact_solver!r}"
            )
        if self.force_solver not in ("auto", "dp", "search", "mip", "cpsat"):
            raise InvalidParamsError(
                "force_solver must be 'auto', 'dp', 'search', 'mip' or 'cpsat', "
                f"got {self.force_solver!r}"
            )
