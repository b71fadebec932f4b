"""Query images from untrusted bytes: bounded size, any format PIL reads, RGB out."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image
from vidseek.api.errors import ApiError

MAX_PIXELS = 40_000_000


def decode_query_image(data: bytes) -> np.ndarray:
    """An RGB uint8 array, or a 400 ``ApiError`` saying why the upload is not a usable image."""
    if not data:
        raise ApiError(400, "the uploaded image is empty", "bad_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                if width * height > MAX_PIXELS or width < 1 or height < 1:
                    message = f"the image is {width}x{height}; the limit is 40 megapixels"
                    raise ApiError(400, message, "bad_image")
                img.draft("RGB", (1024, 1024))  # JPEG: decode at reduced size when possible
                array = np.asarray(img.convert("RGB"))
    except ApiError:
        raise
    except Exception as exc:  # PIL raises many types for hostile input
        raise ApiError(400, f"not a readable image ({type(exc).__name__})", "bad_image") from exc
    if array.ndim != 3 or array.shape[2] != 3:
        raise ApiError(400, "the image could not be converted to RGB", "bad_image")
    return np.ascontiguousarray(array, dtype=np.uint8)
