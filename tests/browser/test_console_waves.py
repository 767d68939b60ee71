"""The waves page: wave jobs with live progress, KPIs and the gap to the bound; the rules
replay report (charts, changed orders); ops only; what is typed renders as text."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from access.scopes import Scope
from flows.order_schema import wave_jobs
from flows.wave_files import read_orders
from flows.wave_jobs import WaveRequest, submit
from tests.browser.conftest import Console, screenshot, sign_in

ORDERS = (Path(__file__).parents[1] / "e2e" / "data" / "orders.jsonl").read_text()
# Sourcing ship orders from stores only moves O1 (DC01 → ST01), which takes the pickup
# order O2's stock at ST01: two routes change.
TO_STORES = ("location_group: ONLINE", "location_group: STORES")
DONE = "[data-final] [data-status=done]"


def held_job(console: Console) -> str:
    """A wave job that a (pretend) worker holds, running, at 40%."""
    services = console.services
    orders = read_orders(io.BytesIO(ORDERS.encode()), services.config().network)
    for _ in range(5):
        job, _ = submit(services, WaveRequest(orders.orders, "sequential"))
        moved = _set(console, job["id"], "queued", status="running", claimed_by="test-worker")
        if moved:
            return str(job["id"])
    raise AssertionError("the app's runner kept claiming the job first")


def _set(console: Console, job_id: str, was: str, **values: Any) -> bool:
    now = console.services.now()
    if values.get("status") == "running":
        values |= {"heartbeat_at": now, "started_at": now, "progress": 0.4}
    change = (
        sa.update(wave_jobs)
        .where(wave_jobs.c.id == job_id, wave_jobs.c.status == was)
        .values(**values)
    )
    with console.services.store.engine.begin() as conn:
        return bool(conn.execute(change).rowcount == 1)


def test_a_wave_shows_its_live_progress_until_done_then_its_kpis_and_gap(
    page: Any, console: Console
) -> None:
    sign_in(page, console, console.key(Scope.ops), then="/console/waves")
    job_id = held_job(console)
    page.goto(f"{console.url}/console/waves")
    row = page.locator("#jobs tbody tr", has_text=job_id)
    assert row.locator("[data-status=running]").count() == 1
    page.click(f"text={job_id}")
    page.wait_for_load_state()
    live = page.locator("#job")
    assert live.locator("[role=progressbar]").get_attribute("aria-valuenow") == "40"
    page.evaluate("window.notReloaded = true")
    screenshot(page, "waves-job-running")

    _set(console, job_id, "running", progress=0.9)
    live.locator("[role=progressbar][aria-valuenow='90']").wait_for(timeout=10_000)
    _set(console, job_id, "running", status="queued", claimed_by=None, heartbeat_at=None)
    live.locator(DONE).wait_for(timeout=30_000)

    assert page.evaluate("window.notReloaded") is True  # swapped in by the fragment
    labels, figures = (live.locator(f"#kpis {cell}").all_inner_texts() for cell in ("th", "td"))
    kpis = dict(zip(labels, figures, strict=True))
    assert kpis["orders"] == "3" and kpis["units filled"] == "5 of 6"
    assert kpis["lower bound"] == "none"  # sequential proves no bound
    assert "proves no lower bound" in live.locator("#gap").inner_text()
    plan = page.request.get(f"{console.url}/console/waves/{job_id}/plan").json()
    assert [answer["order_id"] for answer in plan["results"]] == ["O1", "O2", "O3"]


def test_an_ops_person_starts_a_wave_and_replays_changed_rules_over_its_orders(
    page: Any, phone: Any, console: Console
) -> None:
    key = console.key(Scope.ops)
    sign_in(page, console, key, then="/console/waves")
    page.fill("textarea[name=orders]", ORDERS)
    page.select_option("select[name=strategy]", "optimize")
    page.fill("input[name=time_limit]", "5")
    page.click("#start-wave button[type=submit]")
    page.wait_for_load_state()
    assert "/console/waves/WJ-" in page.url
    job_id = page.url.rsplit("/", 1)[1]
    page.locator(f"#job {DONE}").wait_for(timeout=60_000)
    assert page.locator("#gap").inner_text().startswith("Gap to the bound: 0.00% above the")
    screenshot(page, "waves-job")
    page.goto(f"{console.url}/console/waves")
    assert page.locator("#jobs tbody tr").first.inner_text().startswith(job_id)  # newest first
    screenshot(page, "waves")

    page.goto(f"{console.url}/console/waves/{job_id}")
    page.click("text=Replay other rules over these orders")
    page.wait_for_load_state()
    assert page.locator("select[name=job]").input_value() == job_id
    rules = page.locator("textarea[name=rules_text]").input_value()
    assert TO_STORES[0] in rules  # it starts as the active rules
    page.fill("textarea[name=rules_text]", rules.replace(*TO_STORES))
    page.click("#replay-form button[type=submit]")
    page.wait_for_load_state()

    report = page.locator("#report")
    assert report.locator("svg").count() >= 5  # the report builder's charts
    assert "orders whose route changed: 2" in report.inner_text()
    changed = report.locator("table", has_text="route A, why")
    assert changed.locator("tr td:first-child").all_inner_texts() == ["O1", "O2"]
    assert "DC01 × 2" in changed.inner_text() and "ST01 × 1" in changed.inner_text()
    screenshot(page, "waves-replay")

    sign_in(phone, console, key, then=f"/console/waves/{job_id}")
    phone.locator(f"#job {DONE}").wait_for(timeout=10_000)
    screenshot(phone, "waves-job")
    phone.goto(f"{console.url}/console/waves")
    screenshot(phone, "waves")
    phone.goto(f"{console.url}/console/waves/replay?job={job_id}")
    phone.fill("textarea[name=rules_text]", rules.replace(*TO_STORES))
    phone.click("#replay-form button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator("#report svg").count() >= 5
    screenshot(phone, "waves-replay")


def test_a_replay_of_too_many_orders_or_bad_rules_is_refused_with_the_reason(
    page: Any, console: Console
) -> None:
    sign_in(page, console, console.key(Scope.ops), then="/console/waves/replay")
    many = "\n".join(
        json.dumps({**json.loads(ORDERS.splitlines()[0]), "id": f"B{i}"}) for i in range(2_001)
    )
    page.fill("textarea[name=orders]", many)
    page.click("#replay-form button[type=submit]")
    page.wait_for_load_state()
    assert "2,001 lines; this page takes at most 2,000" in page.locator("#problems").inner_text()
    assert page.locator("#report").count() == 0

    page.fill("textarea[name=orders]", ORDERS)
    text = page.locator("textarea[name=rules_text]").input_value()
    page.fill("textarea[name=rules_text]", text.replace("ONLINE", "NOWHERE"))
    page.click("#replay-form button[type=submit]")
    page.wait_for_load_state()
    problems = page.locator("#problems").inner_text()
    assert "rules B line" in problems and "NOWHERE" in problems
    screenshot(page, "waves-replay-refused")

    # A stored version instead of a text: the active one changes no route.
    page.fill("textarea[name=rules_text]", "")
    page.select_option("select[name=rules_version]", index=1)
    page.click("#replay-form button[type=submit]")
    page.wait_for_load_state()
    assert "orders whose route changed: 0" in page.locator("#report").inner_text()


def test_what_is_typed_renders_as_text(page: Any, console: Console) -> None:
    dialogs: list[str] = []

    def seen(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    script = "<script>alert(1)</script>"
    sign_in(page, console, console.key(Scope.ops), then="/console/waves/replay")
    page.fill("textarea[name=rules_text]", script)
    page.fill("textarea[name=orders]", ORDERS)
    page.click("#replay-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("textarea[name=rules_text]").input_value() == script
    assert page.locator("#problems").count() == 1

    # An order id with markup, in the report's changed orders and the wave form's errors.
    tagged = [json.loads(line) for line in ORDERS.splitlines()]
    tagged[0]["id"] = script
    page.goto(f"{console.url}/console/waves/replay")
    rules = page.locator("textarea[name=rules_text]").input_value()
    page.fill("textarea[name=rules_text]", rules.replace(*TO_STORES))
    page.fill("textarea[name=orders]", "\n".join(map(json.dumps, tagged)))
    page.click("#replay-form button[type=submit]")
    page.wait_for_load_state()
    changed = page.locator("#report table", has_text="route A, why")
    assert changed.locator("tr td:first-child").first.inner_text() == script

    page.goto(f"{console.url}/console/waves")
    page.fill("textarea[name=orders]", json.dumps({"id": script}))
    page.click("#start-wave button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("textarea[name=orders]").input_value() == json.dumps({"id": script})
    assert page.locator("main script").count() == 0
    assert dialogs == []


def test_a_key_without_ops_never_sees_the_page_and_its_actions_answer_403(
    page: Any, console: Console
) -> None:
    key = console.key(Scope.agent)
    sign_in(page, console, key)
    assert "Waves" not in page.locator("header nav").inner_text()
    for path in ("/console/waves", "/console/waves/replay", "/console/waves/WJ-x/progress"):
        response = page.goto(f"{console.url}{path}")
        assert response is not None and response.status == 403, path
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "omniroute_csrf")
    cookies = {"omniroute_console": key, "omniroute_csrf": csrf}
    with httpx.Client(base_url=console.url, cookies=cookies) as http:
        for path in ("/console/waves", "/console/waves/replay"):
            refused = http.post(path, data={"csrf": csrf, "orders": ORDERS})
            assert refused.status_code == 403, path
            assert "&#39;ops&#39; scope" in refused.text
    with console.services.store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(wave_jobs)).scalar_one() == 0
