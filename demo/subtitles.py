"""Subtitle files of the speaking demo world: SRT and WebVTT text, and embedding them as
subtitle streams (Matroska: SubRip, WebM: WebVTT) by remuxing what FFmpeg's own subtitle
demuxers read from that text (PyAV cannot open the subtitle encoders)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av

# ISO 639-2/B codes, what Matroska and WebM store in a stream's "language" tag
ISO639_2 = {"en": "eng", "es": "spa", "de": "ger", "fr": "fre", "zh": "chi"}
NAMES = {"en": "English", "es": "Español", "de": "Deutsch", "fr": "Français", "zh": "中文"}


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str

    def to_json(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "text": self.text}


def _clock(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt(cues: list[Cue]) -> str:
    blocks = [
        f"{i}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n{c.text}\n"
        for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def webvtt(cues: list[Cue]) -> str:
    blocks = [f"{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n{c.text}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


class EmbeddedTracks:
    """Subtitle streams added to an output container being written: ``add`` one per
    language before the first packet is muxed, ``mux`` them all at the end."""

    def __init__(self, out: av.container.OutputContainer, webm: bool) -> None:
        self.out, self.webm = out, webm
        self._pending: list[tuple[av.container.InputContainer, av.stream.Stream]] = []

    def add(self, lang: str, cues: list[Cue]) -> None:
        text = webvtt(cues) if self.webm else srt(cues)
        source = av.open(io.BytesIO(text.encode("utf-8")), format="webvtt" if self.webm else "srt")
        stream = self.out.add_stream_from_template(source.streams.subtitles[0])
        stream.metadata["language"] = ISO639_2[lang]
        stream.metadata["title"] = NAMES[lang]
        self._pending.append((source, stream))

    def mux(self) -> None:
        for source, stream in self._pending:
            for packet in source.demux(source.streams.subtitles[0]):
                if packet.dts is None:  # the demuxer's end-of-stream marker
                    continue
                packet.stream = stream
                self.out.mux(packet)
            source.close()
        self._pending = []
