"""Readers for retrieval annotation files: which text describes which video (or moment).

Formats (see docs/EVAL.md):

- ``msrvtt-csv``: MSR-VTT 1k-A test CSV, columns ``key,vid_key,video_id,sentence``
  (CLIP4Clip's ``MSRVTT_JSFUSION_test.csv``); an optional ``lang`` column is honoured.
- ``msrvtt-json``: ``MSRVTT_data.json``, ``{"sentences": [{"video_id", "caption"}, ...]}``.
- ``charades``: Charades-STA ``VIDEO_ID START END##sentence``, one moment per line.
- ``jsonl``: one object per line, ``{"video", "text", "lang"?}`` for a caption or
  ``{"video", "start", "end", "text", "lang"?}`` for a moment; both kinds may be mixed.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from vidseek.core.errors import QueryError

FORMATS = ("msrvtt-csv", "msrvtt-json", "charades", "jsonl")


@dataclass(frozen=True)
class Caption:
    """A text describing a whole video (video retrieval)."""

    video: str  # video id or file name, resolved against the videos folder by stem
    text: str
    lang: str | None = None


@dataclass(frozen=True)
class AnnotatedMoment:
    """A text describing the span ``start``–``end`` seconds of a video (moment retrieval)."""

    video: str
    start: float
    end: float
    text: str
    lang: str | None = None


@dataclass
class Annotations:
    format: str
    captions: list[Caption] = field(default_factory=list)
    moments: list[AnnotatedMoment] = field(default_factory=list)

    @property
    def video_keys(self) -> list[str]:
        """Every video mentioned, in first-mention order."""
        keys = [c.video for c in self.captions] + [m.video for m in self.moments]
        return list(dict.fromkeys(keys))


class AnnotationError(QueryError):
    """An annotation file is unreadable or not in the format it claims to be."""


def detect_format(path: Path) -> str:
    """The format implied by the file name: .csv, .json, .jsonl/.ndjson, .txt."""
    suffix = path.suffix.lower()
    by_suffix = {".csv": "msrvtt-csv", ".json": "msrvtt-json", ".jsonl": "jsonl",
                 ".ndjson": "jsonl", ".txt": "charades"}  # fmt: skip
    if suffix not in by_suffix:
        raise AnnotationError(
            f"cannot tell the format of {path.name} from its extension; pass --format "
            f"({', '.join(FORMATS)})"
        )
    return by_suffix[suffix]


def read_annotations(path: str | Path, fmt: str | None = None) -> Annotations:
    """Read ``path`` in ``fmt`` (detected from the extension when None)."""
    path = Path(path)
    fmt = fmt or detect_format(path)
    readers = {"msrvtt-csv": read_msrvtt_csv, "msrvtt-json": read_msrvtt_json,
               "charades": read_charades_sta, "jsonl": read_jsonl}  # fmt: skip
    if fmt not in readers:
        raise AnnotationError(f"unknown annotation format {fmt!r}; one of {', '.join(FORMATS)}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise AnnotationError(f"cannot read {path}: {exc.strerror or exc}") from exc
    annotations = readers[fmt](text)
    if not annotations.captions and not annotations.moments:
        raise AnnotationError(f"{path} holds no annotations (read as {fmt})")
    return annotations


def read_msrvtt_csv(text: str) -> Annotations:
    rows = csv.DictReader(text.splitlines())
    missing = {"video_id", "sentence"} - set(rows.fieldnames or ())
    if missing:
        raise AnnotationError(f"MSR-VTT CSV lacks column(s) {', '.join(sorted(missing))}")
    captions = [
        Caption(row["video_id"].strip(), row["sentence"].strip(), _lang(row.get("lang")))
        for row in rows
        if (row.get("sentence") or "").strip()
    ]
    return Annotations("msrvtt-csv", captions=captions)


def read_msrvtt_json(text: str) -> Annotations:
    try:
        data = json.loads(text)
        sentences = data["sentences"]
        captions = [
            Caption(str(s["video_id"]), s["caption"].strip(), _lang(s.get("lang")))
            for s in sentences
            if s["caption"].strip()
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AnnotationError(
            f'not MSR-VTT JSON ({{"sentences": [{{"video_id", "caption"}}]}}): {exc}'
        ) from exc
    return Annotations("msrvtt-json", captions=captions)


def read_charades_sta(text: str) -> Annotations:
    moments = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        head, sep, sentence = line.partition("##")
        parts = head.split()
        if not sep or len(parts) != 3:
            raise AnnotationError(f"line {number}: expected 'VIDEO_ID START END##sentence'")
        moments.append(_moment(parts[0], parts[1], parts[2], sentence.strip(), None, number))
    return Annotations("charades", moments=moments)


def read_jsonl(text: str) -> Annotations:
    out = Annotations("jsonl")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            video, sentence = str(row["video"]), str(row["text"]).strip()
        except (ValueError, KeyError, TypeError) as exc:
            raise AnnotationError(
                f"line {number}: expected a JSON object with video and text"
            ) from exc
        if not sentence:
            raise AnnotationError(f"line {number}: the text is empty")
        lang = _lang(row.get("lang"))
        if "start" in row or "end" in row:
            out.moments.append(
                _moment(video, row.get("start"), row.get("end"), sentence, lang, number)
            )
        else:
            out.captions.append(Caption(video, sentence, lang))
    return out


def _moment(video: str, start, end, text: str, lang: str | None, number: int) -> AnnotatedMoment:
    try:
        s, e = float(start), float(end)
    except (TypeError, ValueError) as exc:
        raise AnnotationError(f"line {number}: start and end must be numbers of seconds") from exc
    if not 0 <= s < e:
        raise AnnotationError(f"line {number}: need 0 <= start < end, got {s} and {e}")
    return AnnotatedMoment(video, s, e, text, lang)


def _lang(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
