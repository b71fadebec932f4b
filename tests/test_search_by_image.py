"""Query by image: an exact frame of a video finds that video at that time."""

import av
import numpy as np
import pytest
from PIL import Image
from vidseek.core.library import Library
from vidseek.core.models import load_encoder
from vidseek.search.query import Searcher, SearchOptions

from tests.conftest import DEMO_SCENES


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


def test_image_and_matching_text_agree(demo_library):
    scene = DEMO_SCENES[1][1]  # purple triangle on orange
    with Library.open(demo_library, read_only=True) as library:
        searcher = Searcher(library, load_encoder("vidseek-demo"))
        by_text = searcher.search_text("a purple triangle on an orange background")[0]
    assert by_text.path.endswith("demo_1.mp4")
    assert by_text.start < scene.end and by_text.end > scene.start
