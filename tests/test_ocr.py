"""On-screen text as evidence: RapidOCR on frames chosen by change, never on every frame."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from vidseek.indexer.ocr import OcrOptions, load_engine, ocr_frames, read_text, script_language

pytest.importorskip("rapidocr_onnxruntime")


def card(text: str | None, background=(30, 50, 120), size=(640, 360), at=(40, 140)) -> np.ndarray:
    image = Image.new("RGB", size, background)
    if text:
        ImageDraw.Draw(image).text(at, text, font=ImageFont.load_default(size=44), fill="white")
    return np.asarray(image)


class CountingEngine:
    """Stands in for RapidOCR: reads the text each test frame was drawn with."""

    def __init__(self, texts: dict[int, str | None]) -> None:
        self.texts = texts  # id of the frame array → its text
        self.calls = 0

    def __call__(self, bgr: np.ndarray):
        self.calls += 1
        text = self.texts.get(int(bgr[0, 0, 0]))
        if not text:
            return None, None
        return [[[[40, 140], [400, 140], [400, 190], [40, 190]], text, 0.99]], [0.1]


def tagged(text: str | None, tag: int, **kw) -> np.ndarray:
    """A card whose top-left pixel carries ``tag`` (the fake engine's key)."""
    image = card(text, **kw).copy()
    image[0, 0] = (0, 0, tag)  # RGB; the engine gets BGR, where it comes first
    return image


def test_ocr_runs_at_changes_only_and_spans_follow_the_text() -> None:
    sale, open_, plain = (
        tagged("SALE", 1),
        tagged("OPEN", 2),
        tagged(None, 3, background=(90, 20, 20)),
    )
    engine = CountingEngine({1: "SALE", 2: "OPEN", 3: None})
    frames = [(float(t), sale) for t in range(0, 5)]  # a sign held for 5 s
    frames += [(float(t), open_) for t in range(5, 10)]  # the sign changes, same background
    frames += [(float(t), plain) for t in range(10, 15)]  # a new shot without text
    spans, runs = ocr_frames(frames, 15.0, OcrOptions(), engine)
    assert runs == engine.calls == 3  # one per change, not one per frame (15)
    assert [(s.start, s.end, s.text, s.kind) for s in spans] == [
        (0.0, 5.0, "SALE", "ocr"),
        (5.0, 10.0, "OPEN", "ocr"),
    ]
    assert all(s.source == "rapidocr:ppocrv4" for s in spans)


def test_a_moving_shape_is_no_reason_to_read_again() -> None:
    frames = []
    for t in range(20):
        image = Image.fromarray(card("SALE", background=(20, 20, 20)))
        x = 200 + 15 * t
        ImageDraw.Draw(image).ellipse((x, 220, x + 90, 310), fill=(250, 250, 250))
        pixels = np.asarray(image).copy()
        pixels[0, 0] = (0, 0, 1)
        frames.append((float(t), pixels))
    engine = CountingEngine({1: "SALE"})
    spans, runs = ocr_frames(frames, 20.0, OcrOptions(), engine)
    assert runs == 1 and [(s.start, s.end, s.text) for s in spans] == [(0.0, 20.0, "SALE")]


def test_the_cost_stays_bounded_when_nothing_keeps_still() -> None:
    rng = np.random.default_rng(0)
    noise = [(t / 2, rng.integers(0, 255, (90, 160, 3), dtype=np.uint8)) for t in range(240)]
    engine = CountingEngine({})
    options = OcrOptions(per_minute=12, burst=4, min_gap=1.0)
    _, runs = ocr_frames(noise, 120.0, options, engine)
    assert runs <= options.burst + 12 * 2  # two minutes of video
    assert runs >= 12  # but it keeps looking


def test_text_that_comes_in_on_a_still_background_is_read() -> None:
    blank, caption = tagged(None, 5), tagged("HELLO", 6)
    engine = CountingEngine({5: None, 6: "HELLO"})
    frames = [(0.0, blank), (1.0, blank), (2.0, caption), (3.0, caption), (4.0, blank)]
    spans, runs = ocr_frames(frames, 5.0, OcrOptions(), engine)
    assert [(s.start, s.end, s.text) for s in spans] == [(2.0, 4.0, "HELLO")]
    assert runs == 3


def test_real_ocr_reads_rendered_text() -> None:
    frame = card("SALE ENDS FRIDAY")
    image = Image.fromarray(frame.copy())
    ImageDraw.Draw(image).text((40, 240), "50% OFF", font=ImageFont.load_default(size=44))
    lines = read_text(load_engine(), np.asarray(image), 0.6)
    keys = ["".join(text.split()).upper() for text, _, _ in lines]
    assert "SALEENDSFRIDAY" in keys and "50%OFF" in keys
    (box,) = [b for t, _, b in lines if "FRIDAY" in t.upper()]
    assert box[0] < 80 and 120 < box[1] < 200  # where it was drawn


def test_script_language() -> None:
    assert script_language("大减价") == "zh"
    assert script_language("セール") == "ja"
    assert script_language("세일") == "ko"
    assert script_language("Sale ends Friday") is None
