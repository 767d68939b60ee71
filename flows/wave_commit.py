"""A wave over Order Summaries already recorded: what their delivery groups still have to
fulfil is routed jointly; when the wave commits, each chosen route goes through the order
life's own steps, as routing one summary does: Draft FOs and the routing attempt
(:func:`flows.order_routing.plan_routed`), then reservations and activation
(:func:`flows.order_routing.carry_out`, which plans again a group whose stock went meanwhile).
A group that changed between the wave and its commit is left to route on its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from engine.answer import PreviewAnswer
from engine.order import Order as EngineOrder
from engine.wave.exact import WaveParams
from engine.wave.search import Executor
from flows.bootstrap import Services
from flows.order_routing import NotManaged, carry_out, engine_orders, plan_routed
from flows.wave_jobs import WaveOutcome, run_wave

Entry = tuple[str, str, EngineOrder]  # (summary id, delivery group id, what it routes)


def run_summaries(
    services: Services,
    keys: Sequence[str],
    strategy: str,
    params: WaveParams,
    *,
    commit: bool,
    on_progress: Callable[[float], object] = lambda _: None,
    executor: Executor | None = None,
) -> WaveOutcome:
    """Plan the summaries' open units as one wave; with ``commit``, make its routes real.
    ``executor``: as :func:`~flows.wave_jobs.run_wave`'s."""
    entries = _entries(services, keys)

    def committed(planned: list[PreviewAnswer], kpis: dict[str, Any]) -> None:
        if commit:
            kpis["committed_fulfillment_orders"] = _commit(services, entries, planned)

    orders = [order for _, _, order in entries]
    return run_wave(services, orders, strategy, params, on_progress, committed, executor=executor)


def _entries(services: Services, keys: Sequence[str]) -> list[Entry]:
    entries = []
    with services.uow() as uow:
        for key in dict.fromkeys(keys):
            summary = uow.summary(key, lock=False)
            if not summary.managed:
                raise NotManaged(f"order summary {summary.id} is unmanaged")
            entries += [(summary.id, g, order) for g, order in engine_orders(summary).items()]
    return entries


def _commit(services: Services, entries: list[Entry], planned: list[PreviewAnswer]) -> int:
    """Each summary's routes through the order life; the Fulfillment Orders it drafted."""
    by_summary: dict[str, dict[str, tuple[EngineOrder, PreviewAnswer]]] = defaultdict(dict)
    for (summary_id, group_id, order), answer in zip(entries, planned, strict=True):
        by_summary[summary_id][group_id] = (order, answer)
    drafted = 0
    for summary_id, routed in by_summary.items():
        step = plan_routed(services, summary_id, routed)
        drafted += len(step.drafts)
        carry_out(services, step)
    return drafted
