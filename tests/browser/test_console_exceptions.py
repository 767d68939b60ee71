"""The process exceptions queue: an ops person sorts, filters, opens and resolves one; agents
see it too, other keys never do; moves need the form's CSRF token; notes render as text."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx

from access.scopes import Scope
from flows import order_queries as queries
from flows.bootstrap import Services
from flows.order_sources import take_order
from inventory.records import parse_json
from summary.exceptions import Category, Level, new_exception
from tests.browser.conftest import Console, fits, screenshot, sign_in
from tests.support.orders import order

GONE = "SKU-GONE"  # known to the inventory, in stock nowhere: its orders cannot be routed
SCRIPT = "<script>alert(1)</script>"


def stuck_order(services: Services, number: str) -> str:
    """Place an order no location can fill (a routing exception); its summary id."""
    services.inventory.upsert(parse_json([{"location_id": "DC01", "sku": GONE, "on_hand": 0}]))
    document = order(
        number,
        lines=[{"id": "1", "sku": GONE, "quantity": 1, "unit_price": 100, "delivery_group": "DG1"}],
        delivery_groups=order()["delivery_groups"][:1],
        discounts=[],
        payment={"authorization_id": f"AUTH-{number}", "amount": 747},
    )
    return take_order(services, document, json.dumps(document)).placed.summary_id


def raised(
    services: Services,
    summary_id: str,
    category: Category,
    *,
    priority: Level = "high",
    severity: Level = "high",
    minutes_ago: int = 0,
    message: str = "the gateway refused the capture",
) -> str:
    """An exception as a flow raises one (through the unit of work), ``minutes_ago`` old."""
    pe = new_exception(
        id=f"PE-{uuid.uuid4().hex[:20]}",
        order_summary_id=summary_id,
        category=category,
        message=message,
        attached=("payment", f"AUTH-{uuid.uuid4().hex[:6]}"),
        now=services.now() - timedelta(minutes=minutes_ago),
        priority=priority,
        severity=severity,
    )
    with services.uow() as uow:
        uow.add_exception(pe)
        uow.commit()
    return pe.id


def routing_exception(services: Services, summary_id: str) -> dict[str, Any]:
    found = queries.process_exceptions(
        services, status=None, category="routing", summary_key=summary_id, cursor=None, limit=5
    )
    [pe] = found["items"]
    return dict(pe)


def active_count(services: Services, summary_id: str) -> int:
    return int(queries.order_summary(services, summary_id)["active_process_exception_count"])


def rows(page: Any, cell: str) -> list[str]:
    return [
        text.strip() for text in page.locator(f"table.exceptions tbody {cell}").all_inner_texts()
    ]


def row_ids(page: Any) -> list[str]:
    return [tr.get_attribute("data-id") for tr in page.locator("table.exceptions tbody tr").all()]


def follow(page: Any, selector: str) -> None:
    """Click a link or a GET form's button and wait for the page it opens."""
    with page.expect_navigation():
        page.click(selector)


def move(page: Any, label: str, note: str | None = None) -> int:
    """Press a move button (with ``note``); the status of the page it ends on."""
    if note is not None:
        page.fill("textarea[name=note]", note)
    with page.expect_navigation() as opened:
        page.click(f"form button:text-is('{label}')")
    status: int = opened.value.status
    return status


def test_an_ops_person_sorts_filters_and_resolves_an_exception(page: Any, console: Console) -> None:
    services = console.services
    first, second = stuck_order(services, "W-1"), stuck_order(services, "W-2")
    payment = raised(services, first, "payment", priority="low", severity="low", minutes_ago=90)
    stuck = routing_exception(services, first)
    assert active_count(services, first) == 2

    sign_in(page, console, console.key(Scope.ops), then="/console/exceptions")
    assert page.url.endswith("/console/exceptions")
    assert row_ids(page)[0] == payment  # oldest first by default
    assert rows(page, ".status") == ["New"] * 3
    screenshot(page, "exceptions")
    follow(page, "th a:has-text('Priority')")
    assert "sort=priority" in page.url
    assert rows(page, ".priority") == ["high", "high", "low"]
    follow(page, "th a:has-text('Priority')")
    assert "sort=-priority" in page.url
    assert rows(page, ".priority") == ["low", "high", "high"]
    follow(page, "th a:has-text('Severity')")
    assert rows(page, ".severity") == ["high", "high", "low"]
    page.select_option("select[name=category]", "payment")
    follow(page, "button:text-is('Filter')")
    assert row_ids(page) == [payment]
    page.select_option("select[name=category]", "routing")
    follow(page, "button:text-is('Filter')")
    assert "sort=severity" in page.url  # the filter keeps the sort
    assert rows(page, ".category") == ["routing", "routing"]

    follow(page, f"a:text-is('{stuck['id']}')")
    assert page.locator("h1").inner_text() == f"Process exception {stuck['id']}"
    assert page.locator("dd.message").inner_text() == stuck["message"]
    assert page.locator("a.summary").get_attribute("href") == f"/console/orders/{first}"
    assert page.locator("dd.active-count").inner_text() == "2"

    assert move(page, "In Progress", "Asked DC01 to count SKU-GONE") == 200
    assert page.locator("[role=status]").inner_text() == "Moved to In Progress."
    assert page.locator("dd.status").inner_text() == "In Progress"
    assert page.locator("dd.note").inner_text() == "Asked DC01 to count SKU-GONE"
    screenshot(page, "exception")
    assert move(page, "In Progress", "again") == 409  # not a move: the page says why
    assert "cannot go from in_progress to in_progress" in page.locator("[role=alert]").inner_text()
    assert page.locator("textarea[name=note]").input_value() == "again"  # kept for a retry
    assert move(page, "Resolved", "Stock found, rerouted by hand") == 200
    assert page.locator("dd.status").inner_text() == "Resolved"
    assert page.locator("dd.active-count").inner_text() == "1"
    assert page.locator("form button[name=status]").count() == 0  # closed: no more moves

    page.goto(f"{console.url}/console/exceptions")
    assert stuck["id"] not in row_ids(page)
    assert len(row_ids(page)) == 2
    page.select_option("select[name=status]", "resolved")
    follow(page, "button:text-is('Filter')")
    assert row_ids(page) == [stuck["id"]]
    assert active_count(services, first) == 1
    assert active_count(services, second) == 1


def test_a_page_at_a_time_in_the_databases_order(page: Any, console: Console) -> None:
    summary = stuck_order(console.services, "W-1")
    levels: list[Level] = ["low", "high", "low", "high"]
    made = [
        raised(console.services, summary, "payment", priority=level, minutes_ago=n)
        for n, level in enumerate(levels)
    ]
    sign_in(page, console, console.key(Scope.ops))
    page.goto(f"{console.url}/console/exceptions?sort=priority&limit=2")
    pages = 1
    seen: list[str] = []
    priorities: list[str] = []
    while True:
        seen += row_ids(page)
        priorities += rows(page, ".priority")
        if page.locator("a[rel=next]").count() == 0:
            break
        follow(page, "a[rel=next]")
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted([*made, routing_exception(console.services, summary)["id"]])
    assert priorities == ["high"] * 3 + ["low"] * 2
    # high: the routing exception (newest) after the two older ones, oldest first
    assert seen[:2] == [made[3], made[1]]
    assert page.locator("a:text-is('First page')").count() == 1


def test_an_agent_sees_the_queue_too(page: Any, console: Console) -> None:
    summary = stuck_order(console.services, "W-1")
    sign_in(page, console, console.key(Scope.agent), then="/console/exceptions")
    assert "Exceptions" in page.locator("header nav a").all_inner_texts()
    assert rows(page, ".category") == ["routing"]
    follow(page, "table.exceptions tbody a >> nth=0")
    assert page.locator("a.summary").get_attribute("href") == f"/console/orders/{summary}"


def test_a_store_key_gets_the_403_page_and_its_moves_are_refused(
    page: Any, console: Console
) -> None:
    pe = routing_exception(console.services, stuck_order(console.services, "W-1"))
    key = console.key(Scope.store, locations=["ST03"])
    sign_in(page, console, key)
    for path in ("/console/exceptions", f"/console/exceptions/{pe['id']}"):
        answer = page.goto(f"{console.url}{path}")
        assert answer is not None and answer.status == 403
        assert "'ops'" in page.locator("[role=alert]").inner_text()
    with httpx.Client(base_url=console.url, cookies={"omniroute_console": key}) as http:
        http.get("/console/sign-in")  # a CSRF token, as a form of the console would carry
        token = http.cookies["omniroute_csrf"]
        form = {"csrf": token, "status": "resolved", "note": "not mine to close"}
        refused = http.post(f"/console/exceptions/{pe['id']}", data=form)
    assert refused.status_code == 403
    assert "scope this operation needs" in refused.text  # the scope, not the CSRF check
    assert queries.process_exception(console.services, pe["id"])["status"] == "new"


def test_a_move_without_its_csrf_token_is_refused_and_changes_nothing(console: Console) -> None:
    pe = routing_exception(console.services, stuck_order(console.services, "W-1"))
    with httpx.Client(
        base_url=console.url, cookies={"omniroute_console": console.key(Scope.ops)}
    ) as http:
        http.get("/console/exceptions")
        for token in (None, "forged-token"):
            form = {"status": "voided", "note": "gone"} | ({"csrf": token} if token else {})
            refused = http.post(f"/console/exceptions/{pe['id']}", data=form)
            assert refused.status_code == 403
            assert "expired" in refused.text
        missing = http.get("/console/exceptions/PE-nope")
        assert missing.status_code == 404
        bad = http.get("/console/exceptions", params={"category": "weather"})
        assert bad.status_code == 400
    assert queries.process_exception(console.services, pe["id"]) == pe


def test_script_tags_in_a_note_or_a_message_render_as_text(page: Any, console: Console) -> None:
    summary = stuck_order(console.services, "W-1")
    hostile = raised(console.services, summary, "payment", message=SCRIPT)
    dialogs: list[str] = []

    def opened(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", opened)
    sign_in(page, console, console.key(Scope.ops), then="/console/exceptions?category=payment")
    assert page.locator("table.exceptions tbody td[data-label=Message]").inner_text() == SCRIPT
    follow(page, f"a:text-is('{hostile}')")
    assert move(page, "Voided", SCRIPT) == 200
    assert page.locator("dd.note").inner_text() == SCRIPT
    assert page.locator("dd.message").inner_text() == SCRIPT
    assert page.locator("main script").count() == 0
    assert dialogs == []


def test_the_queue_and_a_record_on_a_phone(phone: Any, console: Console) -> None:
    pe = routing_exception(console.services, stuck_order(console.services, "W-1"))
    raised(console.services, pe["order_summary_id"], "payment", priority="low", minutes_ago=5)
    sign_in(phone, console, console.key(Scope.ops), then="/console/exceptions")
    assert phone.locator("table.exceptions thead").is_hidden()  # rows read as cards
    assert fits(phone)
    screenshot(phone, "exceptions")
    follow(phone, f"a:text-is('{pe['id']}')")
    assert fits(phone)
    screenshot(phone, "exception")
