"""The API reference: `/openapi.json` and Swagger UI at `/docs`, from the installed
swagger-ui-bundle-v2 package's assets, so it works offline and runs no third-party script."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse
from swagger_ui_bundle import swagger_ui_path

from qa_service.dependencies import require_read

STATIC = Path(__file__).parent / "static"
_ASSETS = {
    "swagger-ui.css": Path(swagger_ui_path) / "swagger-ui.css",
    "swagger-ui-bundle.js": Path(swagger_ui_path) / "swagger-ui-bundle.js",
    "favicon-32x32.png": Path(swagger_ui_path) / "favicon-32x32.png",
    "docs.js": STATIC / "docs.js",
}


def mount_docs(app: FastAPI) -> None:
    """Needs `FastAPI(docs_url=None, redoc_url=None, openapi_url=None)`: these replace them."""

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_read)])
    async def openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(require_read)])
    async def docs() -> FileResponse:
        return FileResponse(STATIC / "docs.html", media_type="text/html; charset=utf-8")

    @app.get("/docs/assets/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        path = _ASSETS.get(name)
        if path is None:
            raise HTTPException(404, f"no asset {name[:80]!r}")
        return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})
