"""Asking, streaming, citations, follow-ups, stop, reload and clear: the widget against the real
service, on a host page of another origin whose CSS tries to break it."""

from __future__ import annotations

import threading

from playwright.sync_api import Page, expect

from tests.widget.widget_support import (
    BORDER_QUESTION,
    FOLLOW_UP,
    SLOW_ANSWER,
    SLOW_ANSWER_HEAD,
    TWO_SOURCES_QUESTION,
    UNANSWERABLE,
    HostSite,
    Widget,
    displayed,
)


def test_an_answer_streams_in_with_chips_and_sources(widget: Widget) -> None:
    events = widget.ask(BORDER_QUESTION)

    done = events["done"]
    assert not done["abstained"] and done["citations"], "the test corpus answers this question"
    assert events["delta"] == done["answer"]
    turn = widget.last_turn()
    expect(turn.locator(".user")).to_have_text(BORDER_QUESTION)
    # The short answer comes first, above the full answer.
    expect(turn.locator(".short")).to_contain_text(done["short_answer"]["text"])
    answer = turn.locator(".bot")
    # The answer shows its text with each [n] turned into a chip holding n.
    expect(answer.locator(".srcs")).to_be_visible()
    shown = answer.evaluate(
        "b => [...b.childNodes].filter(n => !n.classList || !n.classList.contains('srcs'))"
        ".map(n => n.textContent).join('')"
    )
    assert shown == displayed(done["answer"])
    chips = answer.locator(".chip")
    markers = [str(c["marker"]) for c in done["citations"]]
    assert chips.all_text_contents() == markers
    for chip, cited in zip(chips.all(), done["citations"], strict=True):
        expect(chip).to_have_attribute(
            "aria-label", f"Source {cited['marker']}: {cited['title']}, {cited['section']}"
        )
    # Each cited passage is listed once under the answer.
    sources = answer.locator(".srcs li")
    expect(sources).to_have_count(len({(c["title"], c["section"]) for c in done["citations"]}))
    for cited in done["citations"]:
        expect(sources.filter(has_text=cited["section"].split(" > ")[-1]).first).to_contain_text(
            cited["title"]
        )


def test_the_host_css_neither_breaks_the_widget_nor_is_broken_by_it(
    widget: Widget, page: Page, host_site: HostSite
) -> None:
    box = widget.launcher.bounding_box()
    assert box is not None and (box["width"], box["height"]) == (56, 56)
    assert abs(box["x"] - 1204) < 2 and abs(box["y"] - 724) < 2  # 20 px from the corner
    title = page.locator("[role=dialog] h2")
    assert title.evaluate("e => getComputedStyle(e).fontSize") == "15px"
    assert widget.panel.bounding_box()["width"] == 380  # type: ignore[index]

    # And the widget's CSS does not reach the host page's own elements.
    def styles(url: str) -> list[str]:
        page.goto(url)
        return page.evaluate(
            """() => ["h", "f", "t", "b", "s"].map(id => {
                const s = getComputedStyle(document.getElementById(id));
                return [s.padding, s.margin, s.borderRadius, s.background, s.font, s.display,
                        s.boxSizing].join("|");
            })"""
        )

    bare = styles(host_site.url("bare.html"))
    with_widget = styles(host_site.url("plain.html"))
    expect(page.locator(".launcher")).to_be_visible()
    assert with_widget == bare


def test_a_quote_opens_on_hover_and_on_focus(widget: Widget) -> None:
    done = widget.ask(TWO_SOURCES_QUESTION)["done"]
    assert len(done["citations"]) >= 2, "the test corpus answers this with two sentences"
    first, second = done["citations"][0], done["citations"][1]

    widget.chips.nth(0).hover()
    expect(widget.popover).to_be_visible()
    expect(widget.popover.locator(".pq")).to_have_text(f"“{first['quote'].strip()}”")
    expect(widget.popover.locator(".pm")).to_have_text(first["title"] + first["section"])
    expect(widget.chips.nth(0)).to_have_attribute("aria-expanded", "true")
    widget.page.mouse.move(5, 5)
    expect(widget.popover).to_be_hidden()

    widget.chips.nth(1).focus()
    expect(widget.popover.locator(".pq")).to_contain_text(second["quote"].strip())
    expect(widget.chips.nth(0)).to_have_attribute("aria-expanded", "false")
    widget.input.focus()
    expect(widget.popover).to_be_hidden()


def test_a_follow_up_carries_the_history(widget: Widget, page: Page) -> None:
    first = widget.ask(BORDER_QUESTION)["done"]
    with page.expect_request("**/ask/stream") as sent:
        follow_up = widget.ask(FOLLOW_UP)["done"]

    assert sent.value.post_data_json == {
        "question": FOLLOW_UP,
        "history": [
            {"role": "user", "content": BORDER_QUESTION},
            {"role": "assistant", "content": first["answer"]},
        ],
    }
    # The service resolved the follow-up against the first question.
    assert "Jordan" in follow_up["query"] and "border" in follow_up["query"]
    expect(widget.turns).to_have_count(2)
    expect(widget.last_turn().locator(".chip").first).to_be_visible()


def test_a_long_conversation_is_trimmed_to_the_limits(widget: Widget, page: Page) -> None:
    # 15 earlier turns whose answers are long and two bytes a character in UTF-8.
    earlier = [
        {"q": f"Question {i}?", "a": {"text": "é" * 5000, "citations": [], "abstained": False}}
        for i in range(15)
    ]
    page.evaluate(
        "([key, turns]) => sessionStorage.setItem(key, JSON.stringify({turns, ui: {open: true}}))",
        ["qa-widget:" + widget.api, earlier],
    )
    page.reload()
    expect(widget.turns).to_have_count(15)
    with page.expect_request("**/ask/stream") as sent:
        done = widget.ask(BORDER_QUESTION)["done"]

    history = sent.value.post_data_json["history"]
    assert len(sent.value.post_data_buffer) <= 60_000  # under the service's 64 KiB body limit
    assert 2 <= len(history) <= 20 and len(history) % 2 == 0
    assert history[-2:] == [
        {"role": "user", "content": "Question 14?"},
        {"role": "assistant", "content": "é" * 4000},  # each turn cut to 4,000 characters
    ]
    assert done["citations"]  # and the service took it
    expect(widget.errors).to_have_count(0)
    expect(widget.last_turn().locator(".chip").first).to_be_visible()


def test_an_abstention_looks_unlike_an_answer_and_unlike_an_error(widget: Widget) -> None:
    done = widget.ask(UNANSWERABLE)["done"]

    assert done["abstained"]
    turn = widget.last_turn()
    abstention = turn.locator(".abstain")
    expect(abstention).to_contain_text("Not in the sources")
    expect(abstention).to_contain_text(done["answer"])
    expect(turn.locator(".chip")).to_have_count(0)
    expect(turn.locator("[role=alert]")).to_have_count(0)
    background = abstention.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgb(254, 242, 242)")  # answer, error


def test_the_conversation_survives_a_reload_and_can_be_cleared(widget: Widget, page: Page) -> None:
    done = widget.ask(BORDER_QUESTION)["done"]

    page.reload()
    expect(widget.panel).to_be_visible()  # it was open: it reopens
    expect(widget.turns).to_have_count(1)
    expect(widget.last_turn().locator(".user")).to_have_text(BORDER_QUESTION)
    expect(widget.chips).to_have_count(len(done["citations"]))
    assert widget.stored()["turns"][0]["a"]["text"] == done["answer"]

    page.get_by_role("button", name="Clear conversation").click()
    expect(widget.turns).to_have_count(0)
    expect(widget.log).to_contain_text("Ask a question about the documents")
    assert widget.stored()["turns"] == []
    page.reload()
    widget.open()
    expect(widget.turns).to_have_count(0)


def test_deltas_render_as_they_arrive_and_stop_keeps_what_came(
    page: Page, host_site: HostSite, gate: threading.Event
) -> None:
    page.goto(host_site.url("slow.html"))
    widget = Widget(page, host_site.origin + "/slow")
    widget.open()

    widget.submit("How long is the border?")
    answer = widget.last_turn().locator(".bot")
    expect(answer).to_have_text(SLOW_ANSWER_HEAD.strip())  # the first delta, before the rest
    expect(answer).to_have_attribute("aria-busy", "true")
    expect(widget.send).to_have_attribute("aria-label", "Stop answering")
    widget.send.click()

    expect(widget.errors).to_contain_text("Stopped")
    expect(widget.last_turn().locator(".partial")).to_have_text(SLOW_ANSWER_HEAD.strip())
    expect(widget.send).to_have_attribute("aria-label", "Send question")

    gate.set()  # the retry streams to the end
    widget.errors.get_by_role("button", name="Retry this question").click()
    widget.wait_idle()
    expect(widget.errors).to_have_count(0)
    expect(widget.last_turn().locator(".bot")).to_contain_text(displayed(SLOW_ANSWER))
    expect(widget.chips).to_have_text(["1"])


def test_data_attributes_theme_the_widget(page: Page, host_site: HostSite) -> None:
    page.goto(host_site.url("themed.html"))
    widget = Widget(page, "")

    expect(widget.panel).to_be_visible()  # data-open
    expect(page.locator("[role=dialog] h2")).to_have_text("Archive assistant")
    expect(widget.input).to_have_attribute("placeholder", "Ask the archive…")
    expect(widget.launcher).to_have_css("background-color", "rgb(15, 118, 110)")
    expect(widget.launcher).to_have_css("color", "rgb(255, 255, 255)")
    assert widget.launcher.bounding_box()["x"] == 20  # type: ignore[index]
    assert widget.panel.bounding_box()["x"] == 20  # type: ignore[index]
    expect(widget.launcher).to_have_attribute("aria-label", "Close chat: Archive assistant")

    # A light accent gets dark text, so the contrast holds.
    page.evaluate("sessionStorage.clear()")  # it remembers, per API, that it was open
    page.goto(host_site.url("light.html"))
    expect(widget.launcher).to_have_css("background-color", "rgb(253, 224, 71)")
    expect(widget.launcher).to_have_css("color", "rgb(17, 24, 39)")
    expect(widget.panel).to_be_hidden()
