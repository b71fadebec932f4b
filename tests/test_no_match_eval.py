"""`vidseek eval`'s no-match metrics on generated demo videos, recomputed through the Python API.

Each annotated text is searched over the gallery (present) and over the gallery less the
videos annotated with it (absent); the metrics must equal what Session.search answers for the
same searches, and on the demo model's own renderer they must be high.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidseek.cli.main import cli
from vidseek.demo.render import generate_library
from vidseek.demo.world import describe
from vidseek.session import Session


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory) -> tuple[dict, Path, Path]:
    base = tmp_path_factory.mktemp("no_match_eval")
    videos = generate_library(base / "videos", 3, seed=41, duration=(10, 14), size=(160, 120))
    rows = []
    for path in videos:
        for scene in json.loads(Path(f"{path}.json").read_text())["scenes"]:
            for bg in (scene["background"], None):
                text = describe(scene["shape"], scene["color"], bg, "en")
                rows.append({"video": path.name, "text": text, "lang": "en"})
    annotations = base / "ann.jsonl"
    annotations.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    args = ["eval", "--annotations", str(annotations), "--videos", str(base / "videos")]
    args += ["--model", "vidseek-demo", "--library", str(base / "library"), "--json"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), base / "library", annotations


def test_no_match_metrics_are_what_the_search_answers(evaluated):
    report, library, annotations = evaluated
    nm = report["no_match"]
    holders: dict[str, set[str]] = defaultdict(set)
    for line in annotations.read_text().splitlines():
        row = json.loads(line)
        holders[row["text"]].add(row["video"])
    assert nm["n_texts"] == len(holders)
    with Session(library) as session:
        ids = {Path(v.path).name: v.id for v in session.videos()}
        gallery = sorted(ids.values())
        said_nothing = absent_nothing = absent = right = 0
        for text, names in holders.items():
            mine = {ids[n] for n in names}
            present = session.search(text, k=10, video_ids=tuple(gallery))
            said_nothing += not present
            right += bool(present) and present[0].video_id in mine
            others = tuple(v for v in gallery if v not in mine)
            if others:
                absent += 1
                empty = not session.search(text, k=10, video_ids=others)
                absent_nothing += empty
                said_nothing += empty
    m = nm["metrics"]
    assert m["n_absent"] == absent and m["n_present"] == len(holders)
    assert m["recall"] == pytest.approx(100 * absent_nothing / absent)
    assert m["precision"] == pytest.approx(100 * absent_nothing / max(said_nothing, 1))
    assert m["R@1 kept"] == pytest.approx(100 * right / len(holders))
    # a rough floor on 16 texts (blue on purple is this model's weak pair); the issue's
    # targets are checked in test_confidence.py and measured by bench/no_match.py
    assert m["recall"] >= 80 and m["R@1 kept"] >= 70 and m["precision"] >= 70, m
    assert nm["calibration"] == "logistic" and 0 < nm["min_confidence"] < 1


def test_the_table_has_a_no_match_row(evaluated):
    report, _, _ = evaluated
    from vidseek.evaluation.report import print_report

    lines: list[str] = []
    print_report(report, lines.append)
    row = next(line for line in lines if line.startswith("nothing matches"))
    assert f"{report['no_match']['metrics']['recall']:.1f}" in row
