"""The web page shows what was said or written: a badge for each kind of evidence that found a
moment, and the matching words with their time (headless Chromium, as tests/test_web_page.py).
"""

from __future__ import annotations

import pytest

from tests.api_server import BuiltLibrary, live_server, server_config
from tests.test_keyword_search import MODEL, WORDS, run
from tests.test_web_page import _search, browser, chromium_installed  # noqa: F401
from vidseek.core.library import Library
from vidseek.core.types import TextSpan
from vidseek.demo.render import generate_library


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory) -> BuiltLibrary:
    media = tmp_path_factory.mktemp("media")
    videos = generate_library(media, 2, seed=31, duration=(4.0, 5.0), size=(96, 64), fps=8)
    home = tmp_path_factory.mktemp("library")
    assert run(home, "index", "--no-progress", str(media)).exit_code == 0
    with Library.open(home) as library:
        first, second = [v.id for v in library.videos()]
        spoken = TextSpan("speech", 2.0, 4.0, "the lighthouse keeper waves", "en", words=WORDS)
        library.catalog.replace_text_spans(first, "speech", [spoken])
        library.catalog.replace_text_spans(
            second, "ocr", [TextSpan("ocr", 1.0, 2.0, "KEEPER OF THE LIGHTHOUSE")]
        )
    return BuiltLibrary(home, media, tuple(videos), MODEL)


def test_cards_show_evidence_badges_and_the_matching_words(browser, narrated) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    with live_server(server_config(narrated)) as server:
        cards = _search(browser, server.base_url, "lighthouse keeper")
        first = cards[0]
        badges = [b.text for b in first.find_elements(By.CSS_SELECTOR, ".evidence .ev")]
        assert "said" in badges
        snippet = first.find_element(By.CSS_SELECTOR, ".snippet")
        assert snippet.find_element(By.TAG_NAME, "q").text == "the lighthouse keeper waves"
        assert snippet.find_element(By.CSS_SELECTOR, ".snippet-at").text == "0:02.3 en"
        assert float(first.get_attribute("data-start")) == pytest.approx(2.3)
        written = next(c for c in cards if c.find_elements(By.CSS_SELECTOR, ".ev-ocr"))
        assert (
            written.find_element(By.CSS_SELECTOR, ".snippet q").text == "KEEPER OF THE LIGHTHOUSE"
        )
        plain = [c for c in cards if not c.find_elements(By.CSS_SELECTOR, ".snippet")]
        assert all(
            [b.text for b in c.find_elements(By.CSS_SELECTOR, ".ev")] == ["seen"] for c in plain
        )
