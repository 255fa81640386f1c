"""The real app plus one route that raises: what a bug in a handler looks like from outside."""

from __future__ import annotations

from qa_service.main import create_app

app = create_app()


@app.get("/fail", include_in_schema=False)
def fail() -> None:
    raise RuntimeError("a bug in a handler")
