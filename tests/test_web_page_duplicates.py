"""The web page collapses copies of a moment by default, in real headless Chromium: one card,
its copies listed under it and playable; "hide copies" off shows them as cards of their own."""

from __future__ import annotations

import shutil

from tests.api_server import live_server
from tests.duplicate_world import duplicate_world
from tests.test_web_page import _search, _wait, browser, chromium_installed  # noqa: F401
from vidseek.api import ServerConfig

QUERY = "a green circle on an orange background"  # orig_0's first scene, in six copies


def test_copies_fold_under_one_result_and_stay_playable(browser, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    world = duplicate_world()
    family = {f"{s}.mp4" for s in ("orig_0", *world.copies_of_a)}
    home = tmp_path / "library"
    shutil.copytree(world.home, home)
    config = ServerConfig(home=home, model_spec="vidseek-demo", isolate_decoding=False)
    with live_server(config) as server:
        _search(browser, server.base_url, QUERY)
        assert browser.find_element(By.ID, "collapse").is_selected()  # on by default
        first = browser.find_elements(By.CSS_SELECTOR, ".result")[0]
        assert first.find_element(By.CSS_SELECTOR, ".title").text in family
        details = first.find_element(By.CSS_SELECTOR, "details.copies")
        assert details.find_element(By.TAG_NAME, "summary").text.endswith("of this moment")
        details.find_element(By.TAG_NAME, "summary").click()
        buttons = details.find_elements(By.CSS_SELECTOR, "button.copy")
        titles = {b.text.split(" · ")[0] for b in buttons}
        assert len(titles & family) >= 4, titles
        buttons[0].click()  # a copy plays like a result
        title = buttons[0].text.split(" · ")[0]
        _wait(
            lambda: browser.find_element(By.ID, "player-title").text == title,
            what="the copy in the player",
        )
        shown = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".card .title")][:6]
        folded = len([t for t in shown if t in family])

        browser.find_element(By.ID, "collapse").click()  # off: every copy is a card again
        _wait(
            lambda: not browser.find_elements(By.CSS_SELECTOR, "details.copies"),
            what="cards without copies",
        )
        shown = _wait(
            lambda: [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".card .title")][:6],
            what="cards",
        )
        assert len([t for t in shown if t in family]) >= folded + 3, shown
