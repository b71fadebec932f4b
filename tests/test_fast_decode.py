"""Fast decoding (``--fast-decode``): reference frames only, one frame per slot, each with its
own true timestamp, never more than the B-frame run late, and no slot lost."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from tests.conftest import MEDIA_SPECS, options_command
from vidseek.indexer.decode import PyAVDecoder, default_decoder, slot_of
from vidseek.indexer.decode_fast import FastPyAVDecoder

FRAME = 0.04  # 25 fps


def write_bframes(path: Path, *, pyramid: bool = True, seconds: float = 3.0) -> Path:
    """160x120 25 fps H.264 with up to 3 consecutive B-frames (B-pyramid on or off)."""
    params = {} if pyramid else {"x264-params": "b-pyramid=none"}
    fmt = "matroska" if path.suffix == ".mkv" else "mp4"
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream("libx264", rate=Fraction(25))
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        stream.options = {"preset": "veryfast", "bf": "3", "g": "50", **params}
        for i in range(round(seconds * 25)):
            image = np.full((120, 160, 3), (i * 3) % 256, np.uint8)
            image[:, (i * 2) % 160] = 255
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="module")
def bframes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bframes")
    return {
        "pyramid": write_bframes(folder / "pyramid.mp4"),
        "pyramid_mkv": write_bframes(folder / "pyramid.mkv"),
        "flat": write_bframes(folder / "flat.mp4", pyramid=False),
    }


def every_frame(path: Path) -> dict[float, np.ndarray]:
    """Time -> RGB image (short side 32) of every frame, decoded normally."""
    batches = PyAVDecoder().frames(path, 1000.0, 32, batch_size=64)
    return {float(t): image for b in batches for t, image in zip(b.times, b.images, strict=True)}


def decode(decoder, path: Path, fps: float) -> tuple[np.ndarray, np.ndarray, set[str]]:
    batches = list(decoder.frames(path, fps, 32, batch_size=4))
    times = np.concatenate([b.times for b in batches])
    return times, np.concatenate([b.images for b in batches]), {b.backend for b in batches}


def check_rule(path: Path, fps: float, late: float) -> np.ndarray:
    """Fast frames: as many as exact ones, one per slot in the same slots, at most ``late``
    after the exact frame, each image the frame shown at its reported time."""
    exact, _, _ = decode(PyAVDecoder(), path, fps)
    times, images, backends = decode(FastPyAVDecoder(), path, fps)
    assert backends == {"pyav-fast"}
    assert len(times) == len(exact)
    assert [slot_of(t, fps) for t in times] == [slot_of(t, fps) for t in exact]
    assert np.all(np.diff(times) > 0)
    assert np.all(times >= exact - 1e-6) and np.all(times - exact <= late + 1e-6)
    frames = every_frame(path)
    for t, image in zip(times, images, strict=True):
        np.testing.assert_array_equal(image, frames[float(t)])  # truthful timestamp
    return times - exact


@pytest.mark.parametrize("name", MEDIA_SPECS)
def test_frames_without_b_frames_are_the_exact_ones(media: dict[str, Path], name: str):
    # x264 ultrafast, VP9 realtime and MJPEG: every frame is decoded, so nothing moves.
    shift = check_rule(media[name], 2.0, late=0.0)
    assert not shift.any()


@pytest.mark.parametrize("clip", ["pyramid", "pyramid_mkv"])
def test_b_frames_are_skipped_at_most_one_frame_late(bframes: dict[str, Path], clip: str):
    shift = check_rule(bframes[clip], 2.0, late=FRAME)
    assert shift.max() == pytest.approx(FRAME, abs=1e-3)  # B-frames were really skipped


def test_without_b_pyramid_lateness_is_the_b_frame_run(bframes: dict[str, Path]):
    shift = check_rule(bframes["flat"], 2.0, late=3 * FRAME)
    assert shift.max() > FRAME + 1e-3


@pytest.mark.parametrize("fps", [25.0, 12.5])
def test_slots_without_reference_frames_are_filled_exactly(bframes: dict[str, Path], fps):
    # One or two frames per slot: many slots hold only B-frames, filled by a normal decoder.
    for path in bframes.values():
        shift = check_rule(path, fps, late=FRAME)
        if fps == 25.0:
            assert not shift.any()


def test_default_decoder_chain():
    assert default_decoder(fast=True).name == "pyav-fast+decord+pyav"
    assert default_decoder().name == "decord+pyav"


def test_cli_flag_sets_option():
    command, seen = options_command()
    runner = CliRunner()
    assert "skip_frame=NONREF" in runner.invoke(command, ["--help"]).output
    assert runner.invoke(command, ["--fast-decode"]).exit_code == 0
    assert runner.invoke(command, []).exit_code == 0
    assert [o.fast_decode for o in seen] == [True, False]
