"""Wire the console into the app: its pages, its static files, and its errors as pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from api.console import (
    orders_actions,
    orders_exchange,
    orders_returns,
    pages_auth,
    pages_exceptions,
    pages_orders,
    pages_routing,
    pages_store,
    pages_waves,
)
from api.console.web import (
    HERE,
    PREFIX,
    BadForm,
    ConsoleForbidden,
    NeedSignIn,
    render,
    see_other,
    sign_in_url,
)

STATIC = f"{PREFIX}/static"


def install(app: FastAPI) -> None:
    app.include_router(pages_auth.router)
    app.include_router(pages_waves.router)
    app.include_router(pages_exceptions.router)
    app.include_router(pages_routing.router)
    app.include_router(pages_store.router)
    app.include_router(pages_orders.router)
    app.include_router(orders_returns.router)  # before orders_actions' "/{key}/{name}" routes
    app.include_router(orders_exchange.router)
    app.include_router(orders_actions.router)
    app.mount(STATIC, StaticFiles(directory=HERE / "static"), name="console-static")

    async def on_sign_in(request: Request, _: Exception) -> Response:
        return see_other(sign_in_url(request))

    async def on_forbidden(request: Request, exc: Exception) -> Response:
        return render(request, "forbidden.html", {"message": str(exc)}, status=403)

    async def on_bad_form(request: Request, _: Exception) -> Response:
        message = "This form has expired (or did not come from this console): reload and retry."
        return render(request, "forbidden.html", {"message": message}, status=403)

    app.add_exception_handler(NeedSignIn, on_sign_in)
    app.add_exception_handler(ConsoleForbidden, on_forbidden)
    app.add_exception_handler(BadForm, on_bad_form)
