"""The document write endpoints: POST, PUT and DELETE /documents, and the indexing jobs they start.

Thin handlers: the `IndexWriter` stores or removes the originals (checking uploads first, so a
bad one changes nothing) and `IndexJobs` indexes the change; each answers 202 with the job,
which `GET /jobs/{id}` follows until the new version is served (on any replica, with
PostgreSQL). Admin key required.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.datastructures import UploadFile

from indexer.updating import Change, Upload, text_upload
from qa_service.dependencies import require_admin
from qa_service.errors import JobNotFoundError, UnsupportedMediaTypeError
from qa_service.indexing import IndexJobs
from qa_service.jobs import Job
from qa_service.schemas import ErrorBody

__all__ = ["DocumentIn", "writes"]

MAX_TEXT_CHARS = 5_000_000
DocumentId = Annotated[str, Path(max_length=100, examples=["water-agreement"])]


class DocumentIn(BaseModel):
    """A document sent as text (stored as Markdown: `#` headings make its sections)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(
        None,
        max_length=100,
        description="Lower-case letters, digits and hyphens; default: from the title or the "
        "first line",
    )
    title: str | None = Field(None, max_length=300, description="Default: the first heading")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must contain some text, not only white space")
        return value


_TEXT_EXAMPLE = {
    "id": "water-agreement",
    "title": "The Zubair water agreement",
    "text": "# The Zubair water agreement\n\nIn 2031 Iraq and Varnistan signed the Zubair water "
    "agreement, which shares the Tigris flow at 37 percent for Varnistan.\n",
}


def _body(description: str, multiple: bool) -> dict[str, Any]:
    files: dict[str, Any] = {"type": "string", "format": "binary"}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "files": {"type": "array", "items": files} if multiple else files,
                            "title": {"type": "string"},
                            **({"id": {"type": "string"}} if multiple else {}),
                        },
                        "required": ["files"],
                    },
                },
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/DocumentIn"},
                    "example": _TEXT_EXAMPLE,
                },
            },
        }
    }


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {
        401: "No admin key came (RAG_ADMIN_API_KEYS is set): send `Authorization: Bearer KEY`",
        403: "The key can read but not write, or (without admin keys) the client is remote",
        404: "No document (or job) has this id",
        409: "A document has this id already (replace it with PUT), or it is the last one",
        413: "The upload is over RAG_MAX_UPLOAD_BYTES",
        415: "The body is neither multipart/form-data nor JSON",
        422: "A file of an unsupported type, unreadable, empty, or an invalid id: nothing changed",
    }
    return {s: {"model": ErrorBody, "description": text[s]} for s in statuses}


writes = APIRouter(tags=["documents"], dependencies=[Depends(require_admin)])


@writes.post(
    "/documents",
    status_code=202,
    response_model=Job,
    responses=_errors(401, 403, 409, 413, 415, 422),
    openapi_extra=_body(
        "One or more files (`files`, any format the corpus reads: .txt, .md, .pdf, .html, "
        ".docx), or JSON `{id?, title?, text}`",
        multiple=True,
    ),
)
async def add_documents(request: Request, response: Response) -> Job:
    """Add documents: stored in the corpus folder, then indexed by the job returned (202).

    Answers cite them once `GET /jobs/{id}` says `done`; until then, questions are answered
    from the version being served."""
    return await _upsert(request, response, None)


@writes.put(
    "/documents/{doc_id}",
    status_code=202,
    response_model=Job,
    responses=_errors(401, 403, 404, 413, 415, 422),
    openapi_extra=_body("One file (`files`), or JSON `{title?, text}`", multiple=False),
)
async def replace_document(doc_id: DocumentId, request: Request, response: Response) -> Job:
    """Replace a document's file (in any format) or text; indexed by the job returned."""
    return await _upsert(request, response, doc_id)


@writes.delete(
    "/documents/{doc_id}",
    status_code=202,
    response_model=Job,
    responses=_errors(401, 403, 404, 409),
)
async def delete_document(doc_id: DocumentId, request: Request, response: Response) -> Job:
    """Remove a document's file; the job returned removes it from the index."""
    change = await run_in_threadpool(_jobs(request).writer.delete_document, doc_id)
    return await _started(request, response, [change])


@writes.get("/jobs/{job_id}", response_model=Job, responses=_errors(401, 403, 404))
async def job(job_id: Annotated[str, Path(max_length=64)], request: Request) -> Job:
    """An indexing job: queued, running, done (with the version serving it) or failed."""
    jobs = _jobs(request)
    found = await run_in_threadpool(jobs.get, job_id)
    if found is None:
        raise JobNotFoundError(jobs.store.missing(job_id))
    return found


def _jobs(request: Request) -> IndexJobs:
    jobs: IndexJobs = request.app.state.jobs
    return jobs


async def _upsert(request: Request, response: Response, doc_id: str | None) -> Job:
    """Store the body's documents (new ones, or `doc_id` replaced), then index them."""
    uploads = await _uploads(request, doc_id)
    replace = doc_id is not None
    changes = await run_in_threadpool(_jobs(request).writer.upsert_documents, uploads, replace)
    return await _started(request, response, changes)


async def _started(request: Request, response: Response, changes: list[Change]) -> Job:
    job = await run_in_threadpool(_jobs(request).submit, changes)
    response.headers["Location"] = f"/jobs/{job.id}"
    return job


async def _uploads(request: Request, doc_id: str | None) -> list[Upload]:
    """The documents in the body: files of a multipart form, or one JSON document."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            sent = DocumentIn.model_validate_json(await request.body())
        except ValidationError as error:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
            ) from error
        if doc_id is not None and sent.id not in (None, doc_id):
            raise _invalid("id", "differs from the id in the path: leave it out")
        return [text_upload(sent.text, doc_id or sent.id, sent.title)]
    if kind != "multipart/form-data":
        raise UnsupportedMediaTypeError(
            f"the body is {kind or 'untyped'}: send files as multipart/form-data (field "
            "`files`) or a document as application/json {id?, title?, text}"
        )
    form = await request.form()
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    if not files:
        raise _invalid("files", "no file came: send one or more files in the field `files`")
    if doc_id is not None and len(files) != 1:
        raise _invalid("files", "a document is replaced by one file: send exactly one")
    title = form.get("title")
    given_id = form.get("id")
    if len(files) > 1 and (title or given_id):
        raise _invalid("title", "title and id name one document: send one file with them")
    return [
        Upload(
            filename=f.filename or "upload",
            content=await f.read(),
            doc_id=doc_id or (given_id if isinstance(given_id, str) and given_id else None),
            title=title if isinstance(title, str) and title else None,
        )
        for f in files
    ]


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])
