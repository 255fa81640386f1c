"""Screenshots of the widget on the demo page, desktop (a quote open) and phone: always taken, as a
check that an answered question renders; written to docs/ when UPDATE_WIDGET_SCREENSHOTS=1."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.widget.widget_support import BORDER_QUESTION, Widget

DOCS = Path(__file__).parents[2] / "docs"


def test_screenshots(browser: Browser, server: str, tmp_path: Path) -> None:
    shots = {}
    for name, options in {
        "desktop": {"viewport": {"width": 1280, "height": 800}},
        "mobile": {
            "viewport": {"width": 375, "height": 667},
            "device_scale_factor": 2,
            "is_mobile": True,
            "has_touch": True,
        },
    }.items():
        context = browser.new_context(**options)  # type: ignore[arg-type]
        try:
            page = context.new_page()
            page.goto(f"{server}/")
            widget = Widget(page, server)
            widget.open()
            widget.ask(BORDER_QUESTION)
            if name == "desktop":
                widget.chips.first.hover()
                expect(widget.popover).to_be_visible()
            else:
                widget.input.blur()
            page.mouse.move(0, 0) if name == "mobile" else None
            shots[name] = tmp_path / f"widget-{name}.png"
            page.screenshot(path=shots[name], animations="disabled")
        finally:
            context.close()
        assert shots[name].stat().st_size > 10_000
    if os.environ.get("UPDATE_WIDGET_SCREENSHOTS") == "1":
        for name, path in shots.items():
            shutil.copyfile(path, DOCS / f"widget-{name}.png")
