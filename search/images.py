"""Query images from untrusted bytes (HTTP uploads, MCP base64): known formats only, bounded
size, decoded small, RGB out.

Decoding is the costly part of an image query: a 40-megapixel PNG takes hundreds of MB. So the
pixel cap is what a phone photo needs, and decoding stops near the size any model uses.
"""

from __future__ import annotations

import io
import math
import warnings

import numpy as np

from vidseek.core.errors import QueryError

MAX_PIXELS = 16_000_000
MAX_SIDE = 1024  # above every model's input size; larger images are reduced while decoding
# No EPS or PDF: Pillow renders those by running Ghostscript.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")


def decode_image(data: bytes) -> np.ndarray:
    """An RGB uint8 array, or a ``QueryError`` saying why ``data`` is not a usable image."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise QueryError("the uploaded image is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as img:
                width, height = img.size
                if width * height > MAX_PIXELS or width < 1 or height < 1:
                    limit = f"{MAX_PIXELS // 1_000_000} megapixels"
                    raise QueryError(f"the image is {width}x{height}; the limit is {limit}")
                img.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at reduced size
                factor = math.ceil(max(img.size) / MAX_SIDE)
                small = img.reduce(factor) if factor > 1 else img
                array = np.asarray(small.convert("RGB"))
    except QueryError:
        raise
    except UnidentifiedImageError as exc:
        raise QueryError(f"not an image in a supported format ({', '.join(FORMATS)})") from exc
    except Exception as exc:  # PIL raises many types for hostile input
        raise QueryError(f"not a readable image ({type(exc).__name__})") from exc
    if array.ndim != 3 or array.shape[2] != 3:
        raise QueryError("the image could not be converted to RGB")
    return np.ascontiguousarray(array, dtype=np.uint8)
