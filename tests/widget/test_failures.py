"""Every way a request can fail ends in a visible message with a retry button that works, never in
a silent hang."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.widget.widget_support import BORDER_QUESTION, HostSite, Widget, fulfil, sse

STREAM = "text/event-stream"
PASSAGES = ("passages", {"query": "q", "passages": []})

CASES: dict[str, dict[str, Any]] = {
    "429 too many requests": {
        "status": 429,
        "body": json.dumps({"error": "too_many_requests", "detail": "slow down"}),
        "headers": {"Retry-After": "1"},
        "says": ["Too many requests", "Wait a moment, then retry", "retry in 1 s"],
    },
    "503 not ready": {
        "status": 503,
        "body": json.dumps({"error": "not_ready", "detail": "the index is still loading"}),
        "headers": {"Retry-After": "1"},
        "says": ["The service is not ready", "the index is still loading", "Retry later"],
    },
    "422 invalid": {
        "status": 422,
        "body": json.dumps(
            {
                "error": "invalid_request",
                "detail": [
                    {
                        "field": "body.question",
                        "message": "String should have at most 1000 characters",
                        "type": "string_too_long",
                    }
                ],
            }
        ),
        "says": ["not accepted", "question: String should have at most 1000 characters"],
    },
    "413 too large": {
        "status": 413,
        "body": json.dumps(
            {"error": "payload_too_large", "detail": "the request body is over 65536 bytes"}
        ),
        "says": ["Too long", "the request body is over 65536 bytes"],
    },
    "500 without JSON": {
        "status": 500,
        "body": "Internal Server Error",
        "content_type": "text/plain",
        "says": ["The service failed", "HTTP 500"],
    },
    "stream ends without done": {
        "body": sse(PASSAGES, ("delta", {"text": "The border "})),
        "content_type": STREAM,
        "says": ["cut off", "closed before the answer was complete"],
    },
    "error event": {
        "body": sse(
            PASSAGES,
            (
                "error",
                {
                    "error": "internal_error",
                    "request_id": "abc",
                    "detail": "answering failed (RuntimeError); retry",
                },
            ),
        ),
        "content_type": STREAM,
        "says": ["The answer failed", "answering failed (RuntimeError); retry"],
    },
    "malformed event": {
        "body": "event: delta\ndata: {not json\n\n",
        "content_type": STREAM,
        "says": ["Unreadable answer", "malformed"],
    },
    "JSON instead of a stream": {
        "body": json.dumps({"answer": "?"}),
        "says": ["Unexpected response", "did not send an answer stream"],
    },
}


def retry_works(widget: Widget, page: Page, waits: bool = False) -> None:
    page.unroute_all(behavior="ignoreErrors")
    retry = widget.errors.get_by_role("button")
    if waits:  # Retry-After: the button waits, then comes back
        expect(retry).to_be_disabled()
        expect(retry).to_have_text("Retry in 1 s")
    expect(retry).to_be_enabled()
    retry.click()
    widget.wait_idle()
    expect(widget.errors).to_have_count(0)
    expect(widget.turns).to_have_count(1)
    expect(widget.last_turn().locator(".chip").first).to_be_visible()


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_failed_response_says_what_happened_and_can_be_retried(
    widget: Widget, page: Page, host_site: HostSite, case: dict[str, Any]
) -> None:
    def failing(route: Route) -> None:
        fulfil(
            route,
            host_site.origin,
            status=case.get("status", 200),
            body=case["body"],
            content_type=case.get("content_type", "application/json"),
            headers=case.get("headers"),
        )

    page.route("**/ask/stream", failing)
    widget.submit(BORDER_QUESTION)

    expect(widget.errors).to_have_attribute("role", "alert")
    for text in case["says"]:
        expect(widget.errors).to_contain_text(text, ignore_case=True)
    expect(widget.send).to_have_attribute("aria-label", "Send question")
    retry_works(widget, page, waits="headers" in case)


def test_a_network_failure_can_be_retried(widget: Widget, page: Page) -> None:
    page.route("**/ask/stream", lambda route: route.abort("connectionrefused"))
    widget.submit(BORDER_QUESTION)
    expect(widget.errors).to_contain_text("Cannot reach the service")
    retry_works(widget, page)


def test_a_server_that_is_down(page: Page, host_site: HostSite) -> None:
    page.goto(host_site.url("down.html"))  # data-api points at a port nobody listens on
    widget = Widget(page, "")
    widget.open()
    widget.submit(BORDER_QUESTION)
    expect(widget.errors).to_contain_text("Cannot reach the service")
    expect(widget.errors.get_by_role("button", name="Retry this question")).to_be_enabled()


def test_silence_times_out(page: Page, host_site: HostSite) -> None:
    page.goto(host_site.url("themed.html"))  # data-timeout="1500"
    widget = Widget(page, "")
    page.route("**/ask/stream", lambda route: None)  # never answered
    widget.submit(BORDER_QUESTION)
    expect(widget.send).to_have_attribute("aria-label", "Stop answering")
    expect(widget.errors).to_contain_text("No response", timeout=5000)
    expect(widget.errors).to_contain_text("sent nothing for 2 s")
    retry_works(widget, page)
