"""``vidseek demo`` end to end: the installed command generates videos, indexes them with the
bundled model, and each example search finds the scene it says the answer is in. (Its
speaking videos, with the spoken-phrase and sign searches: tests/test_demo_speaking.py.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

VIDEOS = 3
LANGUAGES = {"English", "Spanish", "German", "French", "Chinese"}
TIME = r"(\d\d):(\d\d):(\d\d\.\d)"
QUERY = re.compile(
    rf"^\[(?P<lang>\w+)\] (?P<q>['\"])(?P<text>.+)(?P=q)   "
    rf"\(it is in (?P<video>\S+) (?P<start>{TIME})-(?P<end>{TIME})\)$"
)
RESULT = re.compile(
    rf"^  (?P<rank>\d+)\. -?\d+\.\d{{3}}  (?P<start>{TIME})-(?P<end>{TIME})  (?P<video>\S+)$"
)


def seconds(stamp: str) -> float:
    hours, minutes, secs = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(secs)


def vidseek(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed ``vidseek`` console script (the one next to this interpreter)."""
    script = Path(sys.executable).parent / "vidseek"
    assert script.is_file(), f"no vidseek console script next to {sys.executable}"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, encoding="utf-8", env=env,
        timeout=600,
    )  # fmt: skip


def examples(output: str) -> list[tuple[re.Match, list[re.Match]]]:
    """Each example query line with the result lines under it."""
    found: list[tuple[re.Match, list[re.Match]]] = []
    for line in output.splitlines():
        if query := QUERY.match(line):
            found.append((query, []))
        elif (result := RESULT.match(line)) and found:
            found[-1][1].append(result)
    return found


def test_demo_generates_indexes_and_finds_each_example(tmp_path: Path) -> None:
    library = tmp_path / "library"
    run = vidseek("--library", str(library), "demo", "--videos", str(VIDEOS), "--speaking", "0")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    videos_dir = library / "demo" / "videos"
    assert f"generating {VIDEOS} demo videos in {videos_dir}" in out
    videos = sorted(p for p in videos_dir.glob("video_*") if p.suffix != ".json")
    assert len(videos) == VIDEOS
    assert re.search(rf"^indexed {VIDEOS}, unchanged 0, failed 0 \(", out, re.M), out

    found = examples(out)
    assert {q["lang"] for q, _ in found} == LANGUAGES, out
    for query, results in found:
        # up to 3: moments below the model's confidence cut-off are not shown
        ranks = [int(r["rank"]) for r in results]
        assert 1 <= len(ranks) <= 3 and ranks == list(range(1, len(ranks) + 1)), (
            query.group(0),
            out,
        )
        answer = videos_dir / query["video"]
        assert answer in videos, query.group(0)
        start, end = seconds(query["start"]), seconds(query["end"])
        scene = next(
            s for s in json.loads(Path(f"{answer}.json").read_text())["scenes"]
            if abs(s["start"] - start) < 0.06 and abs(s["end"] - end) < 0.06
        )  # fmt: skip
        top = results[0]
        assert top["video"] == answer.name, (query.group(0), top.group(0))
        top_start, top_end = seconds(top["start"]), seconds(top["end"])
        assert top_start < scene["end"] and top_end > scene["start"], (
            query.group(0),
            top.group(0),
        )
    hint = f"Try your own: vidseek --library {library / 'demo'} search "
    assert hint in out
    suggested = re.search(re.escape(hint) + r'"(.+)"$', out, re.M).group(1)
    tried = vidseek("--library", str(library / "demo"), "search", suggested, "--json")
    assert tried.returncode == 0, tried.stderr
    assert json.loads(tried.stdout)["results"], f"the suggested {suggested!r} finds nothing"

    # Run again: nothing to generate, nothing new to index, the same answers.
    again = vidseek("--library", str(library), "demo", "--videos", str(VIDEOS), "--speaking", "0")
    assert again.returncode == 0, again.stderr
    assert "generating" not in again.stdout
    assert re.search(rf"^indexed 0, unchanged {VIDEOS}, failed 0 \(", again.stdout, re.M)
    assert [(q.group(0), r[0]["video"]) for q, r in examples(again.stdout)] == [
        (q.group(0), r[0]["video"]) for q, r in found
    ]
