"""``/docs``: Swagger UI with its script and stylesheet served by omniroute (from the
``fastapi-swagger`` package's bundle), so the page works in a browser without internet."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/static"


def install(app: FastAPI) -> None:
    bundle = resources.files("fastapi_swagger") / "resources"
    app.mount(ASSETS, StaticFiles(directory=str(bundle)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="omniroute API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": False},
        )
