"""Image + text: an image query moved by a text (``search_image(image, text=...)``,
``vidseek search --image F TEXT``), on the demo world through the real pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.sharper_world import sharper_world
from vidseek.core.errors import QueryError
from vidseek.demo.render import render_frame
from vidseek.demo.world import Scene
from vidseek.search.query import nudge
from vidseek.session import Session


@pytest.fixture(scope="module")
def world():
    return sharper_world()


@pytest.fixture(scope="module")
def library(world):
    with Session(world.home) as session:
        yield session


@pytest.fixture(scope="module")
def red_circle(tmp_path_factory):
    """A picture of a red circle, drawn afresh (not a frame of any indexed video)."""
    path = tmp_path_factory.mktemp("images") / "red_circle.png"
    Image.fromarray(render_frame(Scene(0, 4, "circle", "red", "white"), 2.0, 256, 256)).save(path)
    return path


def top(world, clips) -> tuple[str, float]:
    return world.name_of(clips[0].video_id), clips[0].start


def test_the_image_alone_finds_the_red_circle(library, world, red_circle):
    assert top(world, library.search_image(red_circle, k=1)) == ("a_then_b", 0.0)


def test_red_circle_plus_blue_finds_the_blue_circle(library, world, red_circle):
    found = library.search_image(red_circle, k=3, text="blue")
    assert top(world, found) == ("blue_circle", 0.0)  # a blue circle, 0-4 s


def test_the_weight_moves_it_further(library, world, red_circle):
    """A tiny weight leaves the image's answer; the default moves it to the blue circle."""
    assert top(world, library.search_image(red_circle, k=1, text="blue", text_weight=0.05)) == (
        "a_then_b",
        0.0,
    )


def test_filters_apply(library, world, red_circle):
    found = library.search_image(red_circle, k=3, text="blue", max_height=200)
    assert "blue_circle" not in {world.name_of(c.video_id) for c in found}  # it is 240 high


def test_nudge_is_the_normalised_sum():
    image, text = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    assert np.allclose(nudge(image, text, 1.0), [2**-0.5, 2**-0.5])
    assert np.allclose(nudge(image, text, 3.0), np.array([1.0, 3.0]) / 10**0.5)
    with pytest.raises(QueryError, match="weight"):
        nudge(image, text, 0.0)
    with pytest.raises(QueryError, match="cancel out"):
        nudge(image, -image, 1.0)


def test_cli_image_and_text(world, red_circle):
    import json

    from click.testing import CliRunner

    from vidseek.cli.main import cli

    args = ["--library", str(world.home), "search", "--image", str(red_circle), "-k", "1"]
    result = CliRunner().invoke(cli, [*args, "blue", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["query"] == f"{red_circle} + blue"
    assert world.name_of(data["results"][0]["video_id"]) == "blue_circle"
    home = ["--library", str(world.home)]
    lone = CliRunner().invoke(cli, [*home, "search", "blue", "--text-weight", "2"])
    assert lone.exit_code == 2 and "--text-weight" in lone.output
