"""Near-duplicates on synthetic vectors: alignment, copies vs shared clips, clusters, the cache
kept in the catalog and updated for new videos only, and collapsing copies in search."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.duplicate_vectors import MODEL, commit, copy_of, fake_video, join
from vidseek.core.errors import QueryError
from vidseek.core.library import Library
from vidseek.core.types import Clip
from vidseek.search.alignment import align
from vidseek.search.collapse import collapse
from vidseek.search.duplicate_cache import library_duplicates
from vidseek.search.duplicates import DuplicateOptions, DuplicatePair, DuplicateReport
from vidseek.search.query import SearchOptions, search_vector


def frames(video) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(video.seconds, dtype=np.float64), video.frames


def test_align_finds_the_offset_of_a_trim_and_of_a_clip_inside_another_video():
    rng = np.random.default_rng(1)
    a = fake_video(rng, 20)
    trimmed = copy_of(rng, a, start=3)
    found = align(*frames(a), *frames(trimmed), 0.9)
    assert found is not None
    assert found.offset == -3.0 and (found.a_start, found.a_end) == (3.0, 20.0)
    assert found.changes

    inside = join(fake_video(rng, 7), copy_of(rng, a, 5, 13), fake_video(rng, 6))
    found = align(*frames(a), *frames(inside), 0.9)
    assert found is not None
    assert found.offset == 2.0  # a's second 5 is inside's second 7
    assert (found.a_start, found.a_end) == (5.0, 13.0)


def test_a_long_copy_aligns_from_the_most_voted_offsets():
    rng = np.random.default_rng(4)
    a = fake_video(rng, 600)  # 10 minutes: ~10k frame pairs alike, over ~2k offsets
    found = align(*frames(a), *frames(copy_of(rng, a, start=17)), 0.9)
    assert found is not None and found.offset == -17.0 and found.a_end == 600.0


def test_two_hour_videos_align_within_bounded_memory():
    rng = np.random.default_rng(5)
    a = fake_video(rng, 7200)
    b = join(fake_video(rng, 60), copy_of(rng, a, 1000, 1600))
    found = align(*frames(a), *frames(b), 0.9)
    assert found is not None and found.offset == -940.0
    assert (found.a_start, found.a_end) == (1000.0, 1600.0) and found.changes


def test_unlike_videos_do_not_align():
    rng = np.random.default_rng(2)
    assert align(*frames(fake_video(rng, 15)), *frames(fake_video(rng, 15)), 0.9) is None


def pair_of(a, b, options=None):
    """The pair the library would report for two fake videos (ids 1 and 2)."""
    from vidseek.search.duplicates import classify

    found = align(*frames(a), *frames(b), 0.9)
    if found is None:
        return None
    return classify(1, 2, found, a.seconds, b.seconds, options or DuplicateOptions())


def test_copies_shared_clips_and_one_similar_shot():
    rng = np.random.default_rng(3)
    a = fake_video(rng, 18)
    assert pair_of(a, copy_of(rng, a)).kind == "copy"
    assert pair_of(a, copy_of(rng, a, start=3)).kind == "copy"
    scene = slice(a.cuts[1], a.cuts[2])  # one shot of a, inside an unrelated video
    shot = copy_of(rng, a, scene.start, scene.stop)
    assert pair_of(a, join(fake_video(rng, 6), shot, fake_video(rng, 6))) is None
    shared = pair_of(a, join(fake_video(rng, 6), copy_of(rng, a, 4, 12), fake_video(rng, 6)))
    assert shared.kind == "clip" and shared.offset == 2.0
    assert (shared.a_start, shared.a_end, shared.b_start, shared.b_end) == (4, 12, 6, 14)
    # a shared part shorter than min_shared is not reported
    assert pair_of(a, copy_of(rng, a, 4, 12), DuplicateOptions(min_shared=10.0)) is None


def test_clusters_chain_offsets_through_copies():
    def pair(a, b, offset):
        return DuplicatePair(a, b, "copy", offset, 0, 10, 0, 10, 0.99, 1, 1)

    clip = DuplicatePair(3, 9, "clip", 1.0, 0, 6, 1, 7, 0.99, 0.3, 0.3)
    report = DuplicateReport([pair(1, 2, 2.0), pair(2, 5, 3.0), pair(7, 8, -1.0), clip])
    assert report.clusters() == [[(1, 0.0), (2, 2.0), (5, 5.0)], [(7, 0.0), (8, -1.0)]]
    data = report.to_json()
    assert [len(g["videos"]) for g in data["copies"]] == [3, 2]
    assert data["shared_clips"][0]["moments"][1] == {
        "video_id": 9,
        "path": "",
        "start": 1.0,
        "end": 7.0,
    }


def test_collapse_folds_copies_of_the_same_moment_only():
    report = DuplicateReport(
        [
            DuplicatePair(1, 2, "copy", -3.0, 3, 20, 0, 17, 0.99, 0.85, 1),
            DuplicatePair(1, 3, "clip", 2.0, 4, 12, 6, 14, 0.99, 0.4, 0.4),
        ]
    )
    clips = [
        Clip(1, "a", 6.0, 10.0, 0.9),
        Clip(2, "a-trimmed", 3.0, 7.0, 0.89),  # = a's 6-10: folded
        Clip(3, "b", 8.0, 12.0, 0.88),  # = a's 6-10 inside b: folded
        Clip(2, "a-trimmed", 12.0, 16.0, 0.5),  # a's 15-19: a moment of its own
        Clip(1, "a", 0.0, 4.0, 0.45),
        Clip(3, "b", 2.0, 5.0, 0.4),  # would be a's 0-3, but b shows a only from 6 s on
    ]
    kept = collapse(clips, report)
    assert [(c.video_id, c.start) for c in kept] == [(1, 6.0), (2, 12.0), (1, 0.0), (3, 2.0)]
    assert [(c.video_id, c.start) for c in kept[0].copies] == [(2, 3.0), (3, 8.0)]
    assert kept[0].to_json()["copies"][0]["path"] == "a-trimmed"
    assert "copies" not in kept[1].to_json()


def test_options_are_checked():
    with pytest.raises(QueryError):
        DuplicateOptions(min_similarity=1.5).validate()
    with pytest.raises(QueryError):
        DuplicateOptions(min_coverage=0).validate()


@pytest.fixture
def library(tmp_path: Path):
    """30 distinct fake videos, three copies of video 0 and one clip of video 1 in another."""
    rng = np.random.default_rng(7)
    lib = Library.open(tmp_path / "lib")
    lib.bind_model(MODEL)
    originals = [fake_video(rng, int(rng.integers(12, 25))) for _ in range(30)]
    with lib.batch():
        for i, video in enumerate(originals):
            lib.commit_video(commit(f"/v/orig_{i}.mp4", video))
        lib.commit_video(commit("/v/copy_0.mp4", copy_of(rng, originals[0])))
        lib.commit_video(commit("/v/trim_0.mp4", copy_of(rng, originals[0], start=3)))
        lib.commit_video(commit("/v/cut_0.mp4", copy_of(rng, originals[0], 0, 10)))
        inside = join(fake_video(rng, 5), copy_of(rng, originals[1], 2, 10), fake_video(rng, 5))
        lib.commit_video(commit("/v/with_1.mp4", inside))
    lib.test_rng = rng  # type: ignore[attr-defined]
    lib.test_originals = originals  # type: ignore[attr-defined]
    yield lib
    lib.close()


def ids(lib: Library) -> dict[str, int]:
    return {Path(v.path).stem: v.id for v in lib.videos()}


def test_library_duplicates_found_stored_and_updated_for_new_videos_only(library: Library):
    v = ids(library)
    report = library_duplicates(library)
    copies = {(p.a, p.b): p for p in report.copies()}
    assert set(copies) == {
        (v["orig_0"], v["copy_0"]),
        (v["orig_0"], v["trim_0"]),
        (v["copy_0"], v["trim_0"]),
    }
    assert copies[(v["orig_0"], v["trim_0"])].offset == -3.0
    # cut_0 is 10 s of a longer original: a clip both show, not a copy
    clips = {(p.a, p.b): p for p in report.clips()}
    assert (v["orig_0"], v["cut_0"]) in clips
    shared = clips[(v["orig_1"], v["with_1"])]
    assert shared.offset == 3.0 and (shared.a_start, shared.a_end) == (2.0, 10.0)
    assert {p.a for p in report.pairs} | {p.b for p in report.pairs} <= {
        v[n] for n in ("orig_0", "copy_0", "trim_0", "cut_0", "orig_1", "with_1")
    }
    assert report.candidates < 60  # from the index: not all 595 pairs of 35 videos

    # the next run reuses what is stored; a new copy is the only video looked at again
    again = library_duplicates(library)
    assert again is report
    rng, originals = library.test_rng, library.test_originals  # type: ignore[attr-defined]
    library.commit_video(commit("/v/copy_5.mp4", copy_of(rng, originals[5])))
    grown = library_duplicates(library)
    v = ids(library)
    assert (v["orig_5"], v["copy_5"]) in {(p.a, p.b) for p in grown.copies()}
    assert 0 < grown.candidates <= 3
    assert len(grown.pairs) == len(report.pairs) + 1

    library.remove_video(v["copy_0"])
    shrunk = library_duplicates(library)
    assert shrunk.candidates == 0
    assert shrunk.pairs == [p for p in grown.pairs if v["copy_0"] not in (p.a, p.b)]
    assert len(shrunk.pairs) == len(grown.pairs) - 3  # with orig_0, trim_0 and cut_0


def test_another_process_reads_the_stored_result(library: Library):
    first = library_duplicates(library)
    with Library.open(library.home, read_only=True) as reader:
        second = library_duplicates(reader)
        assert second.candidates == 0 and second.pairs == first.pairs
        strict = library_duplicates(reader, DuplicateOptions(min_similarity=0.999))
        assert strict.candidates > 0 or not strict.pairs  # other options: found again


def test_search_collapses_copies_into_one_result(library: Library):
    v = ids(library)
    originals = library.test_originals  # type: ignore[attr-defined]
    query = originals[0].frames[7]
    plain = search_vector(library, query, SearchOptions(k=5))
    family = {v["orig_0"], v["copy_0"], v["trim_0"], v["cut_0"]}
    assert len([c for c in plain if c.video_id in family]) >= 3
    folded = search_vector(library, query, SearchOptions(k=5, collapse_duplicates=True))
    top = folded[0]
    assert top.video_id in family
    assert {c.video_id for c in top.copies} | {top.video_id} == family
    assert not any(c.video_id in family for c in folded[1:] if c.start <= 8 <= c.end)
    assert len(folded) == 5  # folded copies leave room for other results


def test_a_large_scan_builds_its_own_ivf_and_finds_the_same(library: Library, monkeypatch):
    from vidseek.search import candidates
    from vidseek.search.duplicates import find_duplicates

    exact = find_duplicates(library)
    built = []

    class Spy(candidates.ScanIndex):
        def __init__(self, *args):
            super().__init__(*args)
            built.append(self)

    monkeypatch.setattr(candidates, "SCAN_EXACT_MAX", 10)
    monkeypatch.setattr(candidates, "ScanIndex", Spy)
    approximate = find_duplicates(library)
    assert len(built) == 1 and built[0].index.nlist == candidates.scan_lists(built[0].index.ntotal)
    assert built[0].index.nlist > 16  # visits some lists of many, not all
    assert approximate.pairs == exact.pairs


def test_an_empty_library_has_no_duplicates(tmp_path: Path):
    from click.testing import CliRunner

    from vidseek.cli.main import cli

    with Library.open(tmp_path / "bound") as lib:
        lib.bind_model(MODEL)
        assert library_duplicates(lib).pairs == []
    result = CliRunner().invoke(cli, ["--library", str(tmp_path / "new"), "duplicates"])
    assert result.exit_code == 0, result.output
    assert "no duplicates among 0 videos" in result.output
