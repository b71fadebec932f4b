"""Text evidence of indexed videos: subtitles, speech and on-screen text, into the catalog.

Runs in the indexing job's writer, after a video's pictures are committed. Each kind stands
alone: its spans are committed in one transaction that also marks it ``done``, and a kind
that fails is recorded ``failed`` with the reason; the video's visual index is never touched.
A kind without a ``done`` row is extracted on the next run over the file, so a killed job,
a failure fixed since, or a kind asked for later (``vidseek index --add speech,ocr``) is
caught up without embedding frames again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from vidseek.core.catalog import Catalog
from vidseek.core.errors import (
    DecodeError,
    EvidenceError,
    LibraryError,
    VideoNotFound,
    VidseekError,
)
from vidseek.core.types import TextSpan
from vidseek.indexer.frames import Decoder
from vidseek.indexer.isolation import IsolatedDecoder
from vidseek.indexer.options import EvidenceOptions, IndexOptions

DEFAULT_KINDS = ("subtitle",)
ORDER = ("subtitle", "speech", "ocr")  # the cheap first
_META_KEY = "evidence_kinds"
_NAMES = {"speech": "speech", "subtitle": "subtitle", "subtitles": "subtitle", "ocr": "ocr"}
_OCR_BATCH = 8
_T = TypeVar("_T")
# What extraction raises about a file: ours (the readers wrap FFmpeg's, CTranslate2's and
# ONNX Runtime's errors in EvidenceError), OS errors, a library's RuntimeError or
# ValueError, a file too big for memory. Anything else (a job cancelled through its decoder,
# a bug) is not the file's fault and stops the job.
_FILE_FAILURES = (VidseekError, OSError, RuntimeError, ValueError, MemoryError)


def parse_kinds(text: str) -> tuple[str, ...]:
    """``"speech,subtitles,ocr"`` → ``("subtitle", "speech", "ocr")``; ``visual`` (always
    indexed) is accepted and ignored; ``none`` or ``visual`` alone → ``()``."""
    kinds = set()
    for word in (w.strip().lower() for w in text.split(",")):
        if word in ("", "visual", "none"):
            continue
        if word not in _NAMES:
            raise ValueError(
                f"unknown kind of evidence {word!r}: use speech, subtitles, ocr (or visual, none)"
            )
        kinds.add(_NAMES[word])
    return tuple(k for k in ORDER if k in kinds)


def library_kinds(catalog: Catalog) -> tuple[str, ...] | None:
    """The kinds the library was last indexed with (None: never said)."""
    raw = catalog.get_meta(_META_KEY)
    if raw is None:
        return None
    try:
        return tuple(k for k in ORDER if k in json.loads(raw))
    except (ValueError, TypeError):
        return None


def choose_kinds(
    catalog: Catalog, asked: tuple[str, ...] | None, add: bool = False
) -> tuple[str, ...]:
    """The kinds this job extracts: ``asked`` (remembered for the next job; with ``add``,
    joined to the remembered ones), else the remembered ones, else ``DEFAULT_KINDS``."""
    remembered = library_kinds(catalog)
    if asked is None:
        return remembered if remembered is not None else DEFAULT_KINDS
    before = remembered if remembered is not None else DEFAULT_KINDS
    kinds = set(asked) | set(before) if add else set(asked)
    chosen = tuple(k for k in ORDER if k in kinds)
    if chosen != remembered and not catalog.read_only:
        catalog.set_meta(_META_KEY, json.dumps(list(chosen)))
    return chosen


@dataclass(frozen=True)
class EvidenceOutcome:
    """One kind of evidence for one video in this job."""

    video_id: int
    path: str
    kind: str
    status: str  # "done" | "failed"
    spans: int = 0
    message: str = ""  # the failure, or what was wrong with part of the input
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "video_id": self.video_id, "path": self.path, "kind": self.kind,
            "status": self.status, "spans": self.spans, "message": self.message,
            "seconds": round(self.seconds, 3),
        }  # fmt: skip


class EvidenceRunner:
    """Extracts ``kinds`` for videos, one at a time, and commits each kind.

    The ASR model and the OCR engine are loaded on first use; a model that cannot be had
    (unknown name, no network) fails that kind for every video with the same reason."""

    def __init__(
        self,
        catalog: Catalog,
        kinds: Sequence[str],
        options: IndexOptions,
        decoder: Decoder | None = None,
    ) -> None:
        self.catalog = catalog
        self.kinds = tuple(kinds)
        self.options = options
        self.evidence: EvidenceOptions = options.evidence
        self.seconds = {kind: 0.0 for kind in self.kinds}
        self._decoder = decoder
        self._own_decoder: Decoder | None = None
        self._asr: object | None = None
        self._pending: dict[str, set[int]] | None = None

    def missing(self, video_id: int) -> list[str]:
        """The kinds of this job the video has no ``done`` run of."""
        if self._pending is None:
            self._pending = {k: set(self.catalog.videos_without_evidence(k)) for k in self.kinds}
        return [k for k in self.kinds if video_id in self._pending[k]]

    def run(
        self, video_id: int, path: Path, kinds: Sequence[str] | None = None
    ) -> list[EvidenceOutcome]:
        """Extract ``kinds`` (default: all of this job's) for one indexed video."""
        outcomes = []
        for kind in self.kinds if kinds is None else kinds:
            began = time.monotonic()
            outcome = self._one(video_id, path, kind)
            spent = time.monotonic() - began
            self.seconds[kind] = self.seconds.get(kind, 0.0) + spent
            if self._pending is not None:
                self._pending.get(kind, set()).discard(video_id)
            if outcome is not None:
                outcomes.append(replace(outcome, seconds=spent))
        return outcomes

    def _one(self, video_id: int, path: Path, kind: str) -> EvidenceOutcome | None:
        model = None
        try:
            spans, model, note = self._extract(kind, path)
            count = self.catalog.replace_text_spans(video_id, kind, spans, model, note or None)
            return EvidenceOutcome(video_id, str(path), kind, "done", count, note)
        except VideoNotFound:
            return None  # removed meanwhile (another process, a prune): nothing to record
        except LibraryError:
            raise  # the catalog itself is in trouble (full disk, damage): stop the job
        except _FILE_FAILURES as exc:  # this kind of this file failed, and nothing else
            reason = str(exc) if isinstance(exc, VidseekError) else f"{type(exc).__name__}: {exc}"
            try:
                self.catalog.record_evidence_failure(video_id, kind, reason, model)
            except VideoNotFound:
                return None
            return EvidenceOutcome(video_id, str(path), kind, "failed", 0, reason)

    def _extract(self, kind: str, path: Path) -> tuple[list[TextSpan], str | None, str]:
        if kind == "subtitle":
            return self._subtitles(path)
        if kind == "speech":
            return self._speech(path)
        if kind == "ocr":
            return self._ocr(path)
        raise ValueError(f"unknown kind of evidence {kind!r}")

    def _subtitles(self, path: Path) -> tuple[list[TextSpan], str | None, str]:
        from vidseek.core.errors import SubtitleError
        from vidseek.indexer.subtitles import extract_subtitles

        result = self._isolated("reading the subtitles", extract_subtitles, path)
        if result.failed:
            raise SubtitleError("; ".join(result.failures))
        sources = ",".join(result.sources) or None
        return result.spans, sources, "; ".join(result.failures + result.notes)

    def _speech(self, path: Path) -> tuple[list[TextSpan], str | None, str]:
        from vidseek.indexer.speech import AsrModel, read_audio, resolve_asr_model, transcribe

        if self._asr is None:
            try:
                self._asr = resolve_asr_model(self.evidence.asr_model)
            except VidseekError as exc:
                self._asr = exc
        if isinstance(self._asr, VidseekError):
            raise self._asr
        model: AsrModel = self._asr  # type: ignore[assignment]
        audio = self._isolated("reading the audio", read_audio, path)
        if audio is None:
            return [], model.label, "no audio track"
        try:
            spans = transcribe(audio, model, device=self.evidence.asr_device)
        except VidseekError:
            raise
        except Exception as exc:  # CTranslate2 / VAD failures: one clear line for this file
            raise EvidenceError(f"{path.name}: speech recognition failed: {exc}") from exc
        return spans, model.label, ""

    def _ocr(self, path: Path) -> tuple[list[TextSpan], str | None, str]:
        from vidseek.indexer.ocr import OCR_SOURCE, load_engine, ocr_frames

        engine = load_engine()
        decoder = self._frame_decoder()
        try:
            info = decoder.probe(path)
            spans, _ = ocr_frames(
                self._frames(decoder, path, info), info.duration, self.evidence.ocr, engine
            )
        except DecodeError as exc:
            raise DecodeError(f"the frames for on-screen text cannot be decoded: {exc}") from exc
        return spans, OCR_SOURCE, ""

    def _frames(self, decoder: Decoder, path: Path, info: object) -> Iterator[tuple[float, object]]:
        ocr = self.evidence.ocr
        short = min(ocr.short_side, min(info.width, info.height)) or None  # type: ignore[attr-defined]
        for batch in decoder.frames(path, ocr.fps, short, _OCR_BATCH):
            yield from zip((float(t) for t in batch.times), batch.images, strict=True)

    def _isolated(self, what: str, function: Callable[..., _T], *args: object) -> _T:
        """``function(*args)`` in the isolated worker (a file that hangs or crashes its
        reader costs that kind for that file, not the job); in this process when the job
        brought its own decoder (tests, in-process decoding)."""
        if self._decoder is not None:
            return function(*args)
        worker = self._frame_decoder()
        assert isinstance(worker, IsolatedDecoder)
        try:
            return worker.run(function, *args)
        except DecodeError as exc:  # the worker died, ran out of time or of memory
            raise EvidenceError(f"{what} failed: {exc}") from exc

    def _frame_decoder(self) -> Decoder:
        """The job's decoder when it was given one (tests), else an isolated worker that
        decodes reference frames only (OCR looks at 1 frame a second; being one frame late
        costs nothing, decoding half the frames saves much)."""
        if self._decoder is not None:
            return self._decoder
        if self._own_decoder is None:
            from vidseek.indexer.executors import isolated_default_decoder

            self._own_decoder = isolated_default_decoder(replace(self.options, fast_decode=True))
        return self._own_decoder

    def close(self) -> None:
        if self._own_decoder is not None:
            self._own_decoder.close()
            self._own_decoder = None


def add_evidence(
    catalog: Catalog,
    kinds: Sequence[str],
    options: IndexOptions,
    video_ids: Sequence[int] | None = None,
    on_outcome: Callable[[EvidenceOutcome], None] | None = None,
    decoder: Decoder | None = None,
) -> tuple[list[EvidenceOutcome], dict[str, float]]:
    """Extract ``kinds`` for indexed videos that lack them (all, or ``video_ids``), without
    decoding or embedding their pictures. Returns the outcomes and the seconds per kind."""
    runner = EvidenceRunner(catalog, kinds, options, decoder)
    outcomes: list[EvidenceOutcome] = []
    wanted = None if video_ids is None else set(video_ids)
    todo: dict[int, list[str]] = {}
    for kind in runner.kinds:
        for vid in catalog.videos_without_evidence(kind):
            if wanted is None or vid in wanted:
                todo.setdefault(vid, []).append(kind)
    try:
        for vid in sorted(todo):
            try:
                path = Path(catalog.video(vid).path)
            except VideoNotFound:
                continue
            for outcome in runner.run(vid, path, todo[vid]):
                outcomes.append(outcome)
                if on_outcome is not None:
                    on_outcome(outcome)
    finally:
        runner.close()
    return outcomes, runner.seconds
