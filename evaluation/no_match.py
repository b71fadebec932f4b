"""``vidseek eval``'s no-match metrics: does a search come back empty exactly when the thing
asked for is not in the library?

Every distinct annotated text is searched twice through the real search path with its default
confidence cut-off: over the whole gallery (the text is *present*: its videos are there), and
with every video annotated with that exact text left out (*absent*). A text shared by several
videos counts all of them as holders. This assumes a text describes only the videos it is
annotated with: true of the demo world's generated descriptions; for datasets whose captions
are loose (MSR-VTT), other videos may fit a caption, and recall is then an underestimate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from vidseek.core.types import Clip
from vidseek.demo.world import LANGUAGES
from vidseek.evaluation.calibrate import Query, demo_queries, scene_key
from vidseek.evaluation.metrics import no_match_metrics
from vidseek.search.confidence import Judged
from vidseek.search.query import Searcher, SearchOptions

K = 10


def no_match_retrieval(
    searcher: Searcher, texts: Sequence[tuple[str, str]], key_to_id: dict[str, int]
) -> dict:
    """``texts``: (video key, text) pairs; returns the metrics and the cut-off used."""
    holders: dict[str, set[int]] = defaultdict(set)
    for key, text in texts:
        if key in key_to_id:
            holders[text].add(key_to_id[key])
    gallery = sorted({v for ids in holders.values() for v in ids})
    absent_empty, present_empty, present_right = [], [], []
    for text, ids in holders.items():
        present = searcher.search_text(text, SearchOptions(k=K, video_ids=tuple(gallery)))
        present_empty.append(not present)
        present_right.append(bool(present) and present[0].video_id in ids)
        others = tuple(v for v in gallery if v not in ids)
        if others:
            absent = searcher.search_text(text, SearchOptions(k=K, video_ids=others))
            absent_empty.append(not absent)
    return {
        "metrics": no_match_metrics(absent_empty, present_empty, present_right),
        "min_confidence": searcher.confidence.calibration.threshold,
        "calibration": searcher.confidence.calibration.method,
        "n_texts": len(holders),
    }


def demo_no_match(search: Callable[[str], Judged], truths: dict[str, dict]) -> dict:
    """The no-match targets on demo-world videos whose ground truth is ``truths`` (``{path:
    truth}``, scenes with shape, colour, background): every colour/shape/background
    combination and every shape/colour pair, in five languages, through ``search`` (the real
    search with its cut-off). Absent ones must come back empty; for present ones the top
    moment must pass the cut-off and overlap most a scene that shows it (R@1)."""
    scenes = {str(Path(p).resolve()): t["scenes"] for p, t in truths.items()}
    present = {
        scene_key(s, kind) for ss in scenes.values() for s in ss for kind in ("full", "short")
    }
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    misses: list[dict] = []
    for query in demo_queries():
        judged = search(query.text)
        row = tally[(query.kind, query.lang)]
        if query.key in present:
            row[2] += 1
            top = judged.clips[0] if judged.clips else None
            right = top is not None and _shows(top, scenes, query)
            row[3] += right
            if not right:
                misses.append({"query": query.text, "present": True, "returned": bool(top)})
        else:
            row[0] += 1
            row[1] += not judged.clips
            if judged.clips:
                misses.append({"query": query.text, "present": False, "returned": True})
    out: dict = {"by_kind": {}, "misses": misses}
    for kind in ("full", "short"):
        rows = [v for (k, _), v in tally.items() if k == kind]
        out["by_kind"][kind] = _figures([sum(col) for col in zip(*rows, strict=True)])
        out["by_kind"][kind]["by_language"] = {
            lang: _figures(tally[(kind, lang)]) for lang in LANGUAGES
        }
    return out


def _figures(row: Sequence[int]) -> dict:
    absent, empty, present, right = row
    return {
        "absent_queries": absent,
        "absent_return_nothing": round(empty / absent, 4) if absent else None,
        "present_queries": present,
        "present_r1": round(right / present, 4) if present else None,
    }


def _shows(clip: Clip, scenes: dict[str, list[dict]], query: Query) -> bool:
    """Whether the scene ``clip`` overlaps most shows what ``query`` says."""
    video = scenes.get(str(Path(clip.path).resolve()), [])
    if not video:
        return False
    best = max(video, key=lambda s: min(clip.end, s["end"]) - max(clip.start, s["start"]))
    return scene_key(best, query.kind) == query.key
