"""Query by image: an exact frame of a video finds that video at that time."""

import av
import numpy as np
import pytest
from PIL import Image

from tests.conftest import DEMO_SCENES
from vidseek.core.library import Library
from vidseek.core.models import load_encoder
from vidseek.demo.render import render_frame
from vidseek.demo.world import describe
from vidseek.search.query import Searcher, SearchOptions


def frame_at(path, seconds: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time >= seconds:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {seconds}s in {path}")


@pytest.mark.parametrize(("video", "seconds"), [(0, 1.5), (0, 6.0), (1, 5.2), (2, 2.0), (2, 7.5)])
def test_exact_frame_returns_its_video_and_time(
    demo_library, demo_videos, video, seconds, tmp_path
):
    path = demo_videos / f"demo_{video}.mp4"
    image_file = tmp_path / "query.png"
    Image.fromarray(frame_at(path, seconds)).save(image_file)
    with Library.open(demo_library, read_only=True) as library:
        clips = Searcher(library, load_encoder("vidseek-demo")).search_image(
            image_file, SearchOptions(k=1)
        )
    assert clips[0].path == str(path.resolve())
    assert clips[0].start <= seconds < clips[0].end


SCENES = [(video, scene) for video, scenes in enumerate(DEMO_SCENES) for scene in scenes]


@pytest.mark.parametrize(("video", "scene"), SCENES)
def test_image_and_matching_text_agree(demo_library, demo_videos, video, scene):
    """A picture of a scene, rendered afresh by the demo world (another size, not a frame of
    the video), and the words for it both find that scene of that video."""
    path = str((demo_videos / f"demo_{video}.mp4").resolve())
    picture = render_frame(scene, (scene.start + scene.end) / 2, width=256, height=256)
    words = describe(scene.shape, scene.color, scene.background, "en")
    with Library.open(demo_library, read_only=True) as library:
        searcher = Searcher(library, load_encoder("vidseek-demo"))
        by_image = searcher.search_image(picture, SearchOptions(k=1))
        by_text = searcher.search_text(words, SearchOptions(k=1))
    for how, clips in (("image", by_image), ("text", by_text)):
        assert len(clips) == 1, how
        top = clips[0]
        assert top.path == path, (how, words, top)
        assert top.start < scene.end and top.end > scene.start, (how, words, top)
