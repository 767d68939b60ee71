"""The waves page's forms read into the use cases' requests: a wave job (the same body as
``POST /v1/waves``, its orders pasted as JSON Lines) and a rules replay (its orders from a
finished job or pasted, rules B as text or a stored version). Problems come back as lines a
person reads (``line 3: lines[0].quantity: …``); nothing runs until there are none."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from api.app_waves import MAX_WAVE_ORDERS, WaveIn
from engine.network import Network
from engine.order import Order
from engine.wave.exact import WaveParams
from engine.wave.strategies import STRATEGIES
from flows.bootstrap import Services
from flows.documents import field_path
from flows.order_records import NotFound
from flows.routing import check_rules
from flows.wave_files import read_orders
from flows.wave_jobs import DONE, WaveRequest, job_orders, job_status
from flows.wave_replay import stored_rules
from rules.errors import DocumentError, InvalidRules
from rules.loader import LoadedRules

MAX_REPLAY_ORDERS = 2_000  # a replay runs while the page waits: the CLI takes more
MAX_REPLAY_SECONDS = 10.0  # optimize's time limit per rule set on the page


class FormProblems(Exception):
    """What is wrong with a form, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def pasted_orders(text: str, network: Network, most: int) -> list[Order]:
    """The orders of pasted JSON Lines, checked as ``omniroute wave`` checks a file's; every
    bad line named. More than ``most`` non-blank lines are refused before any is read."""
    count = sum(1 for line in text.splitlines() if line.strip())
    if count == 0:
        raise FormProblems(["orders: paste at least one order (JSON, one per line)"])
    if count > most:
        raise FormProblems([f"orders: {count:,} lines; this page takes at most {most:,}"])
    read = read_orders(io.BytesIO(text.encode("utf-8")), network)
    if read.rejected:
        raise FormProblems([f"line {number}: {why}" for number, why in read.rejected])
    return read.orders


def wave_request(form: Mapping[str, str], network: Network) -> WaveRequest:
    """The wave job the form asks for, validated by the API's own body model."""
    orders = pasted_orders(form.get("orders", ""), network, MAX_WAVE_ORDERS)
    problems = []
    try:
        seed = int(form.get("seed", "0") or "0")
    except ValueError:
        problems.append("seed: expected a whole number")
        seed = 0
    try:
        body = WaveIn(
            orders=orders,
            strategy=form.get("strategy", "sequential"),
            time_limit=form.get("time_limit", "30") or "30",
            seed=seed,
        )
    except ValidationError as error:
        problems += [f"{field_path(list(e['loc']))}: {e['msg']}" for e in error.errors()]
    if problems:
        raise FormProblems(problems)
    return WaveRequest(body.orders, body.strategy, body.time_limit, body.seed)


@dataclass
class ReplayForm:
    """The replay form's values as typed (shown again with the problems, if any)."""

    job: str = ""
    orders: str = ""
    rules_version: str = ""
    rules_text: str = ""
    strategy: str = "sequential"
    time_limit: str = "5"
    problems: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, form: Mapping[str, str]) -> ReplayForm:
        def value(name: str) -> str:
            return form.get(name, "").strip()

        return cls(
            job=value("job"),
            orders=value("orders"),
            rules_version=value("rules_version"),
            rules_text=value("rules_text"),
            strategy=value("strategy"),
            time_limit=value("time_limit"),
        )


@dataclass(frozen=True)
class ReplayInput:
    orders: list[Order]
    rules_b: LoadedRules
    name_b: str
    strategy: str
    params: WaveParams
    source: str  # where the orders came from, for the page


def replay_input(services: Services, form: ReplayForm) -> ReplayInput:
    """What to replay: FormProblems listing everything wrong with the form."""
    problems: list[str] = []
    if form.strategy not in STRATEGIES:
        problems.append(f"strategy: expected one of {', '.join(STRATEGIES)}")
    limit = _time_limit(form.time_limit, problems)
    orders, source = _orders(services, form, problems)
    rules_b, name_b = _rules_b(services, form, problems)
    if problems or rules_b is None:
        raise FormProblems(problems)
    return ReplayInput(orders, rules_b, name_b, form.strategy, WaveParams(time_limit=limit), source)


def _time_limit(text: str, problems: list[str]) -> float:
    try:
        limit = float(text or "5")
    except ValueError:
        limit = -1.0
    if not 0 < limit <= MAX_REPLAY_SECONDS:
        problems.append(f"time limit: seconds above 0, at most {MAX_REPLAY_SECONDS:g}")
    return limit


def _orders(services: Services, form: ReplayForm, problems: list[str]) -> tuple[list[Order], str]:
    if form.job:
        try:
            status = job_status(services, form.job)
            orders = job_orders(services, form.job)
        except NotFound:
            problems.append(f"wave job: no wave job {form.job!r}")
            return [], ""
        if status["status"] != DONE:
            problems.append(f"wave job: {form.job} is {status['status']}, not done")
        elif not orders:
            problems.append(
                f"wave job: {form.job} waved recorded order summaries; paste orders instead"
            )
        elif len(orders) > MAX_REPLAY_ORDERS:
            problems.append(
                f"wave job: {form.job} has {len(orders):,} orders; this page replays at most "
                f"{MAX_REPLAY_ORDERS:,} (omniroute replay takes more)"
            )
        return orders, f"the orders of wave job {form.job}"
    try:
        orders = pasted_orders(form.orders, services.config().network, MAX_REPLAY_ORDERS)
    except FormProblems as error:
        problems += error.problems
        return [], ""
    return orders, "the pasted orders"


def _rules_b(
    services: Services, form: ReplayForm, problems: list[str]
) -> tuple[LoadedRules | None, str]:
    try:
        if form.rules_text:
            return check_rules(services, form.rules_text, fmt="auto", source="rules B"), "rules B"
        if form.rules_version:
            loaded = stored_rules(services, form.rules_version)
            return loaded, f"rules {form.rules_version[:8]}"
    except (InvalidRules, DocumentError) as error:
        issues = error.issues if isinstance(error, InvalidRules) else (error.issue,)
        problems += [_issue_line(issue.path, issue.message, issue.line) for issue in issues]
        return None, ""
    except NotFound as error:
        problems.append(f"rules B: {error}")
        return None, ""
    problems.append("rules B: type rules or pick a stored version")
    return None, ""


def _issue_line(path: str, message: str, line: int | None) -> str:
    where = f"rules B line {line}" if line is not None else "rules B"
    return f"{where}: {path}: {message}" if path else f"{where}: {message}"
