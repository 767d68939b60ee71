"""Exact money arithmetic in integer minor units: proportional spreads that sum back exactly.

Two rules, both deterministic:

- :func:`spread` splits an amount over parts in proportion to weights by the largest
  remainder method (ties go to the earlier part), so the parts always sum to the amount.
- :func:`share_of_units` gives the part of a line amount that belongs to units ``done`` to
  ``done + count`` of ``whole``: floors of the cumulative share, so however a line's units are
  shipped (one invoice or five), the invoices' parts sum to the line amount exactly.
"""

from __future__ import annotations

from collections.abc import Sequence


def spread(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` split over ``weights`` proportionally; the parts sum to ``amount``."""
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("spread takes a non-negative amount and weights")
    total = sum(weights)
    if amount == 0:
        return [0] * len(weights)
    if total == 0:
        raise ValueError("cannot spread a non-zero amount over zero weights")
    parts = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left = amount - sum(parts)
    # largest remainder first; the earlier part wins a tie, so the split never depends on luck
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def share_of_units(amount: int, whole: int, done: int, count: int) -> int:
    """The part of ``amount`` (for ``whole`` units) that belongs to units ``done+1 ..
    done+count``."""
    if not 0 <= done <= done + count <= whole or whole <= 0:
        raise ValueError(f"units {done}+{count} are not within {whole}")
    return amount * (done + count) // whole - amount * done // whole
