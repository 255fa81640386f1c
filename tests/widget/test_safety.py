"""Every string from the user or the server is rendered as text: markup in a question, a passage,
a quote, a title or the answer stays inert; and the widget loads nothing from other hosts."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, expect

from tests.widget.widget_support import (
    BORDER_QUESTION,
    WIDGET_JS,
    XSS_IMG,
    XSS_LINK,
    XSS_SCRIPT,
    HostSite,
    Widget,
    answer_stream,
    citation,
    fulfil,
)

ACTIVE = "img, script, a, iframe, object, embed, style, link, [onerror], [onclick], [href]"


def assert_inert(page: Page, widget: Widget) -> None:
    assert page.evaluate("window.__xss") is None
    assert widget.count(ACTIVE) == 0
    assert page.evaluate("document.querySelectorAll('img, iframe').length") == 0


def test_markup_in_a_question_stays_text(widget: Widget, page: Page) -> None:
    question = f"{XSS_IMG} {XSS_SCRIPT} {BORDER_QUESTION}"
    widget.ask(question)

    expect(widget.last_turn().locator(".user")).to_have_text(question)
    expect(widget.last_turn().locator(".bot")).to_be_visible()  # answered (or abstained)
    assert_inert(page, widget)
    page.reload()  # and from sessionStorage, too
    expect(widget.last_turn().locator(".user")).to_have_text(question)
    assert_inert(page, widget)


def test_markup_from_the_server_stays_text(widget: Widget, page: Page, host_site: HostSite) -> None:
    answer = f"Evil {XSS_IMG} answer {XSS_LINK} [1]. More {XSS_SCRIPT} [2]."
    cites = [
        citation(1, XSS_SCRIPT, XSS_IMG, f"{XSS_LINK} {XSS_IMG}"),
        citation(2, "javascript:window.__xss=1", XSS_LINK, XSS_SCRIPT),
    ]
    body = answer_stream(answer, cites, passages_text=f"{XSS_SCRIPT}{XSS_IMG}{XSS_LINK}")

    def hostile(route: Route) -> None:
        fulfil(route, host_site.origin, body=body, content_type="text/event-stream")

    page.route("**/ask/stream", hostile)
    widget.submit("Anything")
    widget.wait_idle()

    turn = widget.last_turn()
    shown = f"Evil {XSS_IMG} answer {XSS_LINK}1. More {XSS_SCRIPT}2."
    expect(turn.locator(".bot")).to_contain_text(shown)
    expect(turn.locator(".srcs")).to_contain_text(XSS_SCRIPT)
    for index, cited in enumerate(cites):
        chip = widget.chips.nth(index)
        chip.hover()
        expect(widget.popover.locator(".pq")).to_have_text(f"“{cited['quote']}”")
        expect(widget.popover.locator(".pm b")).to_have_text(cited["title"])
        chip.click()
    for source in turn.locator(".srcs li").all():
        source.click()
    assert_inert(page, widget)


def test_the_source_never_assigns_markup() -> None:
    source = WIDGET_JS.read_text(encoding="utf-8")
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "createContextualFragment",
        "srcdoc",
    ):
        assert sink not in source, f"widget.js uses {sink}"


def test_nothing_is_loaded_from_other_hosts(
    widget: Widget, page: Page, host_site: HostSite
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.reload()
    widget.ask(BORDER_QUESTION)
    widget.chips.first.hover()

    origins = {"{0.scheme}://{0.netloc}".format(urlsplit(url)) for url in requested}
    assert origins <= {host_site.origin, host_site.api}
    assert f"{host_site.api}/widget.js" in requested
    # The only URL in the source is the SVG namespace, which is a name, not a download.
    urls = set(re.findall(r"https?://[^\s\"'`)]+", WIDGET_JS.read_text(encoding="utf-8")))
    assert urls <= {"http://www.w3.org/2000/svg"}
