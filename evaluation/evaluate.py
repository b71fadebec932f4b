"""`vidseek eval` orchestration: index the annotated videos, run every query through Searcher.

Nothing here ranks on its own: text→video and moment results come from ``Searcher`` (the
search path users get), video→text compares the library's whole-video vectors with the same
encoder's caption embeddings. The metrics themselves live in ``search.metrics``.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vidseek.core.errors import VidseekError
from vidseek.core.types import Clip
from vidseek.evaluation.annotations import AnnotatedMoment, Annotations, Caption
from vidseek.evaluation.metrics import (
    MOMENT_KS,
    moment_metrics,
    rank_of_first,
    ranks_from_scores,
    retrieval_metrics,
    temporal_iou,
)
from vidseek.evaluation.no_match import no_match_retrieval
from vidseek.indexer.discover import discover
from vidseek.indexer.pipeline import IndexOptions, ProgressListener, index_paths
from vidseek.search.clips import rank
from vidseek.search.query import MAX_K, Searcher, SearchOptions
from vidseek.session import Session

REPORT_VERSION = 1


@dataclass(frozen=True)
class EvalSettings:
    model_spec: str | None = None  # None: the library's model, else the default model
    library: Path | None = None  # None: a temporary library, deleted afterwards
    catalog_url: str | None = None  # only used with ``library``
    index: IndexOptions = field(default_factory=IndexOptions)
    label: str | None = None  # name of this run in tables and plots (default: model label)


def evaluate(
    annotations: Annotations,
    videos_dir: Path,
    settings: EvalSettings,
    *,
    annotations_name: str = "",
    progress: ProgressListener | None = None,
    notify: Callable[[str], None] = lambda message: None,
) -> dict:
    """Index the annotated videos found in ``videos_dir`` and return the report (a JSON dict)."""
    files = match_videos(annotations.video_keys, videos_dir)
    missing = [key for key in annotations.video_keys if key not in files]
    if not files:
        sample = ", ".join(annotations.video_keys[:3])
        raise VidseekError(
            f"none of the {len(annotations.video_keys)} annotated videos ({sample}, …) is in "
            f"{videos_dir}: files are matched by name without extension"
        )
    if missing:
        notify(
            f"{len(missing)} annotated video(s) not found in {videos_dir}; their texts are skipped"
        )
    with _library_home(settings.library) as home:
        app = Session(
            home,
            model=settings.model_spec,
            catalog_url=settings.catalog_url if settings.library else None,
            notify=notify,
        )
        try:
            return _run(
                app, annotations, files, missing, settings, annotations_name, progress, notify
            )
        finally:
            app.close()


def match_videos(keys: Sequence[str], videos_dir: Path) -> dict[str, Path]:
    """Annotation video key → file: by relative path, by file name, else by name sans extension."""
    root = videos_dir.resolve()
    found = sorted({p.resolve() for p in discover([root])})
    by_relative = {p.relative_to(root).as_posix(): p for p in found if p.is_relative_to(root)}
    by_name: dict[str, list[Path]] = defaultdict(list)
    by_stem: dict[str, list[Path]] = defaultdict(list)
    for path in found:
        by_name[path.name].append(path)
        by_stem[path.stem].append(path)

    def candidates(key: str) -> list[Path]:
        if key in by_relative:
            return [by_relative[key]]
        return by_name.get(key) or by_stem.get(key) or by_stem.get(Path(key).stem) or []

    out: dict[str, Path] = {}
    for key in keys:
        paths = candidates(key)
        if len(paths) > 1:
            raise VidseekError(f"video {key!r} is ambiguous: {', '.join(map(str, paths))}")
        if paths:
            out[key] = paths[0]
    return out


@contextlib.contextmanager
def _library_home(library: Path | None) -> Iterator[Path]:
    if library is not None:
        yield library
        return
    with tempfile.TemporaryDirectory(prefix="vidseek-eval-") as tmp:
        yield Path(tmp)


def _run(
    app: Session,
    annotations: Annotations,
    files: dict[str, Path],
    missing: list[str],
    settings: EvalSettings,
    annotations_name: str,
    progress: ProgressListener | None,
    notify: Callable[[str], None],
) -> dict:
    library, encoder = app.library(), app.encoder()
    began = time.monotonic()
    paths = sorted(set(files.values()))
    job = index_paths(library, encoder, paths, options=settings.index, progress=progress)
    indexed = time.monotonic()
    by_path = {o.path.resolve(): o for o in job.outcomes}
    key_to_id: dict[str, int] = {}
    failed: dict[str, str] = {}
    for key, path in files.items():
        outcome = by_path.get(path.resolve())
        if outcome is not None and outcome.video_id is not None and outcome.status != "failed":
            key_to_id[key] = outcome.video_id
        else:
            failed[key] = outcome.reason if outcome is not None else "not indexed"
    for key, reason in failed.items():
        notify(f"{key}: could not be indexed ({reason}); its texts are skipped")
    searcher = Searcher(library, encoder)
    report: dict = {
        "version": REPORT_VERSION,
        "label": settings.label or encoder.identity.label,
        "model": encoder.identity.label,
        "annotations": {"file": annotations_name, "format": annotations.format},
        "videos": {
            "annotated": len(annotations.video_keys),  # distinct video keys in the file
            "files": len(paths),  # distinct files they matched
            "indexed": len(set(key_to_id.values())),  # distinct library videos evaluated
            "missing": missing,
            "failed": failed,
        },
        "settings": {
            "fps": settings.index.fps,
            **asdict(settings.index.segments),
            "text_to_video": "best clip per video from Searcher (= max segment similarity)",
            "video_to_text": "whole-video meanP vector vs caption embeddings",
            "moments": "Searcher restricted to the query's video, clips as returned",
        },
    }
    captions = [c for c in annotations.captions if c.video in key_to_id]
    moments = [m for m in annotations.moments if m.video in key_to_id]
    if captions:
        report["video_retrieval"] = video_retrieval(searcher, captions, key_to_id)
    if captions or moments:
        texts = [(c.video, c.text) for c in captions] or [(m.video, m.text) for m in moments]
        report["no_match"] = no_match_retrieval(searcher, texts, key_to_id)
    if moments:
        report["moment_retrieval"] = moment_retrieval(searcher, moments, key_to_id)
    if not captions and not moments:
        raise VidseekError("no annotated video could be indexed, so there is nothing to evaluate")
    report["seconds"] = {
        "index": round(indexed - began, 3),
        "search": round(time.monotonic() - indexed, 3),
    }
    return report


def ranked_videos(searcher: Searcher, text: str, gallery: Sequence[int]) -> list[Clip]:
    """Every gallery video's best clip for ``text``, best first, via Searcher (per_video=1).

    Galleries larger than ``MAX_K`` are searched in chunks and the best clips merged.
    """
    clips: list[Clip] = []
    for lo in range(0, len(gallery), MAX_K):
        chunk = tuple(gallery[lo : lo + MAX_K])
        # ranks are measured over the whole gallery: no confidence cut-off here
        options = SearchOptions(k=len(chunk), per_video=1, video_ids=chunk, min_confidence=0.0)
        clips.extend(searcher.search_text(text, options))
    return rank(clips)


def video_retrieval(searcher: Searcher, captions: list[Caption], key_to_id: dict[str, int]) -> dict:
    """Text→video through Searcher and video→text over whole-video vectors, by language too."""
    gallery = sorted({key_to_id[c.video] for c in captions})
    targets = [key_to_id[c.video] for c in captions]
    t2v = np.array(
        [
            rank_of_first([clip.video_id for clip in ranked_videos(searcher, c.text, gallery)], {t})
            for c, t in zip(captions, targets, strict=True)
        ],
        dtype=np.int64,
    )
    ids, vectors = searcher.library.video_vectors()
    row_of = {int(v): i for i, v in enumerate(ids)}
    video_matrix = vectors[[row_of[v] for v in gallery]]
    text_matrix = np.stack([searcher.embed_text(c.text) for c in captions])
    similarity = video_matrix @ text_matrix.T  # (videos, captions)

    def v2t_ranks(selected: list[int]) -> np.ndarray:
        rows = [i for i, v in enumerate(gallery) if any(targets[j] == v for j in selected)]
        correct = [
            [col for col, j in enumerate(selected) if targets[j] == gallery[i]] for i in rows
        ]
        return ranks_from_scores(similarity[np.ix_(rows, selected)], correct)

    everything = list(range(len(captions)))
    v2t = v2t_ranks(everything)
    out: dict = {
        "n_videos": len(gallery),
        "n_captions": len(captions),
        "t2v": retrieval_metrics(t2v),
        "v2t": retrieval_metrics(v2t),
    }
    langs = sorted({c.lang for c in captions if c.lang})
    if langs:
        out["by_language"] = {}
        for lang in langs:
            selected = [j for j, c in enumerate(captions) if c.lang == lang]
            out["by_language"][lang] = {
                "t2v": retrieval_metrics(t2v[selected]),
                "v2t": retrieval_metrics(v2t_ranks(selected)),
            }
    out["ranks"] = {"t2v": t2v.tolist(), "v2t": v2t.tolist()}
    return out


def moment_retrieval(
    searcher: Searcher, moments: list[AnnotatedMoment], key_to_id: dict[str, int]
) -> dict:
    """Each moment's text searched within its own video (Charades-STA protocol)."""
    predictions = []
    for m in moments:
        video = (key_to_id[m.video],)
        options = SearchOptions(k=max(MOMENT_KS), video_ids=video, min_confidence=0.0)
        predictions.append([(c.start, c.end) for c in searcher.search_text(m.text, options)])
    truths = [(m.start, m.end) for m in moments]
    out: dict = {
        "n_videos": len({m.video for m in moments}),
        "metrics": moment_metrics(predictions, truths),
    }
    langs = sorted({m.lang for m in moments if m.lang})
    if langs:
        out["by_language"] = {
            lang: moment_metrics(
                [p for p, m in zip(predictions, moments, strict=True) if m.lang == lang],
                [t for t, m in zip(truths, moments, strict=True) if m.lang == lang],
            )
            for lang in langs
        }
    out["top1"] = [
        {"start": p[0][0], "end": p[0][1], "iou": temporal_iou(p[0], t)} if p else None
        for p, t in zip(predictions, truths, strict=True)
    ]
    return out
