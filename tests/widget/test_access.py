"""What a browser meets on a hardened service: a page on an origin CORS refuses is told so, the
page's API key is sent, and /docs renders offline under its Content-Security-Policy."""

from __future__ import annotations

from playwright.sync_api import Page, Request, expect

from tests.widget.widget_support import BORDER_QUESTION, HostSite, Widget


def test_a_page_on_a_refused_origin_is_told_to_ask_the_operator(
    page: Page, host_site: HostSite, server: str
) -> None:
    # The same host page under another name for the same machine: an origin CORS does not list.
    refused = host_site.url("host.html").replace("127.0.0.1", "localhost")
    page.goto(refused)
    widget = Widget(page, server)
    widget.open()
    widget.submit(BORDER_QUESTION)
    expect(widget.errors).to_contain_text("This site is not allowed to ask")
    expect(widget.errors).to_contain_text("RAG_CORS_ORIGINS")


def test_the_page_key_is_sent_as_a_bearer_token(page: Page, host_site: HostSite) -> None:
    page.goto(host_site.url("keyed.html"))  # data-api-key="page-read-key"
    widget = Widget(page, host_site.api)
    widget.open()
    with page.expect_request(lambda r: r.url.endswith("/ask/stream")) as sent:
        widget.submit(BORDER_QUESTION)
    request: Request = sent.value
    assert request.headers["authorization"] == "Bearer page-read-key"
    widget.wait_idle()
    expect(widget.chips.first).to_be_visible()


def test_docs_render_offline_from_the_service_alone(page: Page, server: str) -> None:
    requested: list[str] = []
    refused: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{server}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Grounded QA")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert requested and all(url.startswith(server) for url in requested), requested
    assert not refused, refused
