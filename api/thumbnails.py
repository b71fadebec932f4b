"""Small JPEG thumbnails of a moment, kept in a bounded memory cache.

Frames come from the indexing decoder in isolated worker processes (``indexer.thumbnail``),
so a thumbnail shows the frame that was indexed (display rotation applied, cover art
ignored), and a file that hangs or crashes the decoder costs one request, not the server.
One decode per key at a time: concurrent requests for a thumbnail not yet cached all wait
for the one decode.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Hashable
from concurrent.futures import Future
from pathlib import Path

import numpy as np
from PIL import Image

from vidseek.core.errors import DecodeError, DecodeTimeout
from vidseek.indexer.frames import FrameBatch
from vidseek.indexer.isolation import DecoderLost
from vidseek.indexer.thumbnail import FramePool

MAX_SIDE = 320
SHORT_SIDE = 180  # frames are decoded at this short side, then fit into MAX_SIDE
QUALITY = 80


class ThumbnailError(Exception):
    """The file has no frame to show; the message says why."""


class ThumbnailUnavailable(ThumbnailError):
    """The decoder hung or died on the file; asking again later may succeed."""


def to_jpeg(image: np.ndarray, max_side: int = MAX_SIDE) -> bytes:
    """An RGB uint8 array as a JPEG whose longer side is at most ``max_side``."""
    picture = Image.fromarray(image).convert("RGB")
    picture.thumbnail((max_side, max_side))
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


class ThumbnailCache:
    """LRU of JPEG bytes; at most ``parallel`` decodes run at once (``frames`` decodes)."""

    def __init__(self, size: int = 512, parallel: int = 2, frames: FramePool | None = None):
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._pending: dict[Hashable, Future[bytes]] = {}  # decodes under way, by key
        self._size = size
        self._lock = threading.Lock()
        self._frames = frames or FramePool(parallel)
        self.decodes = 0  # decodes started (cache misses that were not already under way)

    def get(self, key: Hashable, path: Path, at: float) -> bytes:
        """The JPEG of ``path`` at ``at`` seconds, decoded once per ``key``."""
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
                return data
            pending = self._pending.get(key)
            leader = pending is None
            if pending is None:
                pending = self._pending[key] = Future()
                self.decodes += 1
        if leader:
            self._start(key, Path(path), at, pending)
        return pending.result()

    def close(self) -> None:
        """Stop the decoder workers."""
        self._frames.close()

    def __len__(self) -> int:
        return len(self._items)

    def _start(self, key: Hashable, path: Path, at: float, pending: Future[bytes]) -> None:
        try:
            if not path.is_file():
                raise ThumbnailError("the video file is missing")
            frame = self._frames.submit(path, at, SHORT_SIDE)
        except BaseException as exc:  # noqa: BLE001 - every waiter gets the reason
            self._settle(key, pending, error=exc)
            return
        frame.add_done_callback(lambda done: self._finish(key, pending, done))

    def _finish(self, key: Hashable, pending: Future[bytes], done: Future[FrameBatch]) -> None:
        try:
            data = to_jpeg(done.result().images[0])
        except BaseException as exc:  # noqa: BLE001 - every waiter gets the reason
            self._settle(key, pending, error=exc)
            return
        self._settle(key, pending, data=data)

    def _settle(
        self,
        key: Hashable,
        pending: Future[bytes],
        data: bytes | None = None,
        error: BaseException | None = None,
    ) -> None:
        with self._lock:
            self._pending.pop(key, None)
            if data is not None:
                self._items[key] = data
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        if data is not None:
            pending.set_result(data)
        else:
            pending.set_exception(_as_thumbnail_error(error))


def _as_thumbnail_error(exc: BaseException | None) -> ThumbnailError:
    if isinstance(exc, ThumbnailError):
        return exc
    if isinstance(exc, DecodeTimeout):
        return ThumbnailUnavailable(f"decoding the frame took too long ({exc})")
    if isinstance(exc, DecoderLost):
        return ThumbnailUnavailable(f"the decoder failed on this file ({exc})")
    if isinstance(exc, DecodeError | ValueError):
        return ThumbnailError(f"the video could not be decoded: {exc}")
    return ThumbnailUnavailable(f"no decoder could take the request ({type(exc).__name__})")
