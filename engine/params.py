"""Tuning knobs of :func:`engine.solve.solve`; the defaults suit route previews."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from engine.errors import InvalidParamsError

ForceSolver = Literal["auto", "dp", "cpsat"]


@dataclass(frozen=True, slots=True)
class SolveParams:
    """How to solve one routing problem.

    Attributes:
        time_limit_s: wall-time budget of the CP-SAT path, shared by its k solves (one per
            returned route). When it runs out, the best routes found so far are returned and
            ``stats["optimal"]`` is 0 unless route 1 was proven optimal.
        seed: CP-SAT random seed (with one worker the search is then reproducible).
        workers: CP-SAT search workers; 1 keeps answers deterministic.
        max_dp_pairs: the DP runs only when its (state, block) pair count is at most this;
            larger problems go to CP-SAT. 3**9 lets a 9-line single-unit order use the DP.
        max_dp_cells: most (block, candidate) cost cells the DP may evaluate.
        cost_scale: CP-SAT needs integer objective coefficients; costs are multiplied by this
            and rounded, so CP-SAT optimizes to about ``1 / cost_scale`` per term.
        force_solver: ``"auto"`` picks the DP when it fits, else CP-SAT; ``"dp"``/``"cpsat"``
            force one path (tests compare them). Forcing ``"dp"`` on a problem too big for it
            raises :class:`InvalidParamsError`.
    """

    time_limit_s: float = 5.0
    seed: int = 0
    workers: int = 1
    max_dp_pairs: int = 3**9
    max_dp_cells: int = 4_000_000
    cost_scale: float = 1e6
    force_solver: ForceSolver = "auto"

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise InvalidParamsError(f"time_limit_s must be > 0, got {self.time_limit_s}")
        if self.workers < 1:
            raise InvalidParamsError(f"workers must be >= 1, got {self.workers}")
        if self.max_dp_pairs < 1 or self.max_dp_cells < 1:
            raise InvalidParamsError("max_dp_pairs and max_dp_cells must be >= 1")
        if not self.cost_scale >= 1:
            raise InvalidParamsError(f"cost_scale must be >= 1, got {self.cost_scale}")
        if self.force_solver not in ("auto", "dp", "cpsat"):
            raise InvalidParamsError(
                f"force_solver must be 'auto', 'dp' or 'cpsat', got {self.force_solver!r}"
            )
