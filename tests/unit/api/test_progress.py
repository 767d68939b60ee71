"""The CLI's progress bar for a strategy that plans until its time limit."""

from __future__ import annotations

import threading

from rich.console import Console
from rich.progress import Progress

from api.cli_views import ticking


def test_a_timed_task_advances_with_the_clock_and_is_full_when_the_block_ends() -> None:
    bar = Progress(console=Console(file=None, force_terminal=False), disable=True)
    task = bar.add_task("planning", total=10.0)
    seen: list[float] = []
    with ticking(bar, task, 10.0):
        threading.Event().wait(0.8)
        seen.append(bar.tasks[0].completed)
    assert 0.0 < seen[0] < 10.0  # moving, not done while the block runs
    assert bar.tasks[0].completed == 10.0
