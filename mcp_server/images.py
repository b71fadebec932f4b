"""Images in and out of the MCP tools: a base64 query image decoded with limits, a frame to JPEG."""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np

from vidseek.core.errors import QueryError
from vidseek.search.images import decode_image

MAX_IMAGE_BYTES = 16 * 2**20
JPEG_QUALITY = 85


def decode_base64_image(data: str) -> np.ndarray:
    """An RGB uint8 array from base64 image bytes (a ``data:`` URL prefix is accepted),
    decoded with the same limits as an HTTP upload (``search.images``)."""
    if data.startswith("data:"):
        data = data.partition(",")[2]
    if len(data) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise QueryError(f"the image is larger than {MAX_IMAGE_BYTES // 2**20} MiB")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise QueryError("image_base64 is not valid base64") from exc
    return decode_image(raw)


def jpeg_bytes(rgb: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """``rgb`` (H, W, 3 uint8) encoded as JPEG."""
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(rgb).save(out, format="JPEG", quality=quality)
    return out.getvalue()
