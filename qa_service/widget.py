"""The chat widget's assets: `GET /widget.js` for host pages to embed, `GET /` for a demo page
(with its script, `GET /demo.js`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse

STATIC = Path(__file__).parent / "static"
WIDGET_JS = STATIC / "widget.js"
DEMO_PAGE = STATIC / "demo.html"
DEMO_JS = STATIC / "demo.js"


def mount_widget(app: FastAPI) -> None:
    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(
            WIDGET_JS,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.get("/demo.js", include_in_schema=False)
    def demo_script() -> FileResponse:
        return FileResponse(DEMO_JS, media_type="text/javascript; charset=utf-8")

    @app.get("/", include_in_schema=False)
    def demo() -> FileResponse:
        return FileResponse(DEMO_PAGE, media_type="text/html; charset=utf-8")
