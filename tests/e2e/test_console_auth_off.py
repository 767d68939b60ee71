"""With OMNIROUTE_AUTH=off the console needs no sign-in, like the API: every page opens."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from flows.bootstrap import bootstrap
from flows.settings import Settings
from tests.e2e.conftest import small_env

PAGES = [
    "/console",
    "/console/exceptions",
    "/console/orders",
    "/console/store",
    "/console/routing",
    "/console/waves",
]


def test_with_auth_off_every_console_page_opens_without_signing_in(tmp_path: Path) -> None:
    env = {**small_env(f"sqlite:///{tmp_path / 'o.db'}"), "OMNIROUTE_AUTH": "off"}
    services = bootstrap(Settings.from_env(env))
    try:
        with TestClient(create_app(services), follow_redirects=False) as client:
            answers = {page: client.get(page) for page in PAGES}
    finally:
        services.close()
    assert {page: answer.status_code for page, answer in answers.items()} == dict.fromkeys(
        PAGES, 200
    )
    assert "auth off" in answers["/console"].text
    assert "Sign in" not in answers["/console/routing"].text


def test_with_auth_on_a_console_page_sends_the_browser_to_sign_in(tmp_path: Path) -> None:
    services = bootstrap(Settings.from_env(small_env(f"sqlite:///{tmp_path / 'o.db'}")))
    try:
        with TestClient(create_app(services), follow_redirects=False) as client:
            answer = client.get("/console/routing")
    finally:
        services.close()
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=/console/routing"
