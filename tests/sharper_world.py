"""A demo world for the sharper questions (temporal order, exclusion, image + text, filters),
indexed through the real pipeline with the bundled semantic model once per test session.

Each video is a row of 4 s scenes. The red circle and the blue square appear in both orders;
red circles stand on several backgrounds, one of them black; a blue circle exists for the
image + text test. Videos differ in duration, frame size, file date and container creation
time, for the filters.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av

from vidseek.demo.render import write_video
from vidseek.demo.world import Scene

DEMO_MODEL = "vidseek-demo"
SCENE_S = 4.0
DAY = 86_400.0
JAN_2020 = 1_577_836_800.0  # 2020-01-01T00:00:00Z


def _video(*scenes: tuple[str, str, str]) -> list[Scene]:
    return [
        Scene(i * SCENE_S, (i + 1) * SCENE_S, shape, color, background)
        for i, (shape, color, background) in enumerate(scenes)
    ]


@dataclass(frozen=True)
class Spec:
    name: str
    scenes: list[Scene]
    size: tuple[int, int] = (160, 120)
    mtime: float = JAN_2020  # file date
    created: str | None = None  # the container's creation_time tag


VIDEOS = [
    # 0: a red circle, then a blue square (A then B, no gap)
    Spec("a_then_b", _video(("circle", "red", "white"), ("square", "blue", "yellow"))),
    # 1: a blue square, then a red circle (B then A)
    Spec(
        "b_then_a",
        _video(("square", "blue", "green"), ("circle", "red", "orange")),
        size=(320, 240),
        mtime=JAN_2020 + 100 * DAY,
        created="2021-06-01T12:00:00.000000Z",
    ),
    # 2: a red circle, 8 s of something else, then a blue square (A then B, 8 s apart)
    Spec(
        "a_gap_b",
        _video(
            ("circle", "red", "purple"),
            ("star", "green", "white"),
            ("triangle", "yellow", "white"),
            ("square", "blue", "orange"),
        ),
        mtime=JAN_2020 + 200 * DAY,
        created="2023-03-15T08:30:00.000000Z",
    ),
    # 3: a red circle on black, and a green triangle on black
    Spec("red_on_black", _video(("circle", "red", "black"), ("triangle", "green", "black"))),
    # 4: a blue circle, and a yellow star
    Spec(
        "blue_circle",
        _video(("circle", "blue", "white"), ("star", "yellow", "purple")),
        size=(320, 240),
    ),
    # 5: a red circle on yellow alone, short
    Spec("red_short", _video(("circle", "red", "yellow"))),
]


@dataclass(frozen=True)
class SharperWorld:
    home: Path
    folder: Path
    ids: dict[str, int]  # video name → the library's id

    def name_of(self, video_id: int) -> str:
        return next(name for name, vid in self.ids.items() if vid == video_id)

    @staticmethod
    def spec(name: str) -> Spec:
        return next(s for s in VIDEOS if s.name == name)


def tag_creation_time(path: Path, created: str) -> None:
    """Rewrite ``path`` with ``creation_time`` in its container tags (as cameras write it)."""
    tagged = path.with_name(f"tagged_{path.name}")
    with av.open(str(path)) as src, av.open(str(tagged), "w") as dst:
        dst.metadata["creation_time"] = created
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            dst.mux(packet)
    tagged.replace(path)


@functools.cache
def sharper_world() -> SharperWorld:
    from vidseek.session import Session

    base = Path(tempfile.mkdtemp(prefix="vidseek-sharper-"))
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    folder = base / "videos"
    for spec in VIDEOS:
        sub = folder / ("big" if spec.size[0] > 160 else "small")
        sub.mkdir(parents=True, exist_ok=True)
        path = sub / f"{spec.name}.mp4"
        write_video(path, spec.scenes, width=spec.size[0], height=spec.size[1], fps=8)
        if spec.created:
            tag_creation_time(path, spec.created)
        os.utime(path, (spec.mtime, spec.mtime))
    with Session(base / "library", model=DEMO_MODEL) as session:
        report = session.index([folder])
        assert len(report.of("indexed")) == len(VIDEOS), report.outcomes
        ids = {Path(v.path).stem: v.id for v in session.videos()}
    return SharperWorld(base / "library", folder.resolve(), ids)
