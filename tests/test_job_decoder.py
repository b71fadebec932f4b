"""A server job decodes only what lies inside the media roots when it opens the file: a file
swapped for a symlink to somewhere else after the job checked it is refused (issue finding 9),
and what is decoded is the very file that was checked (read through its descriptor)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.api_server import built_library
from vidseek.api.job_decoder import JobDecoder
from vidseek.core.errors import DecodeError
from vidseek.indexer.decode import PyAVDecoder
from vidseek.indexer.isolation import IsolatedDecoder


class Job:
    cancel_requested = False
    interrupt = None


@pytest.fixture
def layout(tmp_path):
    root, outside = tmp_path / "media", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    video = built_library().videos[0]
    shutil.copy(video, root / "inside.mp4")
    shutil.copy(video, outside / "secret.mp4")
    return root, outside


@pytest.mark.parametrize("isolated", [False, True])
def test_inside_files_decode_through_their_descriptor(layout, isolated):
    root, _ = layout
    inner = IsolatedDecoder(PyAVDecoder, timeout=60) if isolated else PyAVDecoder()
    with JobDecoder(inner, Job(), roots=[root]) as decoder:
        assert decoder.probe(root / "inside.mp4").duration > 0
        batches = list(decoder.frames(root / "inside.mp4", fps=1.0))
    assert sum(len(b.times) for b in batches) >= 5


@pytest.mark.parametrize("isolated", [False, True])
def test_a_file_swapped_for_an_outside_link_is_refused(layout, isolated):
    root, outside = layout
    swapped = root / "inside.mp4"
    os.unlink(swapped)  # after the job's check, before its decode
    swapped.symlink_to(outside / "secret.mp4")
    inner = IsolatedDecoder(PyAVDecoder, timeout=60) if isolated else PyAVDecoder()
    with JobDecoder(inner, Job(), roots=[root]) as decoder:
        with pytest.raises(DecodeError, match="outside the media roots"):
            decoder.probe(swapped)
        with pytest.raises(DecodeError, match="outside the media roots"):
            list(decoder.frames(swapped, fps=1.0))


def test_the_decoder_reads_the_checked_file_even_if_the_name_moves_on(layout):
    """The descriptor pins the file: renaming another file over the name does not change
    what the inner decoder reads."""
    root, outside = layout
    seen: list[str] = []

    class Recording(PyAVDecoder):
        def probe(self, path):
            seen.append(str(path))
            os.replace(outside / "secret.mp4", root / "inside.mp4")  # swapped mid-flight
            return super().probe(path)

    with JobDecoder(Recording(), Job(), roots=[root]) as decoder:
        info = decoder.probe(root / "inside.mp4")
    assert seen and seen[0].startswith(f"/proc/{os.getpid()}/fd/")
    assert info.duration > 0
