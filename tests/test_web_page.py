"""The web page in real headless Chromium: search, see cards, click one, the video seeks there.

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium
chromium-driver``); skipped with that reason when they are missing, and failed in CI, which
installs them. The library is indexed with the bundled demo model, so the top card must be
the video and time range of the queried scene.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.api_server import DEMO_MODEL, built_library, live_server, server_config
from tests.conftest import skip_or_fail_in_ci

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = Path("/tmp/vidseek-page.png")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
    "--window-size=1280,900",
]


@pytest.fixture(scope="module", autouse=True)
def chromium_installed() -> None:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        skip_or_fail_in_ci(
            "needs /usr/bin/chromium and /usr/bin/chromedriver "
            "(apt-get install -y chromium chromium-driver)"
        )


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="vidseek-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def library():
    return built_library(DEMO_MODEL)  # the bundled model: it must load


def _wait(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _search(driver, base_url: str, text: str, min_score: float | None = None):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    suffix = "" if min_score is None else f"?min_score={min_score!r}"
    driver.get(f"{base_url}/{suffix}")
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(text, Keys.ENTER)
    return _wait(lambda: driver.find_elements(By.CSS_SELECTOR, ".card"), what="result cards")


SEEKED_TIME = """
const done = arguments[arguments.length - 1];
const video = document.getElementById("player");
const finish = () => done({time: video.currentTime, start: Number(video.dataset.start),
                           seeked: video.dataset.seeked, ready: video.readyState,
                           error: video.error && video.error.code});
if (video.dataset.seeked) { finish(); return; }
const poll = setInterval(() => { if (video.dataset.seeked || video.error) {
  clearInterval(poll); finish(); } }, 10);
"""


def _unique_scene(library) -> tuple[Path, dict]:
    """A scene whose (shape, colour, background) appears once in the library."""
    counts: dict[tuple, int] = {}
    scenes = []
    for video in library.videos:
        for scene in library.truth(video)["scenes"]:
            key = (scene["shape"], scene["color"], scene["background"])
            counts[key] = counts.get(key, 0) + 1
            scenes.append((video, scene, key))
    video, scene, _ = max(
        (s for s in scenes if counts[s[2]] == 1), key=lambda s: s[1]["end"] - s[1]["start"]
    )
    return video, scene


def _threshold_with_late_clip(client: httpx.Client, text: str) -> float:
    """A min_score under which some clip starts after 0 s (so clicking it must seek)."""
    top = client.get("/search", params={"q": text, "k": 1}).json()["results"][0]["score"]
    step = 0.001
    while step < 2:
        threshold = round(top - step, 6)
        results = client.get(
            "/search", params={"q": text, "k": 200, "min_score": threshold}
        ).json()["results"]
        if any(r["start"] > 0.5 for r in results):
            return threshold
        step *= 2
    raise AssertionError("no clip starts after 0 s at any threshold")


def test_search_click_and_play_from_the_moment(browser, library):
    from selenium.webdriver.common.by import By

    from vidseek.demo.world import describe

    video, scene = _unique_scene(library)
    text = describe(scene["shape"], scene["color"], scene["background"], "en")
    with live_server(server_config(library)) as server, server.client() as client:
        cards = _search(browser, server.base_url, text)
        titles = [c.find_element(By.CSS_SELECTOR, ".title").text for c in cards]
        assert set(titles) <= {p.name for p in library.videos}
        assert all(c.find_element(By.TAG_NAME, "img").get_attribute("src") for c in cards)
        summary = browser.find_element(By.ID, "summary").text
        assert text in summary
        first = cards[0]  # the trained model must find the scene
        assert first.find_element(By.CSS_SELECTOR, ".title").text == video.name
        start, end = (
            float(first.get_attribute("data-start")),
            float(first.get_attribute("data-end")),
        )
        assert start < scene["end"] and end > scene["start"], (start, end, scene)

        threshold = _threshold_with_late_clip(client, text)
        cards = _search(browser, server.base_url, text, threshold)
        best = cards[0]  # the best tight moment lies in the scene
        start = float(best.get_attribute("data-start"))
        end = float(best.get_attribute("data-end"))
        inside = min(end, scene["end"]) - max(start, scene["start"])
        assert best.find_element(By.CSS_SELECTOR, ".title").text == video.name
        assert inside >= 0.5 * (end - start), (start, end, scene)
        card = next(c for c in cards if float(c.get_attribute("data-start")) > 0.5)
        expected = float(card.get_attribute("data-start"))
        card.click()
        state = browser.execute_async_script(SEEKED_TIME)
        assert state["error"] is None, state
        assert state["start"] == pytest.approx(expected)
        assert abs(state["time"] - expected) <= 0.5, state
        assert not browser.find_element(By.ID, "player-panel").get_attribute("hidden")
        _wait(lambda: browser.execute_script(
            "return [...document.images].every(i => i.complete && i.naturalWidth > 0)"
        ), what="thumbnails")  # fmt: skip
        browser.execute_script("document.getElementById('player').pause()")
        browser.execute_script("window.scrollTo(0, 0)")
        browser.set_window_size(1280, 1300)
        browser.save_screenshot(str(SCREENSHOT))
        browser.set_window_size(1280, 900)


def test_empty_library_and_no_results_are_explained(browser, tmp_path):
    from selenium.webdriver.common.by import By

    config = server_config(built_library(), home=tmp_path / "empty")
    with live_server(config) as server:
        browser.get(server.base_url + "/")
        empty = _wait(lambda: browser.find_element(By.ID, "empty").text, what="empty state")
        assert "library is empty" in empty
    with live_server(server_config(built_library())) as server:
        browser.get(server.base_url + "/?min_score=0.999")
        browser.find_element(By.ID, "q").send_keys("一个红色的圆\n")
        message = _wait(lambda: browser.find_element(By.ID, "empty").text, what="no results")
        assert "No results" in message and "一个红色的圆" in message


def test_api_key_is_asked_for_and_remembered(browser):
    from selenium.webdriver.common.by import By

    config = server_config(built_library(), api_keys=("page-key-42",))
    with live_server(config) as server:
        browser.get(server.base_url + "/")
        browser.execute_script("localStorage.clear()")
        browser.get(server.base_url + "/")
        browser.find_element(By.ID, "q").send_keys("a star\n")
        banner = _wait(
            lambda: (
                browser.find_element(By.ID, "banner").is_displayed()
                and browser.find_element(By.ID, "banner").text
            ),
            what="error banner",
        )
        assert "API key" in banner
        key_input = browser.find_element(By.ID, "key-input")
        assert key_input.is_displayed()
        key_input.send_keys("page-key-42\n")
        cards = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".card"), what="cards")
        assert cards
        assert browser.execute_script("return localStorage.getItem('vidseek.apiKey')") == (
            "page-key-42"
        )
        loaded = _wait(lambda: browser.execute_script(
            "const i = document.images; return i.length && [...i].every(x => x.complete)"
            " && [...i].every(x => x.naturalWidth > 0)"
        ), what="thumbnails with the key cookie")  # fmt: skip
        assert loaded
        browser.execute_script("localStorage.clear()")


def test_image_search_and_one_per_video(browser, library, tmp_path):
    import numpy as np
    from PIL import Image
    from selenium.webdriver.common.by import By

    picture = tmp_path / "query.png"
    Image.fromarray(np.full((90, 120, 3), (30, 70, 220), np.uint8)).save(picture)
    with live_server(server_config(library)) as server:
        browser.get(server.base_url + "/")
        browser.find_element(By.ID, "image-input").send_keys(str(picture))
        cards = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".card"), what="cards")
        assert "the image" in browser.find_element(By.ID, "summary").text
        assert len(cards) >= 1
        browser.find_element(By.ID, "per-video").click()
        counts = _wait(
            lambda: [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".card .count")],
            what="grouped cards",
        )
        assert len(counts) == len(library.videos) and all("clip" in c for c in counts)
        titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".card .title")]
        assert sorted(titles) == sorted(p.name for p in library.videos)
