"""The service serves the widget and its demo page, and the widget stays within its size budget."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.widget.widget_support import WIDGET_JS, Widget

# Widget JS and its CSS, uncompressed: 30,000 until it gained the short answer, streamed
# citations per sentence and the access-refused and CORS messages.
BUDGET_BYTES = 32_000


def test_the_widget_fits_its_budget() -> None:
    size = WIDGET_JS.stat().st_size
    assert size < BUDGET_BYTES, f"widget.js is {size} bytes, over the {BUDGET_BYTES} byte budget"


def test_the_service_serves_the_widget_and_a_demo(server: str) -> None:
    script = httpx.get(f"{server}/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.content == WIDGET_JS.read_bytes()
    demo = httpx.get(f"{server}/")
    assert demo.status_code == 200
    assert '<script src="/widget.js" async></script>' in demo.text


def test_the_demo_page_embeds_a_working_widget(page: Page, server: str) -> None:
    page.goto(f"{server}/")  # data-api defaults to the script's own origin
    expect(page.locator("#snippet")).to_have_text(
        f'<script src="{server}/widget.js" data-api="{server}" async></script>'
    )
    widget = Widget(page, server)
    widget.open()
    widget.ask("How long is Iraq's border with Iran?")
    expect(widget.chips.first).to_be_visible()
    assert widget.stored() is not None  # keyed by the API it talks to
