"""The Python API example in README.md runs as written, on generated demo videos."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from vidseek.demo.render import write_video
from vidseek.demo.world import Scene

ROOT = Path(__file__).resolve().parents[1]


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- python-api-example -->\s*```python\n(.*?)```", text, re.S)
    assert match, "README.md lost its marked Python API example"
    return match.group(1)


def scene(start: float, end: float, shape: str, color: str, background: str) -> Scene:
    return Scene(start=start, end=end, shape=shape, color=color, background=background)


def test_readme_python_example_finds_the_red_circle(tmp_path):
    videos = tmp_path / "Videos"
    videos.mkdir()
    circle = videos / "circle.mp4"
    write_video(
        circle, [scene(0, 6, "circle", "red", "white"), scene(6, 12, "square", "blue", "black")]
    )
    write_video(videos / "star.mp4", [scene(0, 8, "star", "green", "black")])

    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("VIDSEEK_HOME", None)
    result = subprocess.run(
        [sys.executable, "-c", readme_example()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout
    best = lines[0]
    assert Path(best["path"]) == circle.resolve()
    assert best["start"] < 6.0
    assert (tmp_path / "my-library" / "catalog.sqlite").exists()
