"""Sign in (an API key into an HTTP-only cookie), sign out, and the console's home."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from access.errors import Unauthenticated
from access.keys import bearer_token
from api.app_inventory import services_of
from api.console.web import (
    KEY_COOKIE,
    PREFIX,
    auth_off,
    checked_form,
    render,
    safe_next,
    see_other,
    set_cookie,
    signed_in,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("")
def home(request: Request) -> Response:
    if signed_in(request) is None and not auth_off(request):
        return see_other(f"{PREFIX}/sign-in")
    return render(request, "home.html")


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    return render(request, "sign_in.html", {"next": safe_next(next), "error": None})


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await checked_form(request)
    target = safe_next(form.get("next"))
    secret = form.get("key", "").strip()
    try:
        token = bearer_token(f"Bearer {secret}")
        await run_in_threadpool(services_of(request).keys.authenticate, token)
    except Unauthenticated:
        context = {"next": target, "error": "That key is not valid (unknown, revoked or mistyped)."}
        return render(request, "sign_in.html", context, status=401)
    response = see_other(target)
    set_cookie(request, response, KEY_COOKIE, secret)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    await checked_form(request)
    response = see_other(f"{PREFIX}/sign-in")
    response.delete_cookie(KEY_COOKIE, path=PREFIX)
    return response
