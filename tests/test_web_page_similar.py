"""The web page's "More like this" in real headless Chromium: a result's action runs
``POST /search/video`` for that moment and shows the moments like it, as a search does."""

from __future__ import annotations

import shutil

from tests.api_server import live_server
from tests.similar_world import DEMO_MODEL, VIDEOS, similar_world
from tests.test_web_page import _search, _wait, browser, chromium_installed  # noqa: F401
from vidseek.api import ServerConfig


def test_more_like_this_shows_the_moments_like_a_result(browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    world = similar_world()
    home = tmp_path / "library"
    shutil.copytree(world.home, home)
    config = ServerConfig(home=home, model_spec=DEMO_MODEL, isolate_decoding=False)
    with live_server(config) as server:
        # the source moment's own description: a bare "a red circle" ranks world_0 third, under
        # the confidence cut-off on this model (it is the red circle the least like the words)
        _search(browser, server.base_url, "a red circle on a blue background")
        results = browser.find_elements(By.CSS_SELECTOR, ".result")
        source = next(
            r
            for r in results
            if r.find_element(By.CSS_SELECTOR, ".title").text == "world_0.mp4"
            and float(r.find_element(By.CSS_SELECTOR, ".card").get_attribute("data-start")) == 0
        )  # the red circle on blue, 0-4 s
        button = source.find_element(By.CSS_SELECTOR, ".more-like")
        assert button.text == "More like this"
        button.click()
        summary = _wait(
            lambda: "like world_0.mp4" in (t := browser.find_element(By.ID, "summary").text) and t,
            what="the more-like-this summary",
        )
        assert "0:00.0 – 0:04.0" in summary
        cards = browser.find_elements(By.CSS_SELECTOR, ".card")
        shown = [
            (c.find_element(By.CSS_SELECTOR, ".title").text, float(c.get_attribute("data-start")))
            for c in cards
        ]
        twins = {(world.videos[v].name, s) for v, s in _twins(world)}
        assert set(shown[: len(twins)]) == twins, shown
        assert all(title != "world_0.mp4" for title, _ in shown), shown
        assert browser.find_element(By.ID, "q").get_attribute("value") == ""
        assert "q=" not in browser.current_url

        cards[0].click()  # a result of a more-like-this search plays like any other
        assert not browser.find_element(By.ID, "player-panel").get_attribute("hidden")

        browser.find_element(By.ID, "per-video").click()  # and groups by video
        counts = _wait(
            lambda: [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".card .count")],
            what="grouped cards",
        )
        titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".card .title")]
        assert len(counts) == len(VIDEOS) - 1 and "world_0.mp4" not in titles


def _twins(world) -> set[tuple[int, float]]:
    """(video number, start) of the other red circles."""
    index = {video_id: number for number, video_id in enumerate(world.ids)}
    return {(index[v], s) for v, s in world.scenes_like(VIDEOS[0][0], 0)}
