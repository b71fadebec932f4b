""" "A but not B" (``not_texts``, ``--not``) on the demo world through the real pipeline, and
the rule that decides what shows B (search/exclusion.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.sharper_world import sharper_world
from vidseek.core.errors import QueryError
from vidseek.search.exclusion import NOT_MARGIN, Negative, compose, shows_negative
from vidseek.session import Session

RED_CIRCLE = "a red circle"
RED_CIRCLES = {"a_then_b", "b_then_a", "a_gap_b", "red_on_black", "red_short"}


@pytest.fixture(scope="module")
def world():
    return sharper_world()


@pytest.fixture(scope="module")
def library(world):
    with Session(world.home) as session:
        yield session


def backgrounds(world, clips) -> set[tuple[str, str]]:
    """(video, background) of the scene each clip starts in."""
    found = set()
    for clip in clips:
        name = world.name_of(clip.video_id)
        scene = next(s for s in world.spec(name).scenes if s.start <= clip.start < s.end)
        found.add((name, scene.background))
    return found


def test_without_not_the_black_background_is_found(library, world):
    found = library.search(RED_CIRCLE, k=10, min_score=0.5)
    assert {name for name, _ in backgrounds(world, found)} == RED_CIRCLES
    assert ("red_on_black", "black") in backgrounds(world, found)


def test_not_a_black_background_leaves_out_only_the_black_one(library, world):
    found = library.search(RED_CIRCLE, k=10, min_score=0.5, not_texts=["a black background"])
    assert {name for name, _ in backgrounds(world, found)} == RED_CIRCLES - {"red_on_black"}
    assert all(bg != "black" for _, bg in backgrounds(world, found))


def test_several_exclusions_and_other_languages(library, world):
    found = library.search(
        "un círculo rojo", k=10, min_score=0.5, not_texts=["fondo negro", "fondo blanco"]
    )
    assert {name for name, _ in backgrounds(world, found)} == RED_CIRCLES - {
        "red_on_black",
        "a_then_b",  # its red circle is on white
    }


def test_an_image_query_excludes_by_the_text_alone(library, world):
    """No query text to compose with: a moment goes when it is more like B than the image."""
    from vidseek.demo.render import render_frame
    from vidseek.demo.world import Scene

    image = render_frame(Scene(0, 4, "circle", "red", "white"), 2.0, 224, 224)
    plain = [world.name_of(c.video_id) for c in library.search_image(image, k=5)]
    assert plain[0] == "a_then_b" and "b_then_a" in plain, plain  # its red circle is on orange
    without = library.search_image(image, k=5, not_texts=["a red circle on an orange background"])
    names = [world.name_of(c.video_id) for c in without]
    assert names[0] == "a_then_b" and "b_then_a" not in names, names


def test_empty_or_too_many_exclusions_are_query_errors(library):
    with pytest.raises(QueryError, match="must not be empty"):
        library.search(RED_CIRCLE, not_texts=["  "])
    with pytest.raises(QueryError, match="at most"):
        library.search(RED_CIRCLE, not_texts=[f"thing {i}" for i in range(9)])
    with pytest.raises(QueryError, match="not one string"):
        library.search(RED_CIRCLE, not_texts="a black background")


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_the_rule():
    query = unit(1, 0, 0)
    negative = Negative(alone=unit(0, 1, 0), with_query=unit(1, 1, 0))
    moments = np.stack(
        [
            unit(1, 0, 0),  # only A: "A, B" scores 0.71 of its 1.0: kept
            unit(2, 1, 0),  # A and some B: "A, B" scores 0.95 >= 0.9 * 0.89: dropped
            unit(1, 3, 0),  # more B than A: dropped by B alone
            unit(1, 0, 1),  # A and something else: kept
        ]
    )
    assert shows_negative(moments, query, [negative]).tolist() == [False, True, True, False]
    assert shows_negative(moments, query, []).tolist() == [False] * 4
    # without the composed caption only "more B than A" counts
    alone = Negative(alone=negative.alone)
    assert shows_negative(moments, query, [alone]).tolist() == [False, False, True, False]
    assert 0 < NOT_MARGIN < 1
    assert compose(" a dog ", "a beach ") == "a dog, a beach"


def test_cli_not(world):
    import json

    from click.testing import CliRunner

    from vidseek.cli.main import cli

    args = ["--library", str(world.home), "search", RED_CIRCLE, "--min-score", "0.5", "--json"]
    result = CliRunner().invoke(cli, [*args, "--not", "a black background"])
    assert result.exit_code == 0, result.output
    found = {world.name_of(c["video_id"]) for c in json.loads(result.output)["results"]}
    assert found == RED_CIRCLES - {"red_on_black"}
