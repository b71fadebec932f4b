"""A demo world whose scenes repeat shape and colour across videos (on other backgrounds),
indexed with the bundled semantic model once per test session: for "more like this" tests."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vidseek.demo.render import write_video
from vidseek.demo.world import Scene

DEMO_MODEL = "vidseek-demo"
SCENE_S = 4.0


def _video(*scenes: tuple[str, str, str]) -> list[Scene]:
    return [
        Scene(i * SCENE_S, (i + 1) * SCENE_S, shape, color, background)
        for i, (shape, color, background) in enumerate(scenes)
    ]


# A red circle, a yellow star and a green square each appear in several videos, every time on
# another background; the purple triangle and the white star only once.
VIDEOS = [
    _video(("circle", "red", "blue"), ("star", "yellow", "black")),
    _video(("square", "green", "white"), ("circle", "red", "yellow")),
    _video(("star", "yellow", "green"), ("triangle", "purple", "orange")),
    _video(("triangle", "purple", "white"), ("circle", "red", "orange")),
    _video(("square", "green", "red"), ("star", "white", "blue"), ("star", "yellow", "blue")),
]


@dataclass(frozen=True)
class SimilarWorld:
    home: Path
    videos: tuple[Path, ...]  # resolved paths, in VIDEOS order
    ids: tuple[int, ...]  # the library's video id of each, in VIDEOS order

    def scenes_like(self, scene: Scene, but_not: int) -> set[tuple[int, float]]:
        """(video id, scene start) of every scene with ``scene``'s shape and colour outside
        video number ``but_not``."""
        return {
            (self.ids[v], s.start)
            for v, scenes in enumerate(VIDEOS)
            for s in scenes
            if v != but_not and (s.shape, s.color) == (scene.shape, scene.color)
        }


@functools.cache
def similar_world() -> SimilarWorld:
    from vidseek.session import Session

    base = Path(tempfile.mkdtemp(prefix="vidseek-similar-"))
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    folder = base / "videos"
    folder.mkdir()
    paths = []
    for i, scenes in enumerate(VIDEOS):
        path = folder / f"world_{i}.mp4"
        write_video(path, scenes, width=160, height=120, fps=10)
        paths.append(path.resolve())
    with Session(base / "library", model=DEMO_MODEL) as session:
        report = session.index([folder])
        assert len(report.of("indexed")) == len(VIDEOS), report.outcomes
        by_path = {v.path: v.id for v in session.videos()}
    return SimilarWorld(base / "library", tuple(paths), tuple(by_path[str(p)] for p in paths))
