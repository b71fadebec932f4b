"""On-screen text as evidence: RapidOCR (PP-OCRv4 detection + recognition, Chinese and
Latin script) on frames chosen so the cost stays bounded.

Frames are looked at ``fps`` times a second, but only a small grid of each (mean grey and
share of steep grey steps per cell) is compared with the frame OCR last read: OCR runs
again at a new shot (much of the picture changed), when the picture changed where text was
found, or when new text-like detail appeared elsewhere (cells with many steep steps, as
letters make; a moving smooth shape is not). Runs are at least ``min_gap`` seconds apart
and paid from a bucket that fills at ``per_minute`` runs a minute of video and holds
``burst``: a burst of changes is read at once, and a video that never keeps still costs at
most ``burst`` plus ``per_minute`` runs a minute. A text line is a span from the change
that brought it to the change that took it away.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vidseek.core.errors import EvidenceError
from vidseek.core.types import TextSpan

OCR_SOURCE = "rapidocr:ppocrv4"
_GRID = (48, 27)  # thumbnail cells (w, h) compared between frames
DET_SIDE = 640  # text is found on a copy of the frame this wide at most
_STEEP = 40.0  # a grey step (0-255) between neighbouring pixels that may be a letter's edge
_LOCK = threading.Lock()
_ENGINE: list[Any] = []


@dataclass(frozen=True)
class OcrOptions:
    fps: float = 1.0  # frames looked at per second of video (thumbnails only)
    short_side: int = 720  # frames are read at most this large (never enlarged)
    min_gap: float = 1.0  # seconds between two OCR runs, at least
    per_minute: float = 12.0  # OCR runs per minute of video, on average at most
    burst: float = 4.0  # OCR runs that may follow each other at min_gap
    cell_change: float = 14.0  # mean |Δgrey| (0-255) of a thumbnail cell that counts as changed
    new_shot: float = 0.3  # share of changed cells that makes a new shot
    text_edges: float = 0.22  # share of steep steps in a cell that may hold text
    new_text: int = 3  # changed, text-like cells outside the known text that make new text
    min_score: float = 0.6  # recognition confidence below which a line is dropped


def load_engine() -> Any:
    """The OCR engine, once per process (small detection, no angle model)."""
    with _LOCK:
        if not _ENGINE:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise EvidenceError(
                    "on-screen text needs RapidOCR: pip install 'vidseek[ocr]'"
                ) from exc
            try:
                _ENGINE.append(SmallDetection(RapidOCR(use_cls=False, det_limit_type="max")))
            except Exception as exc:  # its model files missing or unreadable
                raise EvidenceError(f"cannot load the OCR models: {exc}") from exc
        return _ENGINE[0]


class SmallDetection:
    """RapidOCR that finds text on a copy of the frame at most ``det_side`` pixels wide
    (its own detection never shrinks a frame: 1280x720 is searched whole) and reads each
    line from the full-size frame. Called like RapidOCR: BGR image → (lines, timings)."""

    def __init__(self, rapid: Any, det_side: int = DET_SIDE) -> None:
        self.rapid = rapid
        self.det_side = det_side

    def __call__(self, bgr: np.ndarray) -> tuple[list[list[Any]] | None, None]:
        h, w = bgr.shape[:2]
        scale = min(1.0, self.det_side / max(h, w))
        small = bgr
        if scale < 1.0:
            from PIL import Image

            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            small = np.asarray(Image.fromarray(bgr).resize(size, Image.Resampling.BOX))
        boxes, _ = self.rapid.auto_text_det(np.ascontiguousarray(small))
        if boxes is None or not len(boxes):
            return None, None
        boxes = [np.asarray(b, dtype=np.float32) / scale for b in boxes]
        lines, _ = self.rapid.text_rec(self.rapid.get_crop_img_list(bgr, boxes))
        found = zip(boxes, lines, strict=True)
        return [[b.tolist(), text, score] for b, (text, score) in found], None


def read_text(engine: Any, image: np.ndarray, min_score: float) -> list[tuple[str, float, tuple]]:
    """(text, confidence, box (x0, y0, x1, y1)) of each line in an RGB frame."""
    try:
        result, _ = engine(np.ascontiguousarray(image[:, :, ::-1]))  # RapidOCR expects BGR
    except Exception as exc:  # ONNX Runtime's errors are plain Exceptions
        raise EvidenceError(f"OCR failed on a frame: {type(exc).__name__}: {exc}") from exc
    lines = []
    for points, text, score in result or []:
        text = " ".join(str(text).split())
        if text and float(score) >= min_score:
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            lines.append((text, float(score), (min(xs), min(ys), max(xs), max(ys))))
    return lines


def script_language(text: str) -> str | None:
    """``zh``/``ja``/``ko`` for text in those scripts; None for Latin and others (the
    script alone does not tell English from German)."""
    names = [unicodedata.name(c, "") for c in text if not c.isspace()]
    if any(n.startswith(("HIRAGANA", "KATAKANA")) for n in names):
        return "ja"
    if any(n.startswith("HANGUL") for n in names):
        return "ko"
    if any(n.startswith("CJK UNIFIED") for n in names):
        return "zh"
    return None


def thumbnail(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cell of a ``_GRID`` over the frame: its mean grey, and how text-like it is (the
    share of its pixels at a steep horizontal grey step: the strokes of letters make many,
    the outline of a shape crosses a cell once), both float32 (h, w), from a view about
    180 pixels high (every n-th pixel: sharp edges stay sharp)."""
    step = max(1, min(image.shape[:2]) // 180)
    grey = image[::step, ::step].mean(axis=2, dtype=np.float32)
    steep = np.zeros_like(grey)
    steep[:, 1:] = np.abs(np.diff(grey, axis=1)) > _STEEP
    return _cells(grey), _cells(steep)


def _cells(plane: np.ndarray) -> np.ndarray:
    gw, gh = _GRID
    h, w = plane.shape
    ys = np.linspace(0, h, gh + 1).astype(int)
    xs = np.linspace(0, w, gw + 1).astype(int)
    rows = np.add.reduceat(plane, ys[:-1], axis=0) / np.maximum(np.diff(ys), 1)[:, None]
    cells = np.add.reduceat(rows, xs[:-1], axis=1) / np.maximum(np.diff(xs), 1)[None, :]
    return cells.astype(np.float32)


@dataclass
class _Reading:
    """What OCR last read: its thumbnail, which cells hold text, the lines by key."""

    thumb: np.ndarray
    text_cells: np.ndarray  # bool (h, w)
    open: dict[str, tuple[float, str, float]] = field(default_factory=dict)  # key → start, text


def _text_cells(boxes: list[tuple], shape: tuple[int, int]) -> np.ndarray:
    h, w = shape
    gw, gh = _GRID
    cells = np.zeros((gh, gw), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        c0, c1 = int(x0 / w * gw), min(gw - 1, int(x1 / w * gw))
        r0, r1 = int(y0 / h * gh), min(gh - 1, int(y1 / h * gh))
        cells[max(0, r0) : r1 + 1, max(0, c0) : c1 + 1] = True
    return cells


def _key(text: str) -> str:
    return "".join(text.casefold().split())


def ocr_frames(
    frames: Iterable[tuple[float, np.ndarray]],
    duration: float,
    options: OcrOptions | None = None,
    engine: Any = None,
) -> tuple[list[TextSpan], int]:
    """Spans of the text lines seen in ``frames`` ((time, RGB image), in time order), and how
    many frames OCR read. ``duration`` closes the lines still on screen at the end."""
    options = options or OcrOptions()
    engine = engine if engine is not None else load_engine()
    rate = options.per_minute / 60.0
    tokens, filled_at = options.burst, 0.0
    spans: list[TextSpan] = []
    last: _Reading | None = None
    last_at = -math.inf
    changed_at: float | None = None  # first change seen since OCR last ran
    runs = 0
    end = duration
    for t, image in frames:
        end = max(end, t)
        thumb, edges = thumbnail(image)
        if last is not None and changed_at is None and _changed(thumb, edges, last, options):
            changed_at = t
        tokens = min(options.burst, tokens + max(0.0, t - filled_at) * rate)
        filled_at = t
        due = last is None or changed_at is not None
        if not due or tokens < 1.0 or t - last_at < options.min_gap:
            continue
        lines = read_text(engine, image, options.min_score)
        tokens -= 1.0
        runs += 1
        since = t if changed_at is None else changed_at
        still = last.open if last is not None else {}
        seen = {}
        for text, score, _ in lines:
            key = _key(text)
            if key in seen:
                continue
            seen[key] = still[key] if key in still else (since, text, score)
        for key, (start, text, _) in still.items():
            if key not in seen:
                spans.append(_span(start, since, text))
        cells = _text_cells([box for _, _, box in lines], image.shape[:2])
        last = _Reading(thumb, cells, seen)
        last_at, changed_at = t, None
    if last is not None:
        for start, text, _ in last.open.values():
            spans.append(_span(start, max(end, start), text))
    spans.sort(key=lambda s: (s.start, s.text))
    return spans, runs


def _changed(thumb: np.ndarray, edges: np.ndarray, last: _Reading, options: OcrOptions) -> bool:
    """A new shot, a change where text was, or new text-like detail elsewhere (a moving
    smooth shape is none of these)."""
    if thumb.shape != last.thumb.shape:
        return True
    changed = np.abs(thumb - last.thumb) > options.cell_change
    if float(changed.mean()) >= options.new_shot or bool((changed & last.text_cells).any()):
        return True
    texty = changed & ~last.text_cells & (edges >= options.text_edges)
    return int(texty.sum()) >= options.new_text


def _span(start: float, end: float, text: str) -> TextSpan:
    return TextSpan("ocr", start, end, text, script_language(text), OCR_SOURCE)
