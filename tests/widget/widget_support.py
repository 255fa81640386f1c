"""Helpers for the widget's browser tests: SSE bodies, a fake slow stream, a widget driver."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, Route, expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WIDGET_JS = Path(__file__).parents[2] / "qa_service" / "static" / "widget.js"

# Questions the corpus answers (or, for the last one, does not).
BORDER_QUESTION = "How long is Iraq's border with Iran?"
# Answered with two cited sentences: the visit, then what was signed during it.
TWO_SOURCES_QUESTION = "How many memoranda were signed during Pezeshkian's 2024 visit to Iraq?"
FOLLOW_UP = "And with Jordan?"  # the corpus gives that border's length (not Turkey's)
UNANSWERABLE = "How do I bake sourdough bread?"

SLOW_ANSWER_HEAD = "Iraq and Iran share a border "
SLOW_ANSWER = SLOW_ANSWER_HEAD + "of 1,458 kilometers [1]."

XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_LINK = '<a href="javascript:window.__xss=1">click me</a>'

# Pages where host CSS does its worst: a widget outside a shadow root would be unusable.
HOSTILE_CSS = """
* { all: unset !important; font-size: 3px !important; line-height: 0 !important;
    color: #f0f !important; background: #ff0 !important; }
:root, html { font-size: 3px !important; }
button, textarea, input, form, header, section, div, ol, li, p, h2, svg, [role] {
    display: none !important; visibility: hidden !important; opacity: 0 !important; }
*, *::before, *::after { box-sizing: content-box !important; transition: none !important;
    animation: none !important; position: static !important; }
"""


def sse(*events: tuple[str, Any]) -> str:
    """A Server-Sent Events body, as the service writes it."""
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


def parse_sse(body: str) -> dict[str, Any]:
    """The events of an SSE body by name (the last of each), `delta` texts joined."""
    events: dict[str, Any] = {"delta": ""}
    for block in re.split(r"\r?\n\r?\n", body):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if not data:
            continue
        value = json.loads("\n".join(data))
        if name == "delta":
            events["delta"] += value["text"]
        else:
            events[name] = value
    return events


def citation(marker: int, title: str, section: str, quote: str) -> dict[str, Any]:
    return {
        "marker": marker,
        "doc_id": "doc",
        "title": title,
        "section": section,
        "quote": quote,
        "start": 0,
        "end": len(quote),
        "chunk_id": f"doc:{marker}",
        "support": 1.0,
    }


def answer_stream(answer: str, citations: list[dict[str, Any]], passages_text: str = "") -> str:
    """A complete, well-formed stream for `answer` (the way the service cuts it into deltas)."""
    passages = [
        {
            "rank": 1,
            "chunk_id": "doc:1",
            "doc_id": "doc",
            "title": "A title",
            "section": "A section",
            "text": passages_text or answer,
            "start": 0,
            "end": 10,
            "score": 0.5,
        }
    ]
    words = re.findall(r"\S+\s*", answer)
    deltas = [("delta", {"text": "".join(words[i : i + 4])}) for i in range(0, len(words), 4)]
    done = {
        "answer": answer,
        "abstained": False,
        "citations": citations,
        "passages": passages,
        "query": "q",
        "timings_ms": {"total": 1.0},
    }
    return sse(
        ("passages", {"query": "q", "passages": passages}),
        *deltas,
        ("citations", {"citations": citations}),
        ("done", done),
    )


def displayed(answer: str) -> str:
    """The text a rendered answer shows: markers become chips holding the number, and the space
    before a marker goes."""
    return re.sub(r"\s*\[(\d+)\]", r"\1", answer)


class Widget:
    """Drives the widget the way a user does; Playwright's CSS locators pierce the shadow root."""

    def __init__(self, page: Page, api: str) -> None:
        self.page = page
        self.api = api
        self.launcher = page.locator(".launcher")
        self.panel = page.locator("[role=dialog]")
        self.input = page.locator("textarea")
        self.send = page.locator(".send")
        self.log = page.locator("[role=log]")
        self.turns = page.locator(".turn")
        self.chips = page.locator(".chip")
        self.popover = page.locator("[role=tooltip]")
        self.errors = page.locator(".err")

    def open(self) -> None:
        if not self.panel.is_visible():
            self.launcher.click()
        expect(self.panel).to_be_visible()

    def ask(self, question: str) -> dict[str, Any]:
        """Send `question` with the keyboard; once the widget is idle, the events of the stream.

        Chromium keeps no copy of a streamed body, so the same request is sent again: the service
        is deterministic (and caches answers), so it streams the same events.
        """
        with self.page.expect_request(lambda r: r.url.endswith("/ask/stream")) as request:
            self.input.fill(question)
            self.input.press("Enter")
        self.wait_idle()
        again = httpx.post(request.value.url, json=request.value.post_data_json, timeout=30)
        again.raise_for_status()
        return parse_sse(again.text)

    def submit(self, question: str) -> None:
        self.input.fill(question)
        self.input.press("Enter")

    def wait_idle(self) -> None:
        expect(self.send).to_have_attribute("aria-label", "Send question")
        expect(self.page.locator("[aria-busy=true]")).to_have_count(0)

    def last_turn(self) -> Locator:
        return self.turns.last

    def active(self) -> dict[str, Any] | None:
        """What has the focus inside the shadow root (None when the focus is elsewhere)."""
        return self.page.evaluate(
            """() => {
                const root = document.querySelector("qa-chat-widget").shadowRoot;
                const el = root.activeElement;
                if (!el) return null;
                return {tag: el.tagName.toLowerCase(), cls: el.className,
                        label: el.getAttribute("aria-label"),
                        inPanel: !!el.closest("[role=dialog]")};
            }"""
        )

    def count(self, selector: str) -> int:
        return int(
            self.page.evaluate(
                "s => document.querySelector('qa-chat-widget').shadowRoot"
                ".querySelectorAll(s).length",
                selector,
            )
        )

    def stored(self) -> Any:
        raw = self.page.evaluate("k => sessionStorage.getItem(k)", "qa-widget:" + self.api)
        return json.loads(raw) if raw else None


def fulfil(
    route: Route,
    origin: str,
    status: int = 200,
    body: str = "",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> None:
    """Answer an intercepted cross-origin request the way the service's CORS middleware would."""
    route.fulfill(
        status=status,
        body=body,
        content_type=content_type,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": "X-Request-ID, Retry-After",
            **(headers or {}),
        },
    )


@dataclass
class HostSite:
    """The host pages' origin, plus a same-origin fake of /ask/stream that waits on `gate`."""

    origin: str
    api: str
    gate: threading.Event = field(default_factory=threading.Event)

    def url(self, page: str) -> str:
        return f"{self.origin}/{page}"


class HostHandler(SimpleHTTPRequestHandler):
    """Static host pages, and POST /slow/ask/stream: one delta, then waits for the gate."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/slow/ask/stream":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        quote = "Iraq and Iran share a border of 1,458 kilometers."
        cites = [citation(1, "Foreign relations of Iraq", "Relations with Iran", quote)]
        done = {
            "answer": SLOW_ANSWER,
            "abstained": False,
            "citations": cites,
            "passages": [],
            "query": "border",
            "timings_ms": {},
        }
        try:
            self.wfile.write(
                sse(
                    ("passages", {"query": "border", "passages": []}),
                    ("delta", {"text": SLOW_ANSWER_HEAD}),
                ).encode()
            )
            self.wfile.flush()
            self.server.gate.wait(20)  # type: ignore[attr-defined]
            self.wfile.write(
                sse(
                    ("delta", {"text": SLOW_ANSWER[len(SLOW_ANSWER_HEAD) :]}),
                    ("citations", {"citations": cites}),
                    ("done", done),
                ).encode()
            )
        except OSError:
            pass  # the widget stopped reading (the stop button)
