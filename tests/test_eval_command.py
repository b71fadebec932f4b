"""`vidseek eval` end to end on generated videos, checked against an independent computation.

The test rebuilds every number from raw material: frame vectors from the catalog, its own
segment and whole-video pooling, its own text embeddings, a numpy similarity matrix, its own
ranks and recalls. Text→video scores a video by its best segment, which is what Searcher's
best clip per video is by construction.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from vidseek.cli.main import cli
from vidseek.core.library import Library
from vidseek.core.models import load_encoder
from vidseek.core.types import Hit
from vidseek.demo.render import generate_library
from vidseek.demo.world import LANGUAGES, describe
from vidseek.search.clips import merge_hits

MODEL = "vidseek-demo"
FETCH = 32  # Searcher fetches at least this many hits, so short videos merge all of theirs


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def videos_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("eval_media")
    generate_library(folder, 4, seed=31, duration=(9.0, 13.0), size=(160, 120), fps=8)
    return folder


def truths(videos_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(videos_dir.glob("*.json"))]


@pytest.fixture(scope="module")
def annotations(videos_dir, tmp_path_factory) -> Path:
    """Per scene and language: a caption of the video and the same text as a moment."""
    rows = []
    for i, truth in enumerate(truths(videos_dir)):
        name = truth["path"]
        key = name if i % 2 else Path(name).stem  # ids by stem and by file name both resolve
        for scene in truth["scenes"]:
            for lang in LANGUAGES:
                text = describe(scene["shape"], scene["color"], scene["background"], lang)
                rows.append({"video": key, "text": text, "lang": lang})
                rows.append(
                    {"video": key, "start": scene["start"], "end": scene["end"], "text": text,
                     "lang": lang}
                )  # fmt: skip
    path = tmp_path_factory.mktemp("eval_ann") / "ann.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def run(videos_dir, annotations, tmp_path_factory) -> tuple[dict, Path]:
    library = tmp_path_factory.mktemp("eval_library")
    result = invoke(
        "eval", "--annotations", str(annotations), "--videos", str(videos_dir), "--model", MODEL,
        "--library", str(library), "--json", "--label", "first",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), library


def pooled(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.astype(np.float64).mean(axis=0)
    return mean / np.linalg.norm(mean)


@pytest.fixture(scope="module")
def reference(run, videos_dir, annotations) -> dict:
    """Segments and whole videos re-pooled from stored frame vectors; texts embedded anew."""
    _, library_dir = run
    rows = [json.loads(line) for line in annotations.read_text().splitlines()]
    encoder = load_encoder(MODEL)
    library = Library.open(library_dir, read_only=True)
    try:
        videos = {}
        for truth in truths(videos_dir):
            record = library.find_video_by_path(str((videos_dir / truth["path"]).resolve()))
            times, frames = library.frames(record.id)
            segments = []
            for seg in library.segments(record.id):
                inside = (times >= seg.start) & (times < seg.end)
                assert inside.sum() == seg.n_frames
                segments.append((seg.id, seg.start, seg.end, pooled(frames[inside])))
            videos[Path(truth["path"]).stem] = (record.id, segments, pooled(frames))
    finally:
        library.close()
    texts = {r["text"] for r in rows}
    embedded = {t: encoder.encode_texts([t])[0].astype(np.float64) for t in sorted(texts)}
    return {"rows": rows, "videos": videos, "text": embedded}


def stem(key: str) -> str:
    return Path(key).stem


def expected_video_retrieval(ref: dict, lang: str | None) -> dict:
    captions = [r for r in ref["rows"] if "start" not in r and lang in (None, r["lang"])]
    names = sorted(ref["videos"], key=lambda n: ref["videos"][n][0])
    texts = np.stack([ref["text"][c["text"]] for c in captions])
    segment_max = np.stack(
        [np.max(np.stack([s[3] for s in ref["videos"][n][1]]) @ texts.T, axis=0) for n in names]
    )  # (videos, captions): best segment per video
    target = np.array([names.index(stem(c["video"])) for c in captions])
    cols = np.arange(len(captions))
    t2v = 1 + (segment_max > segment_max[target, cols]).sum(axis=0)
    whole = np.stack([ref["videos"][n][2] for n in names]) @ texts.T
    v2t = []
    for v in range(len(names)):
        best = whole[v, target == v].max()
        v2t.append(1 + int((whole[v] > best).sum()))
    return {"t2v": t2v, "v2t": np.array(v2t)}


def summary(ranks: np.ndarray) -> dict:
    return {
        "R@1": 100 * np.mean(ranks <= 1),
        "R@5": 100 * np.mean(ranks <= 5),
        "R@10": 100 * np.mean(ranks <= 10),
        "MdR": float(np.median(ranks)),
        "MnR": float(np.mean(ranks)),
        "n": len(ranks),
    }


def assert_metrics(actual: dict, expected: dict) -> None:
    assert actual.keys() >= expected.keys()
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, abs=1e-6), key


def test_text_to_video_and_video_to_text_match_the_raw_similarity_matrix(run, reference):
    report, _ = run
    vr = report["video_retrieval"]
    expected = expected_video_retrieval(reference, None)
    assert vr["n_videos"] == 4 and vr["n_captions"] == len(expected["t2v"])
    assert vr["ranks"]["t2v"] == expected["t2v"].tolist()
    assert vr["ranks"]["v2t"] == expected["v2t"].tolist()
    assert_metrics(vr["t2v"], summary(expected["t2v"]))
    assert_metrics(vr["v2t"], summary(expected["v2t"]))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_per_language_breakdown(run, reference, lang):
    report, _ = run
    expected = expected_video_retrieval(reference, lang)
    by_lang = report["video_retrieval"]["by_language"][lang]
    assert_metrics(by_lang["t2v"], summary(expected["t2v"]))
    assert_metrics(by_lang["v2t"], summary(expected["v2t"]))


def expected_moments(ref: dict, lang: str | None) -> tuple[list[list[tuple]], list[tuple]]:
    preds, truths_ = [], []
    for row in ref["rows"]:
        if "start" not in row or lang not in (None, row["lang"]):
            continue
        video_id, segments, _ = ref["videos"][stem(row["video"])]
        q = ref["text"][row["text"]]
        hits = [Hit(sid, video_id, s, e, float(vec @ q)) for sid, s, e, vec in segments]
        hits = sorted(hits, key=lambda h: (-h.score, h.segment_id))[:FETCH]
        preds.append([(c.start, c.end) for c in merge_hits(hits, {})[:5]])
        truths_.append((row["start"], row["end"]))
    return preds, truths_


def moment_summary(preds, truths_) -> dict:
    def iou(a, b):
        inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
        return inter / (max(a[1], b[1]) - min(a[0], b[0]))

    table = [[iou(p, t) for p in ps] for ps, t in zip(preds, truths_, strict=True)]
    out = {"mIoU": 100 * np.mean([row[0] for row in table]), "n": len(table)}
    for k in (1, 5):
        for t in (0.5, 0.7):
            out[f"R@{k},IoU>={t}"] = 100 * np.mean([any(v >= t for v in r[:k]) for r in table])
    return out


def test_moment_retrieval_matches_segments_merged_as_clips(run, reference):
    report, _ = run
    mr = report["moment_retrieval"]
    preds, truths_ = expected_moments(reference, None)
    top1 = [(t["start"], t["end"]) for t in mr["top1"]]
    assert np.allclose(top1, [p[0] for p in preds])
    assert_metrics(mr["metrics"], moment_summary(preds, truths_))
    for lang in ("en", "zh"):
        assert_metrics(mr["by_language"][lang], moment_summary(*expected_moments(reference, lang)))


@pytest.fixture(scope="module")
def english(videos_dir, tmp_path_factory) -> Path:
    """The English rows only, keyed by file name: a smaller file for the slower checks."""
    rows = []
    for truth in truths(videos_dir):
        for scene in truth["scenes"]:
            text = describe(scene["shape"], scene["color"], scene["background"], "en")
            rows.append({"video": truth["path"], "text": text, "lang": "en"})
            span = {"start": scene["start"], "end": scene["end"]}
            rows.append({"video": truth["path"], **span, "text": text, "lang": "en"})
    path = tmp_path_factory.mktemp("eval_en") / "en.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


def test_the_default_temporary_library_leaves_no_trace(videos_dir, english, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("VIDSEEK_HOME", str(home))
    result = invoke(
        "eval", "--annotations", str(english), "--videos", str(videos_dir), "--model", MODEL
    )
    assert result.exit_code == 0, result.output
    assert not home.exists()
    for row in ("text→video", "video→text", "  en text→video", "moment retrieval", "  en "):
        assert f"\n{row}" in result.stdout, row


def test_msrvtt_csv_and_charades_give_the_jsonl_numbers(run, videos_dir, english, tmp_path):
    report, library = run
    rows = [json.loads(line) for line in english.read_text().splitlines()]
    captions = [r for r in rows if "start" not in r]
    csv_lines = ["key,vid_key,video_id,sentence"] + [
        f"ret{i},msr{i},{stem(r['video'])},{r['text']}" for i, r in enumerate(captions)
    ]
    (tmp_path / "test.csv").write_text("\n".join(csv_lines) + "\n")
    sta = [f"{stem(r['video'])} {r['start']} {r['end']}##{r['text']}" for r in rows if "start" in r]
    (tmp_path / "sta.txt").write_text("\n".join(sta) + "\n")
    common = ("--videos", str(videos_dir), "--model", MODEL, "--library", str(library), "--json")
    from_csv = json.loads(invoke("eval", "--annotations", f"{tmp_path}/test.csv", *common).stdout)
    from_sta = json.loads(invoke("eval", "--annotations", f"{tmp_path}/sta.txt", *common).stdout)
    assert from_csv["annotations"]["format"] == "msrvtt-csv"
    en = report["video_retrieval"]["by_language"]["en"]
    assert from_csv["video_retrieval"]["t2v"] == en["t2v"]
    assert from_csv["video_retrieval"]["v2t"] == en["v2t"]
    moments = report["moment_retrieval"]["by_language"]["en"]
    assert from_sta["moment_retrieval"]["metrics"] == moments


def test_compare_and_plot(run, videos_dir, english, tmp_path):
    report, library = run
    earlier = tmp_path / "first.json"
    earlier.write_text(json.dumps(report))
    plot = tmp_path / "plots" / "recall.png"
    result = invoke(
        "eval", "--annotations", str(english), "--videos", str(videos_dir), "--model", MODEL,
        "--library", str(library), "--label", "second", "--compare", str(earlier),
        "--plot", str(plot), "-o", str(tmp_path / "second.json"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("first ") for line in lines)
    assert any(line.startswith("second ") for line in lines)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    second = json.loads((tmp_path / "second.json").read_text())
    assert second["label"] == "second"
    assert second["video_retrieval"]["t2v"] == report["video_retrieval"]["by_language"]["en"]["t2v"]


def test_missing_videos_are_reported_and_none_at_all_is_an_error(
    run, videos_dir, english, tmp_path
):
    _, library = run
    extra = tmp_path / "extra.jsonl"
    lines = english.read_text().splitlines()
    extra.write_text("\n".join([*lines, json.dumps({"video": "nowhere", "text": "a red star"})]))
    common = ("--videos", str(videos_dir), "--model", MODEL, "--library", str(library), "--json")
    result = invoke("eval", "--annotations", str(extra), *common)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["videos"]["missing"] == ["nowhere"]
    assert "not found in" in result.stderr
    only_missing = tmp_path / "none.jsonl"
    only_missing.write_text(json.dumps({"video": "nowhere", "text": "a red star"}) + "\n")
    result = invoke("eval", "--annotations", str(only_missing), *common)
    assert result.exit_code == 2
    assert "none of the 1 annotated videos" in result.stderr
