"""The decoder seam: a path and a sampling rate in, frames with their real timestamps out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from search.types import VideoInfo


@dataclass
class FrameBatch:
    """Consecutive sampled frames of one video.

    ``times`` are presentation timestamps in seconds read from the stream (never
    ``index / fps``), so variable-frame-rate files get true times.
    """

    times: np.ndarray  # float64 (n,)
    images: np.ndarray  # uint8 (n, H, W, 3), RGB
    backend: str = ""  # which decoder produced these frames ("decord" or "pyav")


class Decoder(Protocol):
    """Opens one file and yields sampled frames. Raises ``DecodeError`` with a readable reason."""

    name: str

    def probe(self, path: Path) -> VideoInfo:
        """Read container metadata without decoding the whole file."""
        ...

    def frames(
        self, path: Path, fps: float, short_side: int | None = None, batch_size: int = 32
    ) -> Iterator[FrameBatch]:
        """Yield frames sampled at ``fps`` frames per second of video time.

        One frame is kept per sampling slot ``[i/fps, (i+1)/fps)``: the first frame whose
        timestamp falls in it. With ``short_side`` frames are resized (aspect kept) so the
        shorter side equals it, which bounds memory and transfer cost.
        """
        ...
