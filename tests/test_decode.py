"""Decoders sample by real timestamps, resize keeping aspect, and fall back to PyAV."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import MEDIA_SPECS, SCENES, truth
from vidseek.core.errors import DecodeError
from vidseek.core.types import VideoInfo
from vidseek.demo.world import RGB
from vidseek.indexer.decode import (
    DecordDecoder,
    FallbackDecoder,
    PyAVDecoder,
    SlotSampler,
    default_decoder,
    target_size,
)
from vidseek.indexer.decode_fast import FastPyAVDecoder
from vidseek.indexer.frames import Decoder, FrameBatch

FPS = 2.0
DECODERS = {
    "decord": DecordDecoder,
    "pyav": PyAVDecoder,
    "pyav-fast": FastPyAVDecoder,
    "default": default_decoder,
}


def expected_times(frame_times: list[float], fps: float) -> list[float]:
    """First ground-truth frame of each 1/fps slot."""
    out, last = [], -1
    for t in frame_times:
        slot = math.floor(t * fps + 1e-9)
        if slot > last:
            out.append(t)
            last = slot
    return out


def collect(batches: Iterator[FrameBatch]) -> tuple[np.ndarray, np.ndarray, set[str]]:
    batches = list(batches)
    return (
        np.concatenate([b.times for b in batches]),
        np.concatenate([b.images for b in batches]),
        {b.backend for b in batches},
    )


def background_at(t: float) -> tuple[int, int, int]:
    scene = next(s for s in SCENES if s.start <= t < s.end)
    return RGB[scene.background]


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("name", MEDIA_SPECS)
def test_sampled_frames_match_ground_truth(media: dict[str, Path], name: str, decoder: str):
    path = media[name]
    gt = truth(path)
    times, images, backends = collect(DECODERS[decoder]().frames(path, FPS, 64, batch_size=4))

    want = expected_times(gt["frame_times"], FPS)
    assert len(times) == len(want)
    np.testing.assert_allclose(times, want, atol=1e-3)
    assert backends == ({"decord"} if decoder in ("decord", "default") else {decoder})

    w, h = gt["width"], gt["height"]
    assert images.dtype == np.uint8
    assert images.shape[1:] == (
        (64, round(w * 64 / h), 3) if w >= h else (round(h * 64 / w), 64, 3)
    )
    for t, image in zip(times, images, strict=True):
        corner = image[1, 1].astype(int)
        assert np.abs(corner - background_at(t)).max() <= 40, (t, corner)


@pytest.mark.parametrize("decoder", ["decord", "pyav"])
def test_full_size_and_batching(media: dict[str, Path], decoder: str):
    batches = list(DECODERS[decoder]().frames(media["portrait"], 5.0, None, batch_size=4))
    assert all(1 <= len(b.times) <= 4 for b in batches)
    assert all(b.images.shape[1:] == (320, 180, 3) for b in batches)
    times = np.concatenate([b.times for b in batches])
    assert len(times) == 15 and np.all(np.diff(times) > 0)


@pytest.mark.parametrize("decoder", ["decord", "pyav"])
def test_probe_reads_header(media: dict[str, Path], decoder: str):
    info = DECODERS[decoder]().probe(media["portrait"])
    assert (info.width, info.height, info.codec, info.backend) == (180, 320, "h264", decoder)
    assert info.duration == pytest.approx(3.0, abs=0.05)
    assert info.fps == pytest.approx(25.0)


def test_vfr_times_are_not_index_over_fps(media: dict[str, Path]):
    times, _, _ = collect(PyAVDecoder().frames(media["vfr"], 25.0))
    gt = truth(media["vfr"])["frame_times"]
    np.testing.assert_allclose(times, expected_times(gt, 25.0), atol=1e-3)
    assert np.abs(times - np.arange(len(times)) / 25.0).max() > 0.05


def test_target_size_and_sampler():
    assert target_size(640, 360, 224) == (398, 224)
    assert target_size(180, 320, 64) == (64, 114)
    assert target_size(640, 360, None) == (640, 360)
    sampler = SlotSampler(1.0)
    kept = [t for t in (0.0, 0.5, 0.99999994, 1.0, 1.5, 3.2, -0.5) if sampler.keep(t)]
    assert kept == [0.0, 0.99999994, 3.2]  # float32 1.0 counts as slot 1; negative dropped
    with pytest.raises(ValueError):
        SlotSampler(0)


class _FailsMidway(Decoder):
    """Yields the first batch of PyAV's output, then fails like a broken decord would."""

    name = "flaky"

    def probe(self, path: Path) -> VideoInfo:
        raise DecodeError("no probe")

    def frames(self, path, fps, short_side=None, batch_size=32):
        yield next(iter(PyAVDecoder().frames(path, fps, short_side, batch_size)))
        raise RuntimeError("decoder exploded")


class _AlwaysFails(_FailsMidway):
    name = "broken"

    def frames(self, path, fps, short_side=None, batch_size=32):
        raise DecodeError("bogus timestamps (not increasing)")
        yield  # pragma: no cover


def test_fallback_resumes_without_duplicates(media: dict[str, Path]):
    path = media["mp4"]
    times, _, backends = collect(
        FallbackDecoder([_FailsMidway(), PyAVDecoder()]).frames(path, 5, 32, 4)
    )
    np.testing.assert_allclose(times, expected_times(truth(path)["frame_times"], 5), atol=1e-3)
    assert backends == {"pyav"}  # _FailsMidway's first batch came from PyAV too
    assert FallbackDecoder([_FailsMidway(), PyAVDecoder()]).probe(path).backend == "pyav"


def test_fallback_keeps_both_reasons(media: dict[str, Path]):
    chain = FallbackDecoder([_AlwaysFails(), _FailsMidway()])
    with pytest.raises(DecodeError) as err:
        list(chain.frames(media["mp4"], 1.0))
    assert str(err.value) == (
        "broken: bogus timestamps (not increasing); flaky: RuntimeError: decoder exploded"
    )


def _coded_picture() -> np.ndarray:
    """160x90 landscape: green top band, red left half, blue right half."""
    image = np.zeros((90, 160, 3), np.uint8)
    image[:, :80], image[:, 80:], image[:12] = (220, 30, 30), (30, 70, 220), (30, 170, 60)
    return image


@pytest.fixture(scope="module")
def rotated(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Phone-style files: a landscape picture with a display rotation (degrees ccw)."""
    import av

    folder = tmp_path_factory.mktemp("rotated")
    out = {}
    for rotation in (90, -90, 180):
        path = out[rotation] = folder / f"rot{rotation}.mp4"
        with av.open(str(path), "w") as container:
            stream = container.add_stream("libx264", rate=25)
            stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
            stream.set_display_rotation(rotation)
            for i in range(5):
                frame = av.VideoFrame.from_ndarray(_coded_picture(), format="rgb24")
                frame.pts = i
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
    return out


@pytest.mark.parametrize("decoder", ["decord", "pyav", "pyav-fast"])
@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_display_rotation_is_applied(rotated: dict[int, Path], rotation: int, decoder: str):
    dec = DECODERS[decoder]()
    info = dec.probe(rotated[rotation])
    assert (info.width, info.height) == ((160, 90) if rotation == 180 else (90, 160))
    _, images, _ = collect(dec.frames(rotated[rotation], 1.0, 45))
    want = np.rot90(_coded_picture(), rotation // 90)[::2, ::2]  # 45 short side = half size
    assert images.shape == (1, *want.shape)
    assert np.abs(images[0].astype(int) - want).mean() < 8
