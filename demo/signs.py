"""On-screen text of the speaking demo world, drawn with PIL in Noto Sans CJK: a sign (a
dark plate with light letters, top left) or a caption (a band at the bottom)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from vidseek.demo.fonts import font


@dataclass(frozen=True)
class Sign:
    """``text`` in ``language`` on screen from ``start`` to ``end`` seconds; ``kind`` is
    "sign" or "caption"; ``box`` (x, y, width, height) in pixels of the video."""

    start: float
    end: float
    text: str
    language: str
    kind: str
    box: tuple[int, int, int, int] = (0, 0, 0, 0)

    def to_json(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "text": self.text,
                "language": self.language, "kind": self.kind, "box": list(self.box)}  # fmt: skip


def draw(sign: Sign, width: int, height: int) -> tuple[np.ndarray, Sign]:
    """The plate of ``sign`` as an RGB array, and the sign with its box on a frame of
    ``width`` x ``height`` filled in."""
    size = max(24, round(height / (14 if sign.kind == "sign" else 18)))
    face = font(size)
    left, top, right, bottom = face.getbbox(sign.text)
    pad = size // 2
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    if sign.kind == "sign":
        fill, ink = (25, 60, 40), (250, 250, 235)
        x, y = round(width * 0.04), round(height * 0.05)
    else:
        fill, ink = (10, 10, 10), (255, 255, 255)
        x, y = max(0, (width - w) // 2), round(height * 0.95) - h
    w, h = min(w, width - x), min(h, height - y)
    plate = Image.new("RGB", (w, h), fill)
    ImageDraw.Draw(plate).text((pad - left, pad - top), sign.text, font=face, fill=ink)
    placed = Sign(sign.start, sign.end, sign.text, sign.language, sign.kind, (x, y, w, h))
    return np.asarray(plate), placed
