"""What routes get injected before they run: the loaded `QAService`, or a 503 while it is not."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from qa_service.pipeline import QAError, QAService


class ServiceNotReadyError(QAError):
    pass


def loaded_service(app: FastAPI) -> QAService:
    """The service the app's lifespan loaded; `ServiceNotReadyError` says why there is none."""
    loaded: QAService | None = app.state.service
    if loaded is None:
        raise ServiceNotReadyError(
            app.state.startup_error or "the service is still loading; retry shortly"
        )
    return loaded


def current_service(request: Request) -> QAService:
    """A dependency, so "not ready" is a 503 before any stream starts."""
    return loaded_service(request.app)


Service = Annotated[QAService, Depends(current_service)]
