"""Query images from untrusted uploads: allowed formats, pixel cap, decoded small, bounded."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image

from vidseek.api import images
from vidseek.api.errors import ApiError
from vidseek.api.images import decode_query_image
from vidseek.search.images import MAX_SIDE


def _encoded(size: tuple[int, int], fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP"])
def test_large_images_are_decoded_no_larger_than_the_models_need(fmt):
    array = decode_query_image(_encoded((4000, 3000), fmt))
    assert array.dtype == np.uint8 and array.shape[2] == 3
    assert max(array.shape[:2]) <= MAX_SIDE
    assert array[10, 10].tolist() == pytest.approx([200, 30, 30], abs=8)


def test_small_images_keep_their_size():
    assert decode_query_image(_encoded((64, 48), "PNG")).shape == (48, 64, 3)


def test_more_pixels_than_a_phone_photo_are_refused():
    with pytest.raises(ApiError) as err:
        decode_query_image(_encoded((5000, 4000), "PNG"))
    assert err.value.status == 400 and "limit" in err.value.message


def test_postscript_is_refused_without_running_ghostscript(monkeypatch):
    import subprocess

    def no_subprocess(*args, **kwargs):
        raise AssertionError("an image upload started a process")

    monkeypatch.setattr(subprocess, "Popen", no_subprocess)
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto showpage\n"
    with pytest.raises(ApiError) as err:
        decode_query_image(eps)
    assert err.value.status == 400 and "supported format" in err.value.message


def test_decodes_wait_their_turn_and_give_up_with_503(monkeypatch):
    monkeypatch.setattr(images, "_decoding", threading.BoundedSemaphore(1))
    monkeypatch.setattr(images, "WAIT_SECONDS", 0.05)
    images._decoding.acquire()  # another upload is decoding
    try:
        with pytest.raises(ApiError) as err:
            decode_query_image(_encoded((64, 48), "PNG"))
        assert err.value.status == 503
    finally:
        images._decoding.release()
    assert decode_query_image(_encoded((64, 48), "PNG")).shape == (48, 64, 3)
