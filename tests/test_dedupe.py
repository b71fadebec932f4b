"""Skipping near-identical frames: fewer encoder calls, same search results."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.exact_index import ExactIndex
from vidseek.core.models import load_encoder
from vidseek.demo.fonts import font
from vidseek.demo.render import write_video
from vidseek.demo.world import Scene, describe
from vidseek.indexer.decode import PyAVDecoder
from vidseek.indexer.dedupe import DEFAULT_THRESHOLD, FrameDeduper, RepeatTest, thumbnail
from vidseek.indexer.embed import WorkItem, embed_video
from vidseek.indexer.options import IndexOptions


class Counting:
    """Wraps an encoder and counts the images it is asked to encode."""

    def __init__(self, encoder) -> None:
        self.encoder, self.identity, self.images = encoder, encoder.identity, 0
        self.batch_size = encoder.batch_size

    def encode_images(self, images):
        self.images += len(images)
        return self.encoder.encode_images(images)

    def encode_texts(self, texts):
        return self.encoder.encode_texts(texts)


class Fake:
    """Deterministic fake encoder: the vector is the frame's mean colour, padded."""

    class identity:  # noqa: N801 - mimics the attribute
        dim = 4

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode_images(self, images):
        self.calls.append(len(images))
        out = np.array([[*np.asarray(i).mean(axis=(0, 1)), 1.0] for i in images], np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def frame(value: int, size: tuple[int, int] = (48, 64)) -> np.ndarray:
    return np.full((*size, 3), value, dtype=np.uint8)


def test_thumbnail_is_16x16_grey_block_means() -> None:
    img = np.zeros((64, 96, 3), np.uint8)
    img[:32] = 255
    thumb = thumbnail(img)
    assert thumb.shape == (16, 16)
    assert (thumb[:8] == 255).all() and (thumb[8:] == 0).all()
    assert thumbnail(frame(7, (5, 9))).shape == (16, 16)


def test_repeats_reuse_the_last_encoded_embedding_across_batches() -> None:
    fake = Fake()
    deduper = FrameDeduper(fake)
    first = deduper.encode_images([frame(10), frame(11), frame(200)])
    second = deduper.encode_images([frame(201), frame(100)])
    assert fake.calls == [2, 1]  # 10 and 200, then 100; 11 and 201 are repeats
    assert deduper.encoded == 3 and deduper.reused == 2
    np.testing.assert_array_equal(first[1], first[0])
    np.testing.assert_array_equal(second[0], first[2])
    reference = Fake().encode_images([frame(10), frame(200), frame(100)])
    np.testing.assert_allclose(np.stack([first[0], first[2], second[1]]), reference)


def test_compares_with_the_last_encoded_frame_not_the_previous_one() -> None:
    fake = Fake()
    assert DEFAULT_THRESHOLD == 2.0  # each 1-level step repeats the previous frame, 2 do not
    FrameDeduper(fake).encode_images([frame(50 + i) for i in range(6)])
    assert sum(fake.calls) == 3  # 50, 52, 54


@pytest.fixture(scope="module")
def static_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three long shots (12 s, 10 s, 12 s) of slowly drifting shapes."""
    path = tmp_path_factory.mktemp("dedupe") / "static.mp4"
    scenes = [
        Scene(0.0, 12.0, "circle", "red", "blue"),
        Scene(12.0, 22.0, "square", "yellow", "green"),
        Scene(22.0, 34.0, "triangle", "green", "red"),
    ]
    write_video(path, scenes, width=320, height=240, fps=10)
    return path


def test_static_shots_halve_the_encodes_and_keep_search_results(static_video: Path) -> None:
    encoder = load_encoder("vidseek-demo")
    item = WorkItem(static_video, "h", static_video.stat().st_size, 0.0)
    commits, counts = {}, {}
    for name, options in (("on", IndexOptions()), ("off", IndexOptions(skip_similar_frames=None))):
        counting = Counting(encoder)
        commits[name] = embed_video(item, counting, PyAVDecoder(), options)
        counts[name] = counting.images
    assert counts["off"] == len(commits["off"].frame_times) == 34
    assert counts["on"] * 2 <= counts["off"]
    on, off = commits["on"], commits["off"]
    assert [(s.start, s.end) for s in on.segments] == [(s.start, s.end) for s in off.segments]
    shots = [("circle", "red", "blue"), ("square", "yellow", "green"), ("triangle", "green", "red")]
    texts = [describe(*shot) for shot in shots]
    queries = encoder.encode_texts(texts)
    scene_of = {}  # per flag: the shot each of the top-3 segments lies in (what clips show)
    for name, commit in commits.items():
        index = ExactIndex(encoder.identity.dim)
        index.add(np.arange(len(commit.segments)), np.stack([s.vector for s in commit.segments]))
        top = index.search(queries, 3)[1]
        mids = np.array([(s.start + s.end) / 2 for s in commit.segments])
        scene_of[name] = np.searchsorted([12.0, 22.0], mids[top])
    np.testing.assert_array_equal(scene_of["on"], scene_of["off"])
    np.testing.assert_array_equal(scene_of["on"], np.repeat([[0], [1], [2]], 3, axis=1))
    assert float(on.video_vector @ off.video_vector) > 0.99


SLIDE_A = ("Revenue grew in every region except the north", "Hiring is paused until March",
           "Two new offices open in spring")  # fmt: skip
SLIDE_B = ("Support tickets fell by a third since June", "The mobile app ships next week",
           "Budget requests are due on Friday")  # fmt: skip


def slide(lines: tuple[str, ...], size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    """A white 1280x720 slide: the same title, then ``lines`` of 24 px text."""
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.text((80, 60), "Quarterly review", font=font(56), fill=(20, 20, 20))
    for i, line in enumerate(lines):
        draw.text((100, 200 + 40 * i), line, font=font(24), fill=(20, 20, 20))
    return np.asarray(image)


def shrink(image: np.ndarray, short_side: int = 224) -> np.ndarray:
    """What the decoder hands the encoder (short side = the model's image size)."""
    h, w = image.shape[:2]
    size = (round(w * short_side / h), short_side)
    return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))


@pytest.mark.parametrize("short_side", [None, 224])
def test_a_slide_with_other_lines_of_small_text_is_a_new_frame(short_side: int | None) -> None:
    a, b = slide(SLIDE_A), slide(SLIDE_B)
    if short_side:
        a, b = shrink(a, short_side), shrink(b, short_side)
    assert np.abs(thumbnail(a) - thumbnail(b)).mean() < DEFAULT_THRESHOLD  # the old test's miss
    test = RepeatTest()
    assert not test.is_repeat(a)
    assert not test.is_repeat(b)
    assert test.is_repeat(b.copy())
    fake = Fake()
    vectors = FrameDeduper(fake).encode_images([a, a, b])
    assert fake.calls == [2]
    assert not np.array_equal(vectors[2], vectors[0])


def test_slides_held_through_compression_are_still_skipped(tmp_path: Path) -> None:
    """Two slides, 6 s each, H.264 at 2 fps, decoded at 224: one encode per slide."""
    path = tmp_path / "slides.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=2)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        for i, lines in enumerate([SLIDE_A] * 12 + [SLIDE_B] * 12):
            picture = slide(lines).copy()
            picture[680:700, 40 + 8 * i : 60 + 8 * i] = (200, 40, 40)  # a small moving cursor
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    frames = np.concatenate([b.images for b in PyAVDecoder().frames(path, 1.0, 224, 64)])
    assert len(frames) == 12
    fake = Fake()
    FrameDeduper(fake).encode_images(list(frames))
    assert fake.calls == [2]


def test_ocr_reads_a_slide_again_when_its_small_text_changed() -> None:
    """OCR's own change test (indexer/ocr.py) must not take slide B for slide A either."""
    from vidseek.indexer.ocr import OcrOptions, ocr_frames

    reads: list[int] = []

    def engine(bgr: np.ndarray) -> tuple[list, None]:  # "reads" three lines where they are
        reads.append(1)
        box = lambda i: [[100, 200 + 40 * i], [700, 200 + 40 * i], [700, 228 + 40 * i],  # noqa: E731
                         [100, 228 + 40 * i]]  # fmt: skip
        return [[box(i), f"read {len(reads)} line {i}", 0.99] for i in range(3)], None

    a, b = slide(SLIDE_A), slide(SLIDE_B)
    frames = [(float(t), a if t < 5 else b) for t in range(10)]
    spans, runs = ocr_frames(frames, 10.0, OcrOptions(), engine=engine)
    assert runs == 2
    assert {(s.start, s.end) for s in spans} == {(0.0, 5.0), (5.0, 10.0)}
