"""Signing in and out of the console, what a key's scopes show, CSRF, and /docs offline."""

from __future__ import annotations

from typing import Any

import httpx

from access.scopes import Scope
from tests.browser.conftest import Console, screenshot, sign_in


def test_signing_in_shows_only_the_pages_the_key_may_use_and_signing_out_forgets_it(
    page: Any, console: Console
) -> None:
    page.goto(f"{console.url}/console")
    assert page.url.endswith("/console/sign-in")
    screenshot(page, "sign-in")
    sign_in(page, console, console.key(Scope.store, locations=["ST03"]))
    nav = page.locator("header nav a").all_inner_texts()
    assert nav == ["Store"]
    page.click("text=Sign out")
    page.wait_for_load_state()
    assert page.url.endswith("/console/sign-in")
    page.goto(f"{console.url}/console/store")
    assert "/console/sign-in" in page.url


def test_a_wrong_key_is_refused_with_a_message_and_no_cookie(page: Any, console: Console) -> None:
    sign_in(page, console, "omr_" + "x" * 40)
    assert page.locator("[role=alert]").inner_text().startswith("That key is not valid")
    cookies = {c["name"] for c in page.context.cookies()}
    assert "omniroute_console" not in cookies


def test_the_key_cookie_is_http_only_and_same_site(page: Any, console: Console) -> None:
    sign_in(page, console, console.key(Scope.ops))
    cookie = next(c for c in page.context.cookies() if c["name"] == "omniroute_console")
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    assert page.evaluate("document.cookie") == ""  # neither cookie is readable by scripts


def test_a_key_without_the_scope_never_sees_the_page(page: Any, console: Console) -> None:
    sign_in(page, console, console.key(Scope.checkout))
    assert page.locator("header nav a").count() == 0
    response = page.goto(f"{console.url}/console/routing")
    assert response is not None and response.status == 403
    assert "'ops'" in page.locator("[role=alert]").inner_text()


def test_a_form_posted_without_its_csrf_token_is_refused(console: Console) -> None:
    key = console.key(Scope.ops)
    with httpx.Client(base_url=console.url, cookies={"omniroute_console": key}) as http:
        refused = http.post("/console/sign-out", data={})
    assert refused.status_code == 403
    assert "expired" in refused.text


def test_docs_render_with_no_internet_from_omniroutes_own_files(
    page: Any, console: Console
) -> None:
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    page.goto(f"{console.url}/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    assert page.locator(".opblock").count() > 40
    assert all(url.startswith(console.url) for url in loaded), loaded
    screenshot(page, "docs")
