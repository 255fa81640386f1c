"""The MCP server through the official `mcp` client: streamable HTTP at /mcp, and stdio."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import httpx
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from indexer.building import BuildReport
from qa_service.settings import Settings
from tests.servers import REPO, LiveServer, start_server, stop_server

QUESTION = "How long is the border between Iraq and Iran?"
DOCUMENTS = {"foreign-relations-of-iraq", "iraq-distancing-from-iran"}


def entry_point_command() -> list[str]:
    """How the `rag-mcp` console script runs, read from pyproject.toml."""
    with (REPO / "pyproject.toml").open("rb") as project:
        target = tomllib.load(project)["project"]["scripts"]["rag-mcp"]
    module, function = target.split(":")
    return [
        sys.executable,
        "-c",
        f"import sys; from {module} import {function}; sys.exit({function}())",
    ]


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    structured: dict[str, Any] | None = result.structured_content
    assert structured is not None
    return structured


async def every_tool_and_resource(client: Client) -> dict[str, Any]:
    """What an agent does: list, search, ask, check each citation, read documents, fail."""
    tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == {"search", "ask", "get_document"}
    assert all(t.output_schema and t.description for t in tools)

    found = await call(client, "search", query="Algiers Agreements", top_k=3)
    assert len(found["passages"]) == 3
    top = found["passages"][0]
    span = await call(
        client, "get_document", doc_id=top["doc_id"], start=top["start"], end=top["end"]
    )
    assert span["text"] == top["text"]

    answer = await call(client, "ask", question=QUESTION)
    assert not answer["abstained"] and "1,458 kilometers" in answer["answer"]
    assert answer["citations"]
    for citation in answer["citations"]:  # the check an agent can make
        quoted = await call(
            client,
            "get_document",
            doc_id=citation["doc_id"],
            start=citation["start"],
            end=citation["end"],
        )
        assert quoted["text"] == citation["quote"]
    history = [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": answer["answer"]},
    ]
    follow_up = await call(client, "ask", question="And with Kuwait?", history=history)
    assert "240 k" in follow_up["answer"]

    declined = await call(client, "ask", question="What is the capital of Brazil?")
    assert declined["abstained"] and declined["abstention_reason"] and not declined["citations"]

    unknown = await client.call_tool("get_document", {"doc_id": "no-such-document"})
    assert unknown.is_error and "no-such-document" in str(unknown.content)
    outside = await client.call_tool(
        "get_document", {"doc_id": top["doc_id"], "start": 10, "end": 10**9}
    )
    assert outside.is_error and "start <= end" in str(outside.content)
    blank = await client.call_tool("ask", {"question": "   "})
    assert blank.is_error

    resources = (await client.list_resources()).resources
    assert {str(r.uri) for r in resources} == {f"document://{d}" for d in DOCUMENTS}
    templates = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["document://{doc_id}"]
    whole = await call(client, "get_document", doc_id="iraq-distancing-from-iran")
    read = await client.read_resource("document://iraq-distancing-from-iran")
    assert read.contents[0].text == whole["text"] and whole["end"] == whole["chars"]  # type: ignore[union-attr]
    return answer


def test_every_tool_over_streamable_http(live_server: LiveServer) -> None:
    async def session() -> dict[str, Any]:
        async with Client(f"{live_server.url}/mcp") as client:
            return await every_tool_and_resource(client)

    answer = asyncio.run(session())
    asked = httpx.post(f"{live_server.url}/ask", json={"question": QUESTION}, timeout=30).json()
    assert answer["answer"] == asked["answer"] and answer["citations"] == asked["citations"]


def test_every_tool_over_stdio(settings: Settings, built_index: BuildReport) -> None:
    command, *args = entry_point_command()
    server = StdioServerParameters(
        command=command,
        args=args,
        cwd=REPO,
        env={**os.environ, "RAG_INDEX_DIR": str(settings.index_dir)},
    )

    async def session() -> None:
        async with Client(server, read_timeout_seconds=300) as client:
            await every_tool_and_resource(client)

    asyncio.run(session())


def test_the_stdio_entry_point_without_an_index_says_what_to_run(tmp_path: Path) -> None:
    finished = subprocess.run(
        entry_point_command(),
        cwd=REPO,
        env={**os.environ, "RAG_INDEX_DIR": str(tmp_path / "no-index")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 1 and finished.stdout == ""
    assert finished.stderr.startswith("rag-mcp: ") and "rag-index build" in finished.stderr


def test_mcp_refuses_an_unlisted_host_header(live_server: LiveServer) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"accept": "application/json, text/event-stream"}
    allowed = httpx.post(f"{live_server.url}/mcp", json=request, headers=headers, timeout=30)
    refused = httpx.post(
        f"{live_server.url}/mcp",
        json=request,
        headers={**headers, "host": "evil.example"},
        timeout=30,
    )
    assert allowed.status_code != refused.status_code and refused.status_code in (400, 421)


def test_mcp_tools_report_a_service_that_is_not_ready(tmp_path: Path) -> None:
    server = start_server(tmp_path / "no-index", tmp_path / "log", wait_for="/healthz")

    async def session() -> Any:
        async with Client(f"{server.url}/mcp") as client:
            return await client.call_tool("ask", {"question": QUESTION})

    try:
        result = asyncio.run(session())
    finally:
        stop_server(server)
    assert result.is_error and "rag-index build" in str(result.content)
