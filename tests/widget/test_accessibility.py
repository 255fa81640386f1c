"""Keyboard-only use, ARIA roles and labels, contrast, and a 375 px wide phone screen."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.widget.widget_support import BORDER_QUESTION, UNANSWERABLE, HostSite, Widget

# Contrast of every visible piece of text against the background it sits on (WCAG 2 formula).
CONTRASTS = """() => {
  const root = document.querySelector("qa-chat-widget").shadowRoot;
  const rgba = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => (v /= 255) <= 0.03928 ? v / 12.92
      : ((v + 0.055) / 1.055) ** 2.4).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgba(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = [];
  for (const el of root.querySelectorAll("*")) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest(".sr") || el.matches(":disabled")) continue;
    if (!el.getClientRects().length) continue;
    const fg = lum(rgba(getComputedStyle(el).color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    out.push([el.className || el.tagName, Math.round(ratio * 100) / 100]);
  }
  return out;
}"""


def test_a_keyboard_only_session(page: Page, host_site: HostSite, server: str) -> None:
    page.goto(host_site.url("host.html"))
    widget = Widget(page, server)
    expect(widget.launcher).to_be_visible()

    for _ in range(5):  # the host page's link, then the launcher
        page.keyboard.press("Tab")
        if (widget.active() or {}).get("cls") == "launcher":
            break
    assert widget.active() == {
        "tag": "button",
        "cls": "launcher",
        "label": "Open chat: Ask the documents",
        "inPanel": False,
    }
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    assert (widget.active() or {}).get("tag") == "textarea"

    # Shift+Enter is a new line; Enter sends.
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    expect(widget.input).to_have_value("first line\nsecond line")
    expect(widget.turns).to_have_count(0)
    page.keyboard.press("Control+A")
    page.keyboard.type(BORDER_QUESTION)
    page.keyboard.press("Enter")
    widget.wait_idle()
    expect(widget.chips.first).to_be_visible()
    chips = widget.chips.count()

    # Tab goes round the panel's controls, chips included, and never leaves the panel.
    seen = []
    for _ in range(chips + 6):
        page.keyboard.press("Tab")
        active = widget.active()
        assert active is not None and active["inPanel"], f"the focus left the panel: {active}"
        seen.append(active["label"])
        if active["cls"] == "chip":
            expect(widget.popover).to_be_visible()  # focus opens the quote
    assert seen[:2] == ["Send question", "Clear conversation"]
    assert sum(label.startswith("Source ") for label in seen) >= chips
    page.keyboard.press("Shift+Tab")
    while (widget.active() or {}).get("cls") != "chip":
        page.keyboard.press("Shift+Tab")
    expect(widget.popover).to_be_visible()

    # Esc closes the quote first, then the panel, and the focus goes back to the launcher.
    page.keyboard.press("Escape")
    expect(widget.popover).to_be_hidden()
    expect(widget.panel).to_be_visible()
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    assert (widget.active() or {}).get("cls") == "launcher"
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")


def test_roles_labels_and_live_regions(widget: Widget, page: Page) -> None:
    dialog = page.get_by_role("dialog", name="Ask the documents")
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    expect(widget.launcher).to_have_attribute("aria-controls", "panel")
    expect(dialog.get_by_role("log", name="Conversation")).to_have_attribute("aria-live", "polite")
    expect(dialog.get_by_role("textbox", name="Your question")).to_be_focused()
    expect(dialog.get_by_role("button", name="Close chat")).to_be_visible()
    expect(dialog.get_by_role("button", name="Clear conversation")).to_be_attached()

    widget.ask(BORDER_QUESTION)
    expect(page.get_by_role("status")).to_have_text("Answer ready")
    for button in page.locator("[role=dialog] button").all():
        assert (button.get_attribute("aria-label") or button.text_content() or "").strip()
    chip = widget.chips.first
    expect(chip).to_have_attribute("aria-describedby", "pop")
    chip.focus()
    expect(page.get_by_role("tooltip")).to_be_visible()


def test_text_contrast_meets_wcag_aa(widget: Widget, page: Page) -> None:
    widget.ask(BORDER_QUESTION)
    widget.ask(UNANSWERABLE)
    page.route("**/ask/stream", lambda route: route.abort("connectionrefused"))
    widget.submit("A question that fails")
    expect(widget.errors).to_be_visible()
    widget.chips.first.hover()
    expect(widget.popover).to_be_visible()

    ratios = page.evaluate(CONTRASTS)
    kinds = {kind for kind, _ in ratios}
    assert {"chip", "bubble user", "bubble bot abstain", "pq", "st", "foot"} <= kinds
    low = [(kind, ratio) for kind, ratio in ratios if ratio < 4.5]
    assert not low, f"text below 4.5:1: {low}"


@pytest.fixture
def phone(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 375, "height": 667},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    yield context.new_page()
    context.close()


def test_a_phone_screen_gets_a_full_width_panel(
    phone: Page, host_site: HostSite, server: str
) -> None:
    phone.goto(host_site.url("host.html"))
    widget = Widget(phone, server)
    widget.launcher.tap()
    expect(widget.panel).to_be_visible()
    widget.ask(BORDER_QUESTION)
    widget.chips.first.tap()
    expect(widget.popover).to_be_visible()

    assert widget.panel.bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 667}
    for part in (widget.input, widget.send, widget.popover, widget.last_turn()):
        box = part.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, part
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    assert widget.log.evaluate("e => e.scrollWidth <= e.clientWidth")
    # 16 px, so that phones do not zoom in when the field gets the focus.
    expect(widget.input).to_have_css("font-size", "16px")
