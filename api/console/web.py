"""What every console page shares: the templates, the signed-in key, the scope check as a
page (sign-in redirect, 403 page), and CSRF protection (a double-submit token)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from access.errors import Forbidden, Unauthenticated
from access.keys import ApiKey
from access.scopes import Scope
from api.access_middleware import CONSOLE, CONSOLE_COOKIE
from api.auth import AUTH_OFF, PRINCIPAL, check_scope

HERE = Path(__file__).parent
KEY_COOKIE = CONSOLE_COOKIE  # the API key itself: HTTP-only, SameSite=Strict
CSRF_COOKIE = "omniroute_csrf"  # readable by nobody but the forms it is echoed in
CSRF_FIELD = "csrf"
PREFIX = CONSOLE

templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html

# The pages of the navigation, and the scopes that show each (any of them).
PAGES: tuple[tuple[str, str, tuple[Scope, ...]], ...] = (
    ("Exceptions", f"{PREFIX}/exceptions", (Scope.ops, Scope.agent)),
    ("Orders", f"{PREFIX}/orders", (Scope.agent,)),
    ("Store", f"{PREFIX}/store", (Scope.store,)),
    ("Routing", f"{PREFIX}/routing", (Scope.ops,)),
    ("Waves", f"{PREFIX}/waves", (Scope.ops,)),
)


class NeedSignIn(Exception):
    """No key (or no longer a valid one): the page sends the browser to sign in."""


class ConsoleForbidden(Exception):
    """The key lacks the scope of this page or action: a 403 page naming it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)


class BadForm(Exception):
    """A form without its CSRF token (or an old one): refused, nothing done."""


def signed_in(request: Request) -> ApiKey | None:
    key: ApiKey | None = request.scope.get("state", {}).get(PRINCIPAL)
    return key


def auth_off(request: Request) -> bool:
    return bool(request.scope.get("state", {}).get(AUTH_OFF))


def need(request: Request, *scopes: Scope) -> ApiKey | None:
    """The signed-in key if it holds one of ``scopes`` (None with auth off); NeedSignIn or
    ConsoleForbidden otherwise. A POST is marked for the audit trail as the API's are."""
    try:
        return check_scope(request, *scopes)
    except Unauthenticated:
        raise NeedSignIn from None
    except Forbidden as exc:
        raise ConsoleForbidden(str(exc)) from None


def visible_pages(request: Request) -> list[tuple[str, str]]:
    key = signed_in(request)
    if auth_off(request):
        return [(title, url) for title, url, _ in PAGES]
    if key is None:
        return []
    return [(title, url) for title, url, scopes in PAGES if any(key.allows(s) for s in scopes)]


def csrf_token(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE)
    if token is None:
        token = request.scope.setdefault("state", {}).setdefault(
            "new_csrf", secrets.token_urlsafe(24)
        )
    return str(token)


async def checked_form(request: Request) -> dict[str, str]:
    """The POSTed form, after its CSRF token matched the cookie's (BadForm if not)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or cookie is None or not secrets.compare_digest(sent, cookie):
        raise BadForm
    return {name: value for name, value in form.items() if isinstance(value, str)}


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    key = signed_in(request)
    base = {
        "request": request,
        "key": key,
        "auth_off": auth_off(request),
        "pages": visible_pages(request),
        "csrf": csrf_token(request),
        "csrf_field": CSRF_FIELD,
    }
    response = templates.TemplateResponse(
        request, template, {**base, **(context or {})}, status_code=status
    )
    _keep_csrf(request, response)
    return response


def _keep_csrf(request: Request, response: Response) -> None:
    new = request.scope.get("state", {}).get("new_csrf")
    if new is not None and CSRF_COOKIE not in request.cookies:
        set_cookie(request, response, CSRF_COOKIE, new)


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """A console cookie: HTTP-only, same-site strict, on /console, Secure over HTTPS."""
    secure = request.url.scheme == "https"
    response.set_cookie(name, value, httponly=True, samesite="strict", path=PREFIX, secure=secure)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def sign_in_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{PREFIX}/sign-in?next={quote(here)}"


def safe_next(value: str | None) -> str:
    """Only console paths: a sign-in link cannot send the browser elsewhere."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//"):
        return value
    return PREFIX
