"""Query images uploaded over HTTP: decoded by ``search.images`` (formats, size, small),
only a few at a time, and every refusal a 400 ``bad_image``."""

from __future__ import annotations

import threading

import numpy as np

from vidseek.api.errors import ApiError
from vidseek.core.errors import QueryError
from vidseek.search.images import decode_image

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
        return decode_image(data)
    except QueryError as exc:
        raise ApiError(400, str(exc), "bad_image") from exc
    finally:
        _decoding.release()
