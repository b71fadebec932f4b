"""Small JPEG thumbnails of a moment, decoded with PyAV and kept in a bounded memory cache."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from pathlib import Path

import av
from PIL import Image

MAX_SIDE = 320
QUALITY = 80
MAX_DECODED_FRAMES = 2000  # never decode more than this many frames for one thumbnail


class ThumbnailError(Exception):
    """The frame could not be read; the message says why."""


def grab_frame(path: Path, at: float) -> Image.Image:
    """The first frame at or after ``at`` seconds (or the last frame, past the end)."""
    if not path.is_file():
        raise ThumbnailError("the video file is missing")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ThumbnailError("the file has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if at > 0 and stream.time_base:
                try:
                    container.seek(int(at / stream.time_base), stream=stream, backward=True)
                except av.error.FFmpegError:
                    container.seek(0)
            last = None
            for count, frame in enumerate(container.decode(stream)):
                last = frame
                t = frame.time
                if t is None or t >= at - 1e-3 or count >= MAX_DECODED_FRAMES:
                    break
            if last is None:
                raise ThumbnailError("no frame could be decoded")
            return last.to_image()
    except FileNotFoundError as exc:
        raise ThumbnailError("the video file is missing") from exc
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise ThumbnailError(f"the video could not be decoded: {exc}") from exc


def to_jpeg(image: Image.Image, max_side: int = MAX_SIDE) -> bytes:
    image = image.convert("RGB")
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


class ThumbnailCache:
    """LRU of JPEG bytes; at most ``parallel`` decodes run at once."""

    def __init__(self, size: int = 512, parallel: int = 2) -> None:
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self._decoders = threading.BoundedSemaphore(parallel)

    def get(self, key: tuple, path: Path, at: float) -> bytes:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
                return data
        with self._decoders:
            data = to_jpeg(grab_frame(path, at))
        with self._lock:
            self._items[key] = data
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return data

    def __len__(self) -> int:
        return len(self._items)
