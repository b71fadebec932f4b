"""Subtitles as evidence: embedded text streams (SRT/ASS in MKV, mov_text in MP4, WebVTT in
WebM, read with PyAV) and sidecar files next to the video (``name.srt``, ``name.en.vtt``,
``name.de.ass``, read with pysubs2), each cue a ``TextSpan`` with its language where tagged.

Every source stands alone: one that cannot be read (binary data, not UTF-8, no cues) gives one
message naming it, and the others still count. Cues that make no sense are dropped or mended
with a message for that source (negative or backwards times); overlapping cues are kept (two
speakers at once is normal) and reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vidseek.core.errors import SubtitleError
from vidseek.core.types import TextSpan
from vidseek.indexer.languages import normalize_language

SIDECAR_FORMATS = {".srt": "srt", ".vtt": "vtt", ".ass": "ass", ".ssa": "ssa"}
TEXT_CODECS = {"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text"}
MAX_SIDECAR_BYTES = 20 * 1024 * 1024
_ASS_TAG = re.compile(r"\{[^}]*\}")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_NEGATIVE_TIME = re.compile(r"(^|[\s>])-\s*\d+[:.,]\d", re.MULTILINE)
_NO_DURATION_S = 5.0  # a cue without an end lasts until the next one, at most this long


@dataclass
class SubtitleResult:
    """All subtitle cues of one video, and what went wrong where."""

    spans: list[TextSpan] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # the sources read
    notes: list[str] = field(default_factory=list)  # problems mended or skipped, per source
    failures: list[str] = field(default_factory=list)  # sources that could not be read

    @property
    def failed(self) -> bool:
        """True when every source there was failed."""
        return bool(self.failures) and not self.sources


def extract_subtitles(video: Path, *, embedded: bool = True) -> SubtitleResult:
    """Read every embedded text subtitle stream of ``video`` and every sidecar next to it."""
    result = SubtitleResult()
    if embedded:
        try:
            for source, language, cues in _embedded_streams(video, result.notes):
                _add(result, source, language, cues, detected_negative=0)
        except SubtitleError as exc:
            result.failures.append(str(exc))
    for path in find_sidecars(video):
        try:
            language, cues, negative = read_sidecar(path, video.stem)
        except SubtitleError as exc:
            result.failures.append(str(exc))
            continue
        _add(result, f"sidecar:{path.name}", language, cues, detected_negative=negative)
    result.spans.sort(key=lambda s: (s.start, s.end))
    return result


def _add(
    result: SubtitleResult,
    source: str,
    language: str | None,
    cues: list[tuple[float, float, str]],
    detected_negative: int,
) -> None:
    spans, notes = clean_cues(cues, source, language)
    if detected_negative:
        notes.insert(0, f"{source}: {detected_negative} cue(s) with negative times skipped")
    result.sources.append(source)
    result.notes.extend(notes)
    result.spans.extend(spans)


# --- sidecars ------------------------------------------------------------------------------


def find_sidecars(video: Path) -> list[Path]:
    """Subtitle files beside ``video``: ``STEM.EXT`` or ``STEM.TAGS.EXT``, sorted by name."""
    stem = video.stem
    try:
        names = sorted(p for p in video.parent.iterdir() if p.name.startswith(stem + "."))
    except OSError:
        return []
    return [p for p in names if p.suffix.lower() in SIDECAR_FORMATS and p.is_file()]


def sidecar_language(video_stem: str, sidecar: Path) -> str | None:
    """``name.de.srt`` → ``de``; ``name.pt-BR.forced.vtt`` → ``pt``; ``name.srt`` → None."""
    middle = sidecar.name[len(video_stem) + 1 : -len(sidecar.suffix)]
    for part in middle.split(".") if middle else []:
        primary = re.split(r"[-_]", part)[0]
        if len(primary) == 2 or (len(primary) == 3 and normalize_language(part) != primary):
            return normalize_language(part)
    return None


def read_sidecar(
    path: Path, video_stem: str | None = None
) -> tuple[str | None, list[tuple[float, float, str]], int]:
    """(language, cues, cues with negative times skipped) of one subtitle file.
    Raises SubtitleError naming the file when it cannot be read as subtitles."""
    try:
        import pysubs2
    except ImportError as exc:
        raise SubtitleError(
            f"{path.name}: reading subtitle files needs pysubs2: pip install 'vidseek[subtitles]'"
        ) from exc

    try:
        if path.stat().st_size > MAX_SIDECAR_BYTES:
            raise SubtitleError(f"{path.name}: larger than {MAX_SIDECAR_BYTES >> 20} MB")
        raw = path.read_bytes()
    except OSError as exc:
        raise SubtitleError(f"{path.name}: cannot read: {exc.strerror or exc}") from exc
    text = decode_text(raw, path.name)
    fmt = SIDECAR_FORMATS[path.suffix.lower()]
    try:
        subs = pysubs2.SSAFile.from_string(text, format_=fmt)
    except Exception as exc:  # pysubs2 raises plain ValueErrors too
        raise SubtitleError(f"{path.name}: not a valid {fmt.upper()} file: {exc}") from exc
    events = [e for e in subs.events if not e.is_comment and not e.is_drawing]
    cues = [(e.start / 1000.0, e.end / 1000.0, e.plaintext) for e in events]
    negative = 0
    if fmt in ("srt", "vtt"):  # pysubs2 reads "-00:00:03,000" as +3 s: find those cues here
        timings = [bool(_NEGATIVE_TIME.search(x)) for x in text.splitlines() if "-->" in x]
        if len(timings) == len(events):
            negative = sum(timings)
            cues = [c for c, bad in zip(cues, timings, strict=True) if not bad]
    if not cues and not negative:
        raise SubtitleError(f"{path.name}: no subtitle cues found (not a {fmt.upper()} file?)")
    stem = video_stem if video_stem is not None else path.name.split(".")[0]
    return sidecar_language(stem, path), cues, negative


def decode_text(raw: bytes, name: str) -> str:
    """Bytes of a text subtitle file → str: UTF-8 (BOM or not), or UTF-16 with a BOM."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SubtitleError(f"{name}: broken UTF-16 text at byte {exc.start}") from exc
    head = raw[:4096]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    if b"\x00" in head or (head and controls / len(head) > 0.05):
        raise SubtitleError(f"{name}: binary data, not a subtitle text file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start]
        raise SubtitleError(
            f"{name}: not UTF-8 text (byte 0x{byte:02x} on line {line}); it is probably in a "
            "legacy encoding such as Latin-1 or CP1252: save it as UTF-8"
        ) from exc


# --- embedded streams ----------------------------------------------------------------------


def _embedded_streams(
    video: Path, notes: list[str]
) -> Iterator[tuple[str, str | None, list[tuple[float, float, str]]]]:
    """(source, language, cues) of each text subtitle stream in the container, all read in
    one pass over the file (demuxing only those streams: no video or audio is decoded)."""
    import av

    try:
        container = av.open(str(video))
    except (av.FFmpegError, OSError) as exc:
        raise SubtitleError(f"{video.name}: cannot open the container: {exc}") from exc
    with container:
        streams = []
        for stream in container.streams.subtitles:
            codec = stream.codec_context.name
            if codec in TEXT_CODECS:
                streams.append(stream)
            else:
                notes.append(f"stream:{stream.index}: {codec} subtitles are pictures; not read")
        if not streams:
            return
        raw: dict[int, list[tuple[float, float | None, str]]] = {s.index: [] for s in streams}
        broken: dict[int, str] = {}
        try:
            for packet in container.demux(*streams):
                index = packet.stream.index
                if packet.size == 0 or packet.pts is None or index in broken:
                    continue
                try:
                    raw[index].extend(_packet_cues(packet))
                except (av.FFmpegError, ValueError) as exc:
                    broken[index] = str(exc)
        except av.FFmpegError as exc:  # a damaged file: keep the cues read before the damage
            notes.append(f"{video.name}: reading stopped early: {exc}")
        for stream in streams:
            source = f"stream:{stream.index}"
            if stream.index in broken:
                notes.append(f"{source}: unreadable {stream.codec_context.name} stream: "
                             f"{broken[stream.index]}")  # fmt: skip
                continue
            language = normalize_language(stream.metadata.get("language"))
            yield source, language, _close_open_cues(raw[stream.index])


def _packet_cues(packet: object) -> list[tuple[float, float | None, str]]:
    tb = float(packet.time_base)  # type: ignore[attr-defined]
    start = packet.pts * tb  # type: ignore[attr-defined]
    duration = packet.duration  # type: ignore[attr-defined]
    end = start + duration * tb if duration else None
    out = []
    for sub in packet.decode():  # type: ignore[attr-defined]
        words = getattr(sub, "dialogue", b"") or getattr(sub, "text", b"")
        text = words.decode("utf-8", "replace") if isinstance(words, bytes) else str(words)
        out.append((start, end, clean_markup(text)))
    return out


def _close_open_cues(
    raw: list[tuple[float, float | None, str]],
) -> list[tuple[float, float, str]]:
    """A cue without a duration lasts until the next cue, at most ``_NO_DURATION_S``."""
    raw.sort(key=lambda c: c[0])
    cues = []
    for i, (start, end, text) in enumerate(raw):
        if end is None:
            following = raw[i + 1][0] if i + 1 < len(raw) else start + _NO_DURATION_S
            end = min(following, start + _NO_DURATION_S)
        cues.append((start, end, text))
    return cues


def clean_markup(text: str) -> str:
    """ASS override tags, HTML-ish tags and hard line breaks out; one line of text."""
    text = _ASS_TAG.sub("", text).replace("\\N", " ").replace("\\n", " ").replace("\\h", " ")
    return " ".join(_HTML_TAG.sub("", text).split())


# --- cue checks ----------------------------------------------------------------------------


def clean_cues(
    cues: list[tuple[float, float, str]], source: str, language: str | None
) -> tuple[list[TextSpan], list[str]]:
    """Cues → spans, with a message per kind of problem: a cue ending at or before 0 s or
    ending before it starts is dropped, one starting before 0 s starts at 0, overlaps stay."""
    spans: list[TextSpan] = []
    negative: list[int] = []
    backwards: list[int] = []
    clamped: list[int] = []
    for number, (start, end, text) in enumerate(cues, 1):
        text = " ".join(text.split())
        if not text:
            continue
        if end <= 0:
            negative.append(number)
            continue
        if end < start:
            backwards.append(number)
            continue
        if start < 0:
            clamped.append(number)
            start = 0.0
        spans.append(TextSpan("subtitle", start, end, text, language, source))
    spans.sort(key=lambda s: (s.start, s.end))
    overlaps = [i + 1 for i in range(1, len(spans)) if spans[i].start < spans[i - 1].end - 1e-3]
    notes = []
    for numbers, what in (
        (negative, "with negative times dropped"),
        (backwards, "ending before they start dropped"),
        (clamped, "starting before 0 s moved to 0 s"),
        (overlaps, "overlapping the cue before them kept"),
    ):
        if numbers:
            notes.append(f"{source}: {len(numbers)} cue(s) {what} (first: cue {numbers[0]})")
    return spans, notes
