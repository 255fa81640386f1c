"""The chat widget's assets: `GET /widget.js` for host pages to embed, `GET /` for a demo page
(with its script, `GET /demo.js`) that suggests questions about the loaded documents."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse

from qa_service.examples import examples_html

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
    def demo(request: Request) -> HTMLResponse:
        service = request.app.state.service
        documents = service.documents() if service is not None else []
        page = DEMO_PAGE.read_text(encoding="utf-8")
        return HTMLResponse(page.replace("<!-- examples -->", examples_html(documents)))
