"""One open library bound to one model: the Python API, and what the CLI, server and eval share.

A ``Session`` resolves where the library lives and which model it uses, opens the library on
first use and loads the encoder only when something is encoded, so listing videos never pays
for a model. ``vidseek.open_library`` is the documented way to get one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from vidseek.core.library import Library
    from vidseek.core.types import Clip, Encoder, EvidenceStatus, TextSpan, VideoRecord
    from vidseek.indexer.evidence import EvidenceOutcome
    from vidseek.indexer.options import IndexOptions
    from vidseek.indexer.pipeline import IndexReport, ProgressListener
    from vidseek.search.confidence import Judged
    from vidseek.search.duplicates import DuplicateReport
    from vidseek.search.query import Searcher, SearchOptions


def default_home() -> Path:
    """``$VIDSEEK_HOME`` if set, else the user data dir (e.g. ~/.local/share/vidseek)."""
    env = os.environ.get("VIDSEEK_HOME")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("vidseek", appauthor=False))


def resolve_model_spec(explicit: str | None, library: Library) -> str:
    """The model asked for, else the one the library was built with, else the default."""
    from vidseek.core.models.presets import DEMO_MODEL

    recorded = library.model
    return explicit or (recorded.label if recorded else DEMO_MODEL)


class Session:
    """An open library and the model it is searched with.

    ``home`` is the library folder (default: ``$VIDSEEK_HOME``, else the user data dir);
    ``model`` a model spec such as ``"vidseek-demo"`` or ``"ViT-B-32:laion2b_s34b_b79k"``
    (default: the library's own model, else ``vidseek-demo``); ``catalog_url`` a SQLAlchemy
    URL when the catalog lives outside the folder (PostgreSQL for many writers);
    ``vector_store`` where the segment vectors are searched: ``"faiss"`` or
    ``"milvus:PATH-OR-URI[#collection]"`` (default ``$VIDSEEK_VECTOR_STORE``, else FAISS).
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        model: str | None = None,
        catalog_url: str | None = None,
        notify: Callable[[str], None] | None = None,
        rebuild_in_background: bool = False,
        vector_store: str | None = None,
    ) -> None:
        self.home = Path(home).expanduser() if home is not None else default_home()
        self.vector_store = vector_store
        self.model_spec = model
        self.catalog_url = catalog_url
        self.notify = notify
        self.rebuild_in_background = rebuild_in_background
        self._library: Library | None = None
        self._encoder: Encoder | None = None
        self._text_encoder: Encoder | None = None
        self._searchers: dict[str, Searcher] = {}

    # -- what the session holds, each made on first use --------------------------------------

    def library(self, read_only: bool = False) -> Library:
        """The library store (catalog + vector index), opened once."""
        if self._library is None:
            from vidseek.core.library import Library

            self._library = Library.open(
                self.home,
                catalog_url=self.catalog_url,
                read_only=read_only,
                notify=self.notify,
                rebuild_in_background=self.rebuild_in_background,
                vector_store=self.vector_store,
            )
        return self._library

    def resolved_model(self) -> str:
        """The model spec this session encodes with (see ``resolve_model_spec``)."""
        return resolve_model_spec(self.model_spec, self.library())

    def encoder(self) -> Encoder:
        """The model's encoder, loaded on first use (the one heavy step)."""
        if self._encoder is None:
            from vidseek.core.models.factory import load_encoder

            self._encoder = load_encoder(self.resolved_model())
        return self._encoder

    def text_encoder(self) -> Encoder:
        """Only the model's text tower, as cheaply as it runs (ONNX Runtime on a cached
        export, no torch, once the first call has exported it): for text queries."""
        if self._text_encoder is None:
            from vidseek.core.models.text_encoder import load_text_encoder

            self._text_encoder = load_text_encoder(self.resolved_model())
        return self._text_encoder

    def searcher(self, queries: str = "images") -> Searcher:
        """Search over the library with this session's model; ``queries="text"`` gives one
        that embeds texts only, without loading the image tower."""
        if queries not in self._searchers:
            from vidseek.search.query import Searcher

            encoder = self.text_encoder() if queries == "text" else self.encoder()
            self._searchers[queries] = Searcher(self.library(), encoder)
        return self._searchers[queries]

    # -- the Python API ----------------------------------------------------------------------

    def index(
        self,
        paths: Iterable[str | os.PathLike[str]],
        *,
        options: IndexOptions | None = None,
        progress: ProgressListener | None = None,
        prune: bool = False,
        evidence: Sequence[str] | None = None,
    ) -> IndexReport:
        """Index the videos under ``paths`` (files or folders, recursive, incremental).

        Unchanged files are skipped by content hash; a bad file is reported in the returned
        ``IndexReport`` and never stops the others. ``evidence``: the kinds of text to
        extract besides the pictures (``"subtitles"``, ``"speech"``, ``"ocr"``; default:
        what the library was last indexed with, else subtitles); per video and kind in
        ``report.evidence``, seconds per stage in ``report.stages``.
        """
        from vidseek.indexer.pipeline import index_paths

        if evidence is not None:
            options = _with_kinds(options, evidence)

        report = index_paths(
            self.library(),
            self.encoder(),
            [Path(p).expanduser() for p in paths],
            options=options,
            progress=progress,
            prune=prune,
        )
        self._searchers.clear()
        return report

    def search(
        self,
        text: str,
        k: int = 10,
        *,
        then: str | None = None,
        max_gap: float | None = None,
        not_texts: Sequence[str] = (),
        **filters: object,
    ) -> list[Clip]:
        """The ``k`` best moments for ``text``: each a ``Clip`` with ``video_id``, ``path``,
        ``start``, ``end`` (seconds) and ``score``.

        ``then``: spans where ``text`` is followed by ``then`` in one video, at most
        ``max_gap`` seconds later (default 10), from the start of one to the end of the other.
        ``not_texts``: leave out moments that show one of these. ``filters`` are
        ``SearchOptions`` fields (``per_video``, ``video_ids``, ``path_prefixes``,
        ``min_score``, ``min_confidence``, ``collapse_duplicates``, ...) and video filters
        (``min_duration``,
        ``max_duration``, ``min_width``, ``max_width``, ``min_height``, ``max_height``,
        ``modified_after``, ``modified_before``, ``created_after``, ``created_before`` as
        ISO 8601 strings, dates or Unix seconds; ``languages``, ``has_speech``,
        ``has_subtitles``). ``modalities``: the evidence searched, any of ``"visual"``,
        ``"speech"``, ``"subtitle"``, ``"ocr"`` (default all, fused; each clip's ``matched``
        and ``snippet`` say what matched); without ``"visual"`` no model is loaded."""
        options = self._options(k, filters)
        if then is None and max_gap is None:
            from vidseek.search.fusion import search_all, wants_visual

            if not wants_visual(options.modalities):
                return search_all(self.library(), text, None, options)
        searcher = self.searcher("text")
        if then is not None:
            return searcher.search_then(text, then, options, max_gap, not_texts)
        if max_gap is not None:
            from vidseek.core.errors import QueryError

            raise QueryError("max_gap needs then: it is the gap between two events")
        return searcher.search_text(text, options, not_texts)

    def search_judged(
        self, text: str, k: int = 10, *, not_texts: Sequence[str] = (), **filters: object
    ) -> Judged:
        """``search``, and why it came back empty: ``Judged.clips`` are the moments, each with
        its calibrated ``confidence`` (0-1, comparable across queries) and
        ``confidence_level``; ``Judged.no_match`` says when moments were found but none
        reached the cut-off (``min_confidence``, default the model's; 0 keeps all)."""
        options = self._options(k, filters)
        return self.searcher("text").search_text_judged(text, options, not_texts)

    def search_image(
        self,
        image: str | os.PathLike[str] | np.ndarray,
        k: int = 10,
        *,
        text: str | None = None,
        text_weight: float | None = None,
        not_texts: Sequence[str] = (),
        **filters: object,
    ) -> list[Clip]:
        """The ``k`` moments that look most like ``image`` (a file path or an HxWx3 array);
        with ``text``, like the image moved towards the text (an image of a red circle and
        ``"blue"``: blue circles), weighted ``text_weight`` against the image (default 2:
        ``search.query.DEFAULT_TEXT_WEIGHT``)."""
        if isinstance(image, os.PathLike):
            image = os.fspath(image)
        return self.searcher().search_image(
            image, self._options(k, filters), text, text_weight, not_texts
        )

    def similar(
        self,
        video_id: int,
        start: float | None = None,
        end: float | None = None,
        k: int = 10,
        include_source: bool = False,
        **filters: object,
    ) -> list[Clip]:
        """The ``k`` moments most like ``video_id`` between ``start`` and ``end`` seconds (the
        whole video when not given), from the vectors already in the library: no model is
        loaded. The source video's own moments are left out unless ``include_source``."""
        from vidseek.search.similar import search_similar

        options = self._options(k, filters)
        return search_similar(self.library(), video_id, start, end, options, include_source)

    def duplicates(
        self,
        min_similarity: float | None = None,
        min_coverage: float | None = None,
        min_shared: float | None = None,
        fresh: bool = False,
    ) -> DuplicateReport:
        """Videos that are copies of each other (re-encoded, resized, cropped, trimmed) and
        clips two videos share, with the time offset between them; from the stored vectors,
        no model loaded. ``report.to_json()`` has ``copies`` (groups of videos), and
        ``shared_clips``. Found once and then updated for new or changed videos only;
        ``fresh``: find them all again. Thresholds default to ``DuplicateOptions``'."""
        from vidseek.search.duplicate_cache import library_duplicates
        from vidseek.search.duplicates import DuplicateOptions

        given = {"min_similarity": min_similarity, "min_coverage": min_coverage}
        given["min_shared"] = min_shared
        options = DuplicateOptions(**{k: v for k, v in given.items() if v is not None})
        library = self.library()
        return library_duplicates(library, options, fresh=fresh).with_paths(library)

    def add_evidence(
        self,
        kinds: Sequence[str],
        paths: Iterable[str | os.PathLike[str]] | None = None,
        *,
        options: IndexOptions | None = None,
    ) -> tuple[list[EvidenceOutcome], dict[str, float]]:
        """Extract ``kinds`` (``"subtitles"``, ``"speech"``, ``"ocr"``) for indexed videos
        that lack them (those under ``paths``, or all), without embedding their pictures
        again; later ``index`` runs keep extracting them. Returns each video's outcome per
        kind and the seconds spent per kind."""
        from vidseek.indexer.evidence import add_evidence, choose_kinds

        options = _with_kinds(options, kinds)
        library = self.library()
        wanted = options.evidence.kinds or ()
        choose_kinds(library.catalog, wanted, add=True)
        ids = None
        if paths is not None:
            ids = sorted({i for p in paths for i in _video_ids(library, Path(p))})
        return add_evidence(library.catalog, wanted, options, ids)

    def text_spans(self, video_id: int, kind: str | None = None) -> list[TextSpan]:
        """What was heard, subtitled and read on screen in one video, by time (``kind``:
        ``"speech"``, ``"subtitle"`` or ``"ocr"`` for one kind)."""
        self.library().video(video_id)
        return self.library().catalog.text_spans(video_id, kind)

    def evidence_status(self, video_id: int) -> dict[str, EvidenceStatus]:
        """Per kind of evidence: done or failed (with the reason), model, span count."""
        self.library().video(video_id)
        return self.library().catalog.evidence_status(video_id)

    def videos(self, status: str | None = None) -> list[VideoRecord]:
        """The library's videos (``status``: ``"indexed"`` or ``"failed"`` to filter)."""
        return self.library().videos(status=status)

    def remove(self, video_id: int) -> None:
        """Remove one video and its vectors from the library."""
        self.library().remove_video(video_id)
        self._searchers.clear()

    def close(self) -> None:
        """Save what is pending and release the library."""
        self._searchers.clear()
        if self._library is not None:
            self._library.close()
            self._library = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _options(k: int, filters: dict[str, object]) -> SearchOptions:
        from vidseek.search.filters import split_video_filter
        from vidseek.search.query import SearchOptions

        options, video_filter = split_video_filter(filters)
        return SearchOptions(k=k, video_filter=video_filter, **options)  # type: ignore[arg-type]


def open_library(
    path: str | os.PathLike[str] | None = None,
    *,
    model: str | None = None,
    catalog_url: str | None = None,
    notify: Callable[[str], None] | None = None,
    vector_store: str | None = None,
) -> Session:
    """Open (or create) the library at ``path`` for indexing and search.

    >>> with vidseek.open_library("my-library") as library:   # doctest: +SKIP
    ...     library.index(["~/Videos"])
    ...     for clip in library.search("a red circle", k=5):
    ...         print(clip.path, clip.start, clip.end, clip.score)
    """
    return Session(
        path, model=model, catalog_url=catalog_url, notify=notify, vector_store=vector_store
    )


__all__: Sequence[str] = ["Session", "default_home", "open_library", "resolve_model_spec"]


def _with_kinds(options: IndexOptions | None, kinds: Sequence[str]) -> IndexOptions:
    from dataclasses import replace

    from vidseek.indexer.evidence import parse_kinds
    from vidseek.indexer.options import IndexOptions

    options = options or IndexOptions()
    try:
        parsed = parse_kinds(",".join(kinds))
    except ValueError as exc:
        from vidseek.core.errors import QueryError

        raise QueryError(str(exc)) from exc
    return replace(options, evidence=replace(options.evidence, kinds=parsed))


def _video_ids(library: Library, path: Path) -> list[int]:
    """The videos at ``path``: a file's own row, or every row under a folder."""
    full = path.expanduser().absolute()
    if full.is_dir():
        return library.catalog.video_ids_under(str(full).rstrip(os.sep) + os.sep)
    record = library.catalog.find_by_path(str(full))
    return [record.id] if record is not None else []
