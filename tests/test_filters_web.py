"""The web page's advanced area in headless Chromium: "then", "not", a filter, and an image
moved by the words in the search box, against the demo world (tests/sharper_world.py)."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image

from tests.api_server import live_server
from tests.sharper_world import DEMO_MODEL, sharper_world
from tests.test_web_page import _wait, browser, chromium_installed  # noqa: F401 (fixtures)
from vidseek.api import ServerConfig
from vidseek.demo.render import render_frame
from vidseek.demo.world import Scene


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    world = sharper_world()
    home = tmp_path_factory.mktemp("sharper-web") / "library"
    shutil.copytree(world.home, home)
    config = ServerConfig(
        home=home, model_spec=DEMO_MODEL, isolate_decoding=False, preload_model=False
    )
    with live_server(config) as server:
        yield server.base_url


def _titles(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    cards = _wait(lambda: driver.find_elements(By.CSS_SELECTOR, ".card .title"), what="cards")
    return [c.text for c in cards]


def _fill(driver, **fields: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "#advanced summary").click()
    for name, value in fields.items():
        box = driver.find_element(By.ID, f"adv-{name}")
        box.clear()
        box.send_keys(value)


def test_then_not_and_a_filter(browser, base_url):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{base_url}/?min_score=0.5")
    _fill(browser, then="a blue square")
    browser.find_element(By.ID, "q").send_keys("a red circle", Keys.ENTER)
    assert sorted(_titles(browser)) == ["a_gap_b.mp4", "a_then_b.mp4"]
    assert "then “a blue square”" in browser.find_element(By.ID, "summary").text

    browser.get(f"{base_url}/?min_score=0.5")
    _fill(browser, **{"not": "a black background", "max-duration": "10"})
    browser.find_element(By.ID, "q").send_keys("a red circle", Keys.ENTER)
    _wait(lambda: "moment" in browser.find_element(By.ID, "summary").text, what="summary")
    assert sorted(_titles(browser)) == ["a_then_b.mp4", "b_then_a.mp4", "red_short.mp4"]


def test_an_image_moved_by_the_words_in_the_box(browser, base_url, tmp_path):  # noqa: F811
    from selenium.webdriver.common.by import By

    picture = tmp_path / "red_circle.png"
    Image.fromarray(render_frame(Scene(0, 4, "circle", "red", "white"), 2.0, 256, 256)).save(
        picture
    )
    browser.get(f"{base_url}/")
    browser.find_element(By.ID, "q").send_keys("blue")
    browser.find_element(By.ID, "image-input").send_keys(str(picture))
    assert _titles(browser)[0] == "blue_circle.mp4"
    assert "the image + “blue”" in browser.find_element(By.ID, "summary").text
