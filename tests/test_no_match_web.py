"""The web page says when nothing matches, and offers the weaker moments (real Chromium).

A query for a colour/shape/background combination absent from the library must show "No good
match" and a "Show weaker matches" button; the button brings back the moments below the
cut-off, each with its confidence level. A present combination shows cards with a confidence.
"""

from __future__ import annotations

import itertools

import pytest

from tests.api_server import DEMO_MODEL, built_library, live_server, server_config
from tests.test_web_page import (  # noqa: F401 (fixtures)
    _unique_scene,
    _wait,
    browser,
    chromium_installed,
)


@pytest.fixture(scope="module")
def library():
    return built_library(DEMO_MODEL)


def _combos(library) -> set[tuple[str, str, str]]:
    return {
        (s["shape"], s["color"], s["background"])
        for video in library.videos
        for s in library.truth(video)["scenes"]
    }


def _absent_query(library, client) -> str:
    """An absent combination the API itself answers with no_match (nothing made up here:
    the page is tested on what the server says)."""
    from vidseek.demo.world import COLORS, SHAPES, describe

    present = _combos(library)
    near = [
        (shape, color, bg)
        for (shape, color, _), bg in itertools.product(present, COLORS)
        if bg != color and (shape, color, bg) not in present
    ]
    for shape, color, bg in near + list(itertools.product(SHAPES, COLORS, COLORS)):
        if color == bg or (shape, color, bg) in present:
            continue
        text = describe(shape, color, bg, "en")
        if client.get("/search", params={"q": text}).json()["no_match"]:
            return text
    raise AssertionError("no absent combination is answered with no_match")


def test_no_good_match_then_show_weaker(browser, library):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with live_server(server_config(library)) as server, server.client() as client:
        text = _absent_query(library, client)
        browser.get(server.base_url + "/")
        browser.find_element(By.ID, "q").send_keys(text, Keys.ENTER)
        message = _wait(lambda: browser.find_element(By.ID, "empty").text, what="no match")
        assert "No good match" in message and text in message
        assert not browser.find_elements(By.CSS_SELECTOR, ".card")
        browser.find_element(By.ID, "show-weaker").click()
        cards = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".card"), what="cards")
        levels = [c.find_element(By.CSS_SELECTOR, ".confidence").text for c in cards]
        assert levels and all(level == "low confidence" for level in levels), levels
        assert "weaker matches included" in browser.find_element(By.ID, "summary").text
        assert browser.find_element(By.ID, "empty").get_attribute("hidden")


def test_present_combination_shows_its_confidence(browser, library):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from vidseek.demo.world import describe

    video, scene = _unique_scene(library)  # the longest scene shown once
    text = describe(scene["shape"], scene["color"], scene["background"], "en")
    with live_server(server_config(library)) as server:
        browser.get(server.base_url + "/")
        browser.find_element(By.ID, "q").send_keys(text, Keys.ENTER)
        cards = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".card"), what="cards")
        assert cards[0].find_element(By.CSS_SELECTOR, ".title").text == video.name
        first = cards[0].find_element(By.CSS_SELECTOR, ".confidence")
        assert first.text in ("high confidence", "medium confidence"), first.text
