"""The widget's end-to-end setting: the real service under uvicorn on the session's index (from
tests/conftest.py), host pages on a second origin with hostile CSS, and one headless Chromium."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.servers import LiveServer, free_port
from tests.widget.widget_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HOSTILE_CSS,
    HostHandler,
    HostSite,
    Widget,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
expect.set_options(timeout=15_000)

REPO = Path(__file__).parents[2]


def _page(
    script: str, data_api: str, attrs: str = "", css: str = HOSTILE_CSS, body: str = ""
) -> str:
    """A host page loading widget.js from `script` (no embed when empty), set to `data_api`."""
    embed = f'<script src="{script}/widget.js" data-api="{data_api}" {attrs} async></script>'
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Host page</title><style>{css}</style></head>
<body><a href="#top" id="first-link">A link on the host page</a>
<h1>A host page</h1><p>Some host content.</p>{body}
{embed if script else ""}
</body></html>"""


PLAIN_BODY = """<header id="h">Header</header><form id="f"><textarea id="t"></textarea>
<button id="b" type="button">Host button</button></form><section id="s">Section</section>"""


@pytest.fixture(scope="session")
def host_site(
    live_server: LiveServer, browser_origin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostSite]:
    """Host pages with hostile CSS on the origin CORS allows, embedding the live server's widget."""
    api = live_server.url
    root = tmp_path_factory.mktemp("host-site")
    port = int(browser_origin.rsplit(":", 1)[1])
    server = ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(HostHandler, directory=str(root))
    )
    server.daemon_threads = True
    site = HostSite(origin=browser_origin, api=api)
    server.gate = site.gate  # type: ignore[attr-defined]
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    pages = {
        "host.html": _page(api, api),
        "themed.html": _page(
            api,
            api,
            'data-title="Archive assistant" data-accent="#0f766e" data-position="bottom-left" '
            'data-placeholder="Ask the archive…" data-open data-timeout="1500"',
        ),
        "light.html": _page(api, api, 'data-accent="#fde047"'),
        "plain.html": _page(api, api, css="", body=PLAIN_BODY),
        "keyed.html": _page(api, api, 'data-api-key="page-read-key"'),
        "bare.html": _page("", api, css="", body=PLAIN_BODY),
        "down.html": _page(api, down),
        "slow.html": _page(api, site.origin + "/slow"),
    }
    for name, html in pages.items():
        (root / name).write_text(html, encoding="utf-8")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.gate.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="session")
def server(live_server: LiveServer) -> str:
    """The real service under uvicorn (the session's shared server)."""
    return live_server.url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, server: str) -> Iterator[Page]:
    """A fresh page; the test fails if the page throws (an uncaught error in the widget)."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"the page threw: {errors}"


@pytest.fixture
def widget(page: Page, host_site: HostSite, server: str) -> Widget:
    """The widget on the hostile host page, loaded and opened."""
    page.goto(host_site.url("host.html"))
    found = Widget(page, server)
    found.open()
    return found


@pytest.fixture
def gate(host_site: HostSite) -> Iterator[threading.Event]:
    host_site.gate.clear()
    yield host_site.gate
    host_site.gate.set()
