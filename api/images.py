"""Query images from untrusted bytes: known formats only, bounded size, decoded small, RGB out.

Decoding is the costly part of an image query: a 40-megapixel PNG takes hundreds of MB.
So the pixel cap is what a phone photo needs, decoding stops near the size any model uses,
and only a few uploads decode at a time.
"""

from __future__ import annotations

import io
import math
import threading
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from vidseek.api.errors import ApiError

MAX_PIXELS = 16_000_000
MAX_SIDE = 1024  # above every model's input size; larger images are reduced while decoding
# No EPS or PDF: Pillow renders those by running Ghostscript.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
CONCURRENT_DECODES = 2
WAIT_SECONDS = 30.0
_decoding = threading.BoundedSemaphore(CONCURRENT_DECODES)


def decode_query_image(data: bytes) -> np.ndarray:
    """An RGB uint8 array, or an ``ApiError`` saying why the upload is not a usable image."""
    if not data:
        raise ApiError(400, "the uploaded image is empty", "bad_image")
    if not _decoding.acquire(timeout=WAIT_SECONDS):
        raise ApiError(503, "too many images are being decoded; try again shortly", "busy")
    try:
        return _decode(data)
    finally:
        _decoding.release()


def _decode(data: bytes) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as img:
                width, height = img.size
                if width * height > MAX_PIXELS or width < 1 or height < 1:
                    limit = f"{MAX_PIXELS // 1_000_000} megapixels"
                    message = f"the image is {width}x{height}; the limit is {limit}"
                    raise ApiError(400, message, "bad_image")
                img.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at reduced size
                factor = math.ceil(max(img.size) / MAX_SIDE)
                small = img.reduce(factor) if factor > 1 else img
                array = np.asarray(small.convert("RGB"))
    except ApiError:
        raise
    except UnidentifiedImageError as exc:
        message = f"not an image in a supported format ({', '.join(FORMATS)})"
        raise ApiError(400, message, "bad_image") from exc
    except Exception as exc:  # PIL raises many types for hostile input
        raise ApiError(400, f"not a readable image ({type(exc).__name__})", "bad_image") from exc
    if array.ndim != 3 or array.shape[2] != 3:
        raise ApiError(400, "the image could not be converted to RGB", "bad_image")
    return np.ascontiguousarray(array, dtype=np.uint8)
