"""The widget's end-to-end setting: a test index, the real service under uvicorn, host pages on a
second origin (with hostile CSS), and one headless Chromium for the whole session."""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from widget_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HOSTILE_CSS,
    HostHandler,
    HostSite,
    Widget,
    trim_corpus,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
expect.set_options(timeout=15_000)

REPO = Path(__file__).parents[2]
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def widget_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A real index of a trimmed corpus (about 20 s, against a minute for the full corpus)."""
    from indexer.building import build_index
    from indexer.settings import IndexSettings

    base = tmp_path_factory.mktemp("widget-index")
    corpus_dir = trim_corpus(base / "corpus")
    report = build_index(IndexSettings(corpus_dir=corpus_dir, index_dir=base / "index"))
    return corpus_dir, report.directory


def _page(api: str, attrs: str = "", css: str = HOSTILE_CSS, body: str = "") -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Host page</title><style>{css}</style></head>
<body><a href="#top" id="first-link">A link on the host page</a>
<h1>A host page</h1><p>Some host content.</p>{body}
<script src="{api}/widget.js" data-api="{api}" {attrs} async></script>
</body></html>"""


PLAIN_BODY = """<header id="h">Header</header><form id="f"><textarea id="t"></textarea>
<button id="b" type="button">Host button</button></form><section id="s">Section</section>"""


@pytest.fixture(scope="session")
def host_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostSite]:
    api = f"http://127.0.0.1:{_free_port()}"
    root = tmp_path_factory.mktemp("host-site")
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(HostHandler, directory=str(root))
    )
    server.daemon_threads = True
    site = HostSite(origin=f"http://127.0.0.1:{server.server_address[1]}", api=api)
    server.gate = site.gate  # type: ignore[attr-defined]
    down = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    pages = {
        "host.html": _page(api),
        "themed.html": _page(
            api,
            'data-title="Archive assistant" data-accent="#0f766e" data-position="bottom-left" '
            'data-placeholder="Ask the archive…" data-open data-timeout="1500"',
        ),
        "light.html": _page(api, 'data-accent="#fde047"'),
        "plain.html": _page(api, css="", body=PLAIN_BODY),
        "bare.html": _page(api, css="", body=PLAIN_BODY).replace("<script src", "<!--").replace(
            "async></script>", "-->"
        ),
        "down.html": _page(down).replace(f'src="{down}/widget.js"', f'src="{api}/widget.js"'),
        "slow.html": _page(site.origin + "/slow").replace(
            f'src="{site.origin}/slow/widget.js"', f'src="{api}/widget.js"'
        ),
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
def server(
    widget_index: tuple[Path, Path], host_site: HostSite, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The real service, under uvicorn, allowing the host pages' origin."""
    corpus_dir, index_dir = widget_index
    port = int(host_site.api.rsplit(":", 1)[1])
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "RAG_INDEX_DIR": str(index_dir),
        "RAG_CORPUS_DIR": str(corpus_dir),
        "RAG_CORS_ORIGINS": json.dumps([host_site.origin]),
    }
    log_path = tmp_path_factory.mktemp("uvicorn") / "uvicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "qa_service.main:app",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"uvicorn exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{host_site.api}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the service was not ready in 120 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield host_site.api
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
