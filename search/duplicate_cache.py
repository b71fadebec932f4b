"""The library's near-duplicates, found once and kept up to date incrementally.

The result lives in the catalog's ``meta`` table (key ``duplicates``, JSON) with the version
of every video it covered (its first segment id and segment count: a re-indexed video gets new
segment ids). When the catalog's segments change, only the pairs of new or changed videos are
looked for again, and pairs of removed ones dropped; the rest is reused. So ``vidseek search
--collapse-duplicates`` and every server process share one computation, a library that grows
pays only for its new videos, and a read-only library computes in memory without writing.
Within a process the report is also kept in memory until the segment fingerprint changes.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from dataclasses import asdict

import numpy as np

from vidseek.core.errors import CatalogError
from vidseek.core.library import Library
from vidseek.search.duplicates import (
    DuplicateOptions,
    DuplicatePair,
    DuplicateReport,
    find_duplicates,
)

META_KEY = "duplicates"
FORMAT = 1

_memo: weakref.WeakKeyDictionary[Library, tuple[object, DuplicateReport]] = (
    weakref.WeakKeyDictionary()
)
_memo_lock = threading.Lock()


def library_duplicates(
    library: Library, options: DuplicateOptions | None = None, fresh: bool = False
) -> DuplicateReport:
    """The near-duplicates of ``library`` with ``options``, from the caches where they are
    still right; ``fresh``: find them all again (and store that)."""
    options = options or DuplicateOptions()
    options.validate()
    key = (library.catalog.segment_fingerprint(), options)
    with _memo_lock:
        memo = _memo.get(library)
    if memo is not None and memo[0] == key and not fresh:
        return memo[1]
    started = time.perf_counter()
    versions = _versions(library)
    stored = None if fresh else _load(library, options)
    if stored is None:
        report = find_duplicates(library, options)
    else:
        old_versions, old_pairs = stored
        changed = {v for v, ver in versions.items() if old_versions.get(v) != ver}
        kept = [
            p
            for p in old_pairs
            if p.a in versions and p.b in versions and p.a not in changed and p.b not in changed
        ]
        found = find_duplicates(library, options, videos=changed) if changed else None
        pairs = kept + (found.pairs if found else [])
        pairs.sort(key=lambda p: (p.a, p.b))
        report = DuplicateReport(pairs, len(versions))
        if found is not None:
            report.candidates, report.search_seconds = found.candidates, found.search_seconds
    report.seconds = time.perf_counter() - started
    if not library.read_only:
        _store(library, options, versions, report.pairs)
    with _memo_lock:
        _memo[library] = (key, report)
    return report


def _versions(library: Library) -> dict[int, tuple[int, int]]:
    """Video id → (first segment id, segment count), for every video with segments."""
    table = library.catalog.segment_table()
    if not len(table.ids):
        return {}
    vids, first, counts = np.unique(table.video_ids, return_index=True, return_counts=True)
    return {
        int(v): (int(table.ids[i]), int(c)) for v, i, c in zip(vids, first, counts, strict=True)
    }


def _load(
    library: Library, options: DuplicateOptions
) -> tuple[dict[int, tuple[int, int]], list[DuplicatePair]] | None:
    raw = library.catalog.get_meta(META_KEY)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        if data.get("format") != FORMAT or data.get("options") != asdict(options):
            return None
        versions = {int(v): (int(f), int(c)) for v, (f, c) in data["versions"].items()}
        return versions, [DuplicatePair.from_json(p) for p in data["pairs"]]
    except (ValueError, KeyError, TypeError):
        return None  # written by another version: find them again


def _store(
    library: Library,
    options: DuplicateOptions,
    versions: dict[int, tuple[int, int]],
    pairs: list[DuplicatePair],
) -> None:
    data = {
        "format": FORMAT,
        "options": asdict(options),
        "versions": {str(v): list(ver) for v, ver in versions.items()},
        "pairs": [p.to_json() for p in pairs],
    }
    try:
        library.catalog.set_meta(META_KEY, json.dumps(data, separators=(",", ":")))
    except CatalogError:
        pass  # a catalog we may not write to: the next run finds them again
