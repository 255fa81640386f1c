"""The MCP server: `QAService`'s search, cited answers and documents as tools and resources.

Agents reach it two ways: streamable HTTP at `/mcp` in the FastAPI app (`mount_mcp`), or stdio
for desktop clients (`rag-mcp`, `main`). Every tool result is structured, so an agent can check
each citation: `get_document(doc_id, start, end)` returns exactly the quoted text.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import metadata
from typing import Annotated, TypeVar

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field, ValidationError
from starlette.routing import Route

from corpus import CorpusError, Document
from indexer.artifact import IndexLoadError
from indexer.embedding import ModelError
from qa_service.dependencies import loaded_service
from qa_service.pipeline import QAError, QAService
from qa_service.schemas import (
    MAX_QUESTION_CHARS,
    MAX_TOP_K,
    AskRequest,
    AskResponse,
    SearchRequest,
    SearchResponse,
    Turn,
)
from qa_service.settings import Settings, get_settings

RequestT = TypeVar("RequestT", bound=BaseModel)

MCP_PATH = "/mcp"
INSTRUCTIONS = """Answers questions from a fixed set of documents only, citing the exact passage
behind every sentence. Use `ask` for an answer with citations (it abstains, with a reason, when
the documents do not answer), `search` for passages, and `get_document` to read a document or to
check a citation: get_document(doc_id, start, end).text == the citation's quote."""

Question = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS)]
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K, description="How many passages to return")]
_READ_ONLY = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)


class DocumentSpan(BaseModel, frozen=True):
    """A document's text from `start` to `end` (the whole text by default)."""

    doc_id: str
    title: str
    start: int
    end: int
    chars: int = Field(description="The document's length: offsets run from 0 to chars")
    text: str = Field(description="== the document's text[start:end]")


def create_mcp_server(service: Callable[[], QAService]) -> MCPServer:
    """The tools over `service()`, which returns the loaded service or raises `QAError`."""
    server = _quiet_server()

    def loaded() -> QAService:
        try:
            return service()
        except QAError as error:
            raise ToolError(str(error)) from error

    @server.tool(annotations=_READ_ONLY)
    def search(query: Question, top_k: TopK = 5) -> SearchResponse:
        """Passages of the documents that match `query` (hybrid dense + BM25 retrieval), best
        first, each with its doc_id and character offsets."""
        return loaded().search(_valid(SearchRequest, query=query, top_k=top_k))

    @server.tool(annotations=_READ_ONLY)
    def ask(question: Question, history: list[Turn] | None = None, top_k: TopK = 5) -> AskResponse:
        """Answer `question` from the documents: every sentence ends with [n] markers whose
        citations give doc_id, start, end and the verbatim quote. When the documents do not
        answer, `abstained` is true and `abstention_reason` says why. `history` holds earlier
        turns ({role: user|assistant, content}) for follow-up questions."""
        request = _valid(AskRequest, question=question, history=history or [], top_k=top_k)
        return loaded().ask(request)

    @server.tool(annotations=_READ_ONLY)
    def get_document(doc_id: str, start: int = 0, end: int | None = None) -> DocumentSpan:
        """A document's text, or its span text[start:end] (character offsets, as in citations
        and passages); the documents' ids are listed as resources and in search results."""
        document = loaded().document(doc_id)
        if document is None:
            raise ToolError(f"no document has the id {doc_id!r}: use a doc_id from search or ask")
        stop = len(document.text) if end is None else end
        if not 0 <= start <= stop <= len(document.text):
            raise ToolError(
                f"the span {start}:{stop} is outside the document: "
                f"offsets must satisfy 0 <= start <= end <= {len(document.text)}"
            )
        return DocumentSpan(
            doc_id=doc_id,
            title=document.title,
            start=start,
            end=stop,
            chars=len(document.text),
            text=document.text[start:stop],
        )

    @server.resource("document://{doc_id}", mime_type="text/plain")
    def document_text(doc_id: str) -> str:
        """A document's full text: the text citation offsets point into."""
        try:
            found = service().document(doc_id)
        except QAError as error:
            raise ResourceNotFoundError(str(error)) from error
        if found is None:
            raise ResourceNotFoundError(f"no document has the id {doc_id!r}")
        return found.text

    return server


def add_document_resources(server: MCPServer, qa: QAService) -> None:
    """List each document of the loaded index as a resource, so clients can show them."""
    for document in qa.documents():
        server.add_resource(_document_resource(document))


def mount_mcp(app: FastAPI, settings: Settings) -> Callable[[], AbstractAsyncContextManager[None]]:
    """Serve MCP over streamable HTTP at `/mcp`; enter the result in the app's lifespan.

    Stateless, with JSON responses: any worker process can answer any request, and the tools
    neither notify nor ask the client anything mid-call.
    """
    server = create_mcp_server(lambda: loaded_service(app))
    endpoint = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=TransportSecuritySettings(
            allowed_hosts=settings.mcp_allowed_hosts, allowed_origins=settings.cors_origins
        ),
    )
    app.router.routes.append(Route(MCP_PATH, endpoint, methods=["GET", "POST", "DELETE"]))

    @asynccontextmanager
    async def sessions() -> AsyncIterator[None]:
        if app.state.service is not None:
            add_document_resources(server, app.state.service)
        async with server.session_manager.run():
            yield

    return sessions


def main() -> None:
    """`rag-mcp`: the MCP server on stdin/stdout, for desktop clients that start it themselves."""
    settings = get_settings()
    logging.basicConfig(  # stdout carries the protocol: logs go to stderr
        stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("qa_service").setLevel(settings.log_level)
    try:
        qa = QAService(settings)
    except (IndexLoadError, ModelError, CorpusError) as error:
        sys.exit(f"rag-mcp: {error}")
    server = create_mcp_server(lambda: qa)
    add_document_resources(server, qa)
    server.run("stdio")


def _quiet_server() -> MCPServer:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server = MCPServer(
        "grounded-qa",
        title="Grounded QA",
        instructions=INSTRUCTIONS,
        version=metadata.version("grounded-qa"),
    )
    # MCPServer() sets up root logging itself; the entry points (uvicorn, `main`) own that.
    root.handlers[:] = handlers
    root.setLevel(level)
    return server


def _document_resource(document: Document) -> FunctionResource:
    return FunctionResource.from_function(
        lambda: document.text,
        uri=f"document://{document.id}",
        name=document.id,
        title=document.title,
        description=f"{document.title} ({len(document.text):,} characters; source: "
        f"{document.source})",
        mime_type="text/plain",
    )


def _valid(model: type[RequestT], **fields: object) -> RequestT:
    try:
        return model.model_validate(fields)
    except ValidationError as error:
        raise ToolError("; ".join(e["msg"] for e in error.errors())) from error
