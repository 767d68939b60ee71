"""The routing page (ops): active rules and their history with who activated each, a diff of
two versions, a draft checked at its lines (and activated), the preview playground and the
offline network map; a key without ops never sees it, and what is posted renders as text."""

from __future__ import annotations

import json
from typing import Any

import httpx

from access.scopes import Scope
from tests.browser.conftest import Console, fits, screenshot, sign_in
from tests.e2e.conftest import DATA

PAGE = "/console/routing"
RULES = (DATA / "rules.yaml").read_text()
RULES_V2 = RULES.replace("split_penalty: 2.0", "split_penalty: 3.0")
BROKEN = """version: 1
policies:
  - name: ship
    when: {delivery_method: ship}
    sources:
      location_group: ONLINE
    split: {max_locations: 0}
"""
ORDER = {
    "id": "O-MAP",
    "channel": "web",
    "lines": [{"id": "1", "sku": "SKU-1", "quantity": 2}],
    "delivery": {"method": "ship", "lat": 40.7, "lon": -74.0, "country": "US"},
}
VALIDATE = f"#draft form[action^='{PAGE}/validate']"
PREVIEW = f"#preview form[action^='{PAGE}/preview']"


def _activate_v2(console: Console, name: str = "rules-bot") -> str:
    """Rules version 2 through ``PUT /v1/rules`` with a key named ``name``; its version."""
    key = console.key(Scope.ops, name=name)
    answer = httpx.put(
        f"{console.url}/v1/rules",
        content=RULES_V2,
        headers={"Authorization": f"Bearer {key}", "content-type": "application/yaml"},
    )
    assert answer.status_code == 200, answer.text
    version: str = answer.json()["version"]
    return version


def _run_preview(page: Any, order: dict[str, Any] | str) -> None:
    text = order if isinstance(order, str) else json.dumps(order, indent=2)
    page.fill(f"{PREVIEW} textarea[name=order]", text)
    page.click(f"{PREVIEW} button[type=submit]")
    page.wait_for_load_state()


def test_an_ops_person_sees_the_rules_their_history_and_a_diff_of_two_versions(
    page: Any, console: Console
) -> None:
    first = console.services.config().rules.version
    second = _activate_v2(console)
    sign_in(page, console, console.key(Scope.ops, name="ops-olga"), then=PAGE)
    assert page.url.endswith(PAGE)
    assert page.locator(".active-version").inner_text() == second[:12]
    assert page.locator("#active .activated-by").inner_text() == "rules-bot"
    assert "split_penalty: 3.0" in page.locator("pre.rules").inner_text()
    rows = page.locator("table.history tbody tr")
    assert rows.count() == 2
    assert "rules-bot" in rows.nth(0).inner_text()
    assert "seeded at a start" in rows.nth(1).inner_text()
    # The diff offers the previous version as A and the active one as B.
    assert page.locator("select[name=a]").input_value() == first
    assert page.locator("select[name=b]").input_value() == second
    page.click("#compare form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".diff .del").all_inner_texts() == [
        "-    cost: {per_km: 0.01, split_penalty: 2.0, unfilled_unit_penalty: 1000.0, "
        "priority_weight: 0.0}"
    ]
    assert page.locator(".diff .add").all_inner_texts() == [
        "+    cost: {per_km: 0.01, split_penalty: 3.0, unfilled_unit_penalty: 1000.0, "
        "priority_weight: 0.0}"
    ]
    screenshot(page, "routing-diff")
    page.select_option("select[name=a]", second)
    page.click("#compare form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("[role=status]").inner_text() == "The two versions have the same text."


def test_a_broken_draft_shows_its_errors_at_their_lines_and_a_valid_one_can_be_activated(
    page: Any, console: Console
) -> None:
    before = console.services.config().rules.version
    sign_in(page, console, console.key(Scope.ops, name="ops-olga"), then=PAGE)
    page.fill(f"{VALIDATE} textarea[name=draft]", BROKEN)
    page.click(f"{VALIDATE} button[type=submit]")
    page.wait_for_load_state()
    assert "nothing was activated" in page.locator("#draft [role=alert]").inner_text()
    row = page.locator("table.issues tbody tr")
    assert row.count() == 1
    assert row.locator(".line").inner_text() == "7"
    assert row.locator(".path").inner_text() == "policies[0].split.max_locations"
    assert "expected an integer >= 1, got 0" in row.locator(".message").inner_text()
    assert page.locator(f"{VALIDATE} textarea[name=draft]").input_value() == BROKEN
    # The same check as `omniroute rules validate --network`: names the network lacks.
    page.fill(f"{VALIDATE} textarea[name=draft]", RULES.replace("group: ONLINE", "group: ONLNE"))
    page.click(f"{VALIDATE} button[type=submit]")
    page.wait_for_load_state()
    message = page.locator("table.issues .message").inner_text()
    assert "unknown location group 'ONLNE'" in message and "did you mean 'ONLINE'?" in message
    assert page.locator("table.issues .line").inner_text() == "9"
    assert console.services.config().rules.version == before

    page.fill(f"{VALIDATE} textarea[name=draft]", RULES_V2)
    page.click(f"{VALIDATE} button[type=submit]")
    page.wait_for_load_state()
    assert "Nothing was activated" in page.locator("#draft [role=status]").inner_text()
    assert console.services.config().rules.version == before
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#draft form[action$='/activate'] button")
    page.wait_for_load_state()
    after = console.services.config().rules.version
    assert after != before
    assert page.locator("#active [role=status]").inner_text().startswith("Activated rules")
    assert page.locator(".active-version").inner_text() == after[:12]
    assert page.locator("#active .activated-by").inner_text() == "ops-olga"
    assert console.services.config().rules.text == RULES_V2
    assert console.services.config().rules.source == "console"


def test_the_playground_previews_an_order_and_the_map_highlights_its_route(
    page: Any, phone: Any, console: Console
) -> None:
    sign_in(page, console, console.key(Scope.ops), then=PAGE)
    markers = page.locator("svg.map g.loc")
    assert markers.count() == 5  # one per location of tests/e2e/data/network.json
    assert page.locator("svg.map g.loc.warehouse rect").count() == 2
    assert page.locator("svg.map g.loc.store circle").count() == 3
    assert page.locator("svg.map .chosen, svg.map .destination").count() == 0
    _run_preview(page, ORDER)
    assert page.locator("#answer .status").inner_text() == "routable"
    routes = page.locator("#answer .route")
    assert routes.count() == 3
    first = routes.nth(0).inner_text()
    assert "Route 1" in first and "DC01" in first and "SKU-1 × 2" in first
    costs = [float(c) for c in page.locator("#answer .cost").all_inner_texts()]
    assert costs == sorted(costs)
    rows = page.locator("table.excluded tbody tr").all()
    cells = [row.locator("td").all_inner_texts() for row in rows]
    excluded = {location: fence for location, fence in cells}
    assert excluded == {"ST03": "capability"}  # a pickup-only store cannot ship
    assert markers.count() == 5
    assert [m.get_attribute("data-id") for m in page.locator("svg.map g.chosen").all()] == ["DC01"]
    assert page.locator("svg.map .destination").count() == 1
    assert page.locator("svg.map line.leg").count() == 1
    screenshot(page, "routing")

    sign_in(phone, console, console.key(Scope.ops), then=PAGE)
    _run_preview(phone, ORDER)
    assert phone.locator("#answer .route").count() == 3
    assert fits(phone)  # no sideways scroll
    screenshot(phone, "routing")


def test_an_invalid_order_shows_its_field_errors_and_lines(page: Any, console: Console) -> None:
    sign_in(page, console, console.key(Scope.ops), then=PAGE)
    bad = {**ORDER, "lines": [{"id": "1", "sku": "SKU-1", "quantity": 0}]}
    _run_preview(page, bad)
    rows = page.locator("table.order-issues tbody tr")
    assert rows.count() == 1
    line, field, problem = rows.nth(0).locator("td").all_inner_texts()
    assert (line, field) == ("8", "lines[0].quantity")
    assert "1" in problem
    assert page.locator("#answer").count() == 0
    _run_preview(page, '{"id": "O1", "lines": [')
    assert "invalid JSON at line 1" in page.locator("table.order-issues").inner_text()
    _run_preview(page, {**ORDER, "delivery": {"method": "pickup", "location_id": "ST99"}})
    text = page.locator("table.order-issues").inner_text()
    assert "delivery.location_id" in text and "ST99" in text


def test_a_key_without_ops_gets_403_on_the_page_and_its_forms(page: Any, console: Console) -> None:
    key = console.key(Scope.agent, Scope.store, Scope.checkout, locations=["ST01"])
    sign_in(page, console, key)
    assert "Routing" not in page.locator("header nav").inner_text()
    response = page.goto(f"{console.url}{PAGE}")
    assert response is not None and response.status == 403
    assert "'ops'" in page.locator("[role=alert]").inner_text()
    before = console.services.config().rules.version
    with httpx.Client(base_url=console.url, cookies={"omniroute_console": key}) as http:
        csrf = http.get("/console/sign-in").cookies["omniroute_csrf"]
        for action in ("validate", "activate", "preview"):
            form = {"csrf": csrf, "draft": RULES_V2, "order": json.dumps(ORDER)}
            refused = http.post(f"{PAGE}/{action}", data=form)
            assert refused.status_code == 403, action
            assert "&#39;ops&#39; scope" in refused.text, action  # the scope, not the CSRF
    assert console.services.config().rules.version == before


def test_script_tags_posted_in_a_draft_or_an_order_render_as_text(
    page: Any, console: Console
) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    sign_in(page, console, console.key(Scope.ops), then=PAGE)
    script = "<script>alert(1)</script>"
    page.fill(f"{VALIDATE} textarea[name=draft]", RULES.replace("ONLINE", script))
    page.click(f"{VALIDATE} button[type=submit]")
    page.wait_for_load_state()
    assert script in page.locator("table.issues .message").inner_text()
    assert script in page.locator(f"{VALIDATE} textarea[name=draft]").input_value()
    _run_preview(page, {**ORDER, "id": script})
    assert page.locator("#answer dd").first.inner_text() == script
    assert page.locator("main script").count() == 0
    assert dialogs == []
