"""Shared fixtures: small demo videos in several containers, and inputs that are not videos.

Everything is generated on the fly with the demo world's video writer; each video has its
ground truth next to it as ``<path>.json`` (``frame_times``, ``scenes``, …).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import av
import click
import numpy as np
import pytest

from vidseek.cli.index_options import index_options
from vidseek.demo.render import write_video
from vidseek.demo.world import Scene
from vidseek.indexer.options import IndexOptions


def in_ci() -> bool:
    """True under CI (``CI=true``), where every tool the tests drive must be installed."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail_in_ci(reason: str) -> NoReturn:
    """Something a test needs is missing: skip locally, but fail in CI, where ``.ci/run``
    installs it and a skip would hide that the test never ran."""
    if in_ci():
        pytest.fail(f"cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


# Two 1.5 s scenes with different backgrounds, so a wrong frame shows in a corner pixel.
SCENES = [
    Scene(0.0, 1.5, "circle", "red", "blue"),
    Scene(1.5, 3.0, "square", "yellow", "green"),
]

# name -> (file name, write_video keyword arguments)
MEDIA_SPECS: dict[str, tuple[str, dict[str, object]]] = {
    "mp4": ("h264.mp4", {}),
    "mkv": ("h264.mkv", {}),
    "webm": ("vp9.webm", {}),
    "avi": ("mjpeg.avi", {}),
    "mov": ("h264.mov", {}),
    "portrait": ("portrait.mp4", {"width": 180, "height": 320}),
    "vfr": ("vfr.mp4", {"vfr": True, "seed": 3}),
    "vfr_mkv": ("vfr.mkv", {"vfr": True, "seed": 4}),
}


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Name -> path of small (160x120 unless stated, 3 s, 25 fps) demo videos."""
    folder = tmp_path_factory.mktemp("media")
    out = {}
    for name, (filename, kwargs) in MEDIA_SPECS.items():
        path = folder / filename
        write_video(path, SCENES, **{"width": 160, "height": 120, **kwargs})
        out[name] = path
    return out


def truth(path: Path) -> dict:
    """The ground truth written next to a generated video."""
    return json.loads(Path(f"{path}.json").read_text())


def write_audio_only(path: Path, seconds: float = 1.0) -> None:
    """An AAC-in-MP4 file with no video stream."""
    rate = 16000
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=rate)
        for i in range(int(seconds * rate / 1024)):
            tone = np.sin(np.arange(1024, dtype=np.float32) * 0.05)[None, :] * 0.2
            frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = rate, i * 1024
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@pytest.fixture(scope="session")
def bad_media(media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Name -> path of inputs that must be refused: empty, truncated, random, text, image, audio."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("bad_media")
    paths = {name: folder / f for name, f in {
        "empty": "empty.mp4", "truncated_mp4": "truncated.mp4", "truncated_mkv": "truncated.mkv",
        "random": "random.mp4", "text": "notes.mkv", "png": "picture.mp4", "jpeg": "photo.mp4",
        "audio": "sound.m4a",
    }.items()}  # fmt: skip
    paths["empty"].write_bytes(b"")
    for kind in ("mp4", "mkv"):
        data = media[kind].read_bytes()
        paths[f"truncated_{kind}"].write_bytes(data[: int(len(data) * 0.4)])
    rng = np.random.default_rng(0)
    paths["random"].write_bytes(rng.integers(0, 256, 64 * 1024, dtype=np.uint8).tobytes())
    paths["text"].write_text("This is a shopping list, not a video.\n" * 50)
    image = Image.new("RGB", (64, 48), (220, 30, 30))
    image.save(paths["png"], format="PNG")
    image.save(paths["jpeg"], format="JPEG")
    write_audio_only(paths["audio"])
    return paths


# Three short videos whose scenes are all different, indexed with the trained demo model.
DEMO_SCENES = [
    [Scene(0.0, 4.0, "circle", "red", "blue"), Scene(4.0, 8.0, "star", "yellow", "black")],
    [Scene(0.0, 4.0, "square", "green", "white"), Scene(4.0, 8.0, "triangle", "purple", "orange")],
    [Scene(0.0, 5.0, "star", "white", "red"), Scene(5.0, 9.0, "circle", "black", "yellow")],
]


@pytest.fixture(scope="session")
def demo_videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of three 8–9 s demo videos (320x240, 12 fps) with ground truth."""
    folder = tmp_path_factory.mktemp("demo_videos")
    for i, scenes in enumerate(DEMO_SCENES):
        write_video(folder / f"demo_{i}.mp4", scenes, width=320, height=240, fps=12)
    return folder


@pytest.fixture(scope="session")
def demo_library(demo_videos: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library folder holding ``demo_videos`` indexed with ``vidseek-demo``."""
    from vidseek.core.library import Library
    from vidseek.core.models import load_encoder
    from vidseek.indexer.pipeline import index_paths

    home = tmp_path_factory.mktemp("demo_library")
    with Library.open(home) as library:
        report = index_paths(library, load_encoder("vidseek-demo"), [demo_videos])
    assert len(report.of("indexed")) == len(DEMO_SCENES), report.outcomes
    return home


def options_command() -> tuple[click.Command, list[IndexOptions]]:
    """A click command with the indexing options, and the list it appends its
    ``IndexOptions`` to on each successful run."""
    seen: list[IndexOptions] = []

    @click.command()
    @index_options
    def command(options: IndexOptions) -> None:
        seen.append(options)

    return command, seen


def raised_within(seconds: float, action: Callable[[], object]) -> BaseException | None:
    """Run ``action`` in a thread; fail the test if it is still running after ``seconds``
    (it blocked, e.g. opening a FIFO), else return what it raised (None if nothing)."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # handed to the test, which decides
            raised.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=seconds)
    if worker.is_alive():
        pytest.fail(f"still running after {seconds} s: it blocked")
    return raised[0] if raised else None
