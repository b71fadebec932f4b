"""Speaking demo videos: the shapes world plus narration, on-screen text and subtitles.

Each scene (a coloured shape, as in ``demo/world.py``) gets one English sentence spoken by
espeak-ng (an AAC or Opus audio track), one sign or caption in one of the five languages
burned into the picture, and one subtitle cue per language timed to the sentence:
embedded as five subtitle streams (Matroska/WebM), written as sidecar files
(``name.en.srt``, ``name.de.vtt``, ...), or both. The ground truth goes to ``<path>.json``
as for ``write_video``, plus ``narration`` (sentences with each word's start and end),
``on_screen`` (texts with their time spans and boxes) and ``subtitles`` (cues per language).

Visual-only demo videos (``demo/render.py``) are untouched by this module.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vidseek.demo.render import _shape_mask
from vidseek.demo.script import Decks, english_sentence, other_sentence, sign_text
from vidseek.demo.signs import Sign, draw
from vidseek.demo.speech import Speech, speak
from vidseek.demo.subtitles import Cue, EmbeddedTracks, srt, webvtt
from vidseek.demo.world import LANGUAGES, RGB, Scene, random_scenes

CONTAINERS = {"mkv": ("matroska", "aac"), "webm": ("webm", "libopus")}
SIDECAR_FORMAT = {"en": "srt", "es": "srt", "de": "vtt", "fr": "vtt", "zh": "srt"}
LEAD_IN = 0.4  # seconds from a scene's start to its sentence's first word


@dataclass(frozen=True)
class SpokenLine:
    start: float
    end: float
    text: str
    words: list[tuple[float, float, str]]  # (start s, end s, word), times in the video

    def to_json(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "text": self.text,
                "words": [list(w) for w in self.words]}  # fmt: skip


def write_speaking_video(
    path: Path,
    scenes: list[Scene],
    *,
    decks: Decks,
    width: int = 1280,
    height: int = 720,
    fps: float = 10.0,
    subtitles: str = "both",
    sign_languages: tuple[str, ...] = LANGUAGES,
) -> dict[str, object]:
    """Write a speaking video for ``scenes`` to ``path`` (.mkv or .webm) and its ground truth
    to ``<path>.json``. ``subtitles``: "embedded", "sidecar", "both" or "none"."""
    path = Path(path)
    suffix = path.suffix.lstrip(".").lower()
    if suffix not in CONTAINERS or subtitles not in ("embedded", "sidecar", "both", "none"):
        raise ValueError(
            f"speaking videos are .mkv or .webm with subtitles embedded, sidecar, both or none; "
            f"not {path.name!r} with {subtitles!r}"
        )
    container, audio_codec = CONTAINERS[suffix]
    lines, voices, signs, cues = _script(scenes, decks, sign_languages)
    plates = [draw(s, width, height) for s in signs]
    signs = [placed for _, placed in plates]
    rate = 22050 if audio_codec == "aac" else 48000
    audio = _soundtrack(lines, voices, scenes[-1].end, rate)
    with av.open(str(path), "w", format=container) as out:
        video = out.add_stream("libx264" if container == "matroska" else "libvpx-vp9",
                               rate=Fraction(fps).limit_denominator(1001))  # fmt: skip
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if container == "matroska":
            video.options = {"preset": "ultrafast", "g": str(max(1, round(fps * 2)))}
        else:
            video.options = {"deadline": "realtime", "cpu-used": "8"}
        sound = out.add_stream(audio_codec, rate=rate)
        sound.layout = "mono"
        sound.metadata["language"] = "eng"
        tracks = EmbeddedTracks(out, webm=container == "webm")
        if subtitles in ("embedded", "both"):
            for lang in LANGUAGES:
                tracks.add(lang, cues[lang])
        painter = _Painter(scenes, width, height)
        frames = round(scenes[-1].end * fps)
        chunk = sound.codec_context.frame_size or 1024
        sent = 0
        for i in range(frames):
            t = i / fps
            picture = painter.frame(t)
            for plate, sign in plates:
                if sign.start <= t < sign.end:
                    x, y, w, h = sign.box
                    picture[y : y + h, x : x + w] = plate
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
            while sent < min(len(audio), round((t + 1 / fps) * rate)):
                sent = _mux_audio(out, sound, audio, sent, chunk)
        while sent < len(audio):
            sent = _mux_audio(out, sound, audio, sent, chunk)
        for stream in (video, sound):
            for packet in stream.encode():
                out.mux(packet)
        tracks.mux()
    sidecars = []
    if subtitles in ("sidecar", "both"):
        for lang in LANGUAGES:
            ext = SIDECAR_FORMAT[lang]
            side = path.with_name(f"{path.stem}.{lang}.{ext}")
            side.write_text(srt(cues[lang]) if ext == "srt" else webvtt(cues[lang]), "utf-8")
            sidecars.append(side.name)
    truth: dict[str, object] = {
        "path": path.name,
        "width": width,
        "height": height,
        "fps": fps,
        "duration": scenes[-1].end,
        "scenes": [s.to_json() for s in scenes],
        "narration": [line.to_json() for line in lines],
        "on_screen": [s.to_json() for s in signs],
        "subtitles": {lang: [c.to_json() for c in cues[lang]] for lang in LANGUAGES},
        "subtitle_streams": list(LANGUAGES) if subtitles in ("embedded", "both") else [],
        "subtitle_files": sidecars,
        "audio": {"codec": audio_codec, "sample_rate": rate, "voice": "espeak-ng en-us"},
    }
    Path(f"{path}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), "utf-8")
    return truth


def generate_speaking_library(
    folder: Path,
    n_videos: int,
    *,
    seed: int = 0,
    duration: tuple[float, float] = (20.0, 30.0),
    size: tuple[int, int] = (1280, 720),
    fps: float = 10.0,
    formats: tuple[str, ...] = ("mkv",),
) -> list[Path]:
    """``n_videos`` speaking videos in ``folder``: even ones carry their subtitles embedded,
    odd ones as sidecar files (so each video has one copy of each track)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    decks = Decks(random.Random(seed + 1))
    paths = []
    for i in range(n_videos):
        scenes = random_scenes(rng, round(rng.uniform(*duration), 1), min_len=5.5, max_len=8.0)
        path = folder / f"speaking_{seed}_{i:04d}.{formats[i % len(formats)]}"
        write_speaking_video(path, scenes, decks=decks, width=size[0], height=size[1], fps=fps,
                             subtitles="embedded" if i % 2 == 0 else "sidecar")  # fmt: skip
        paths.append(path)
    return paths


def _script(
    scenes: list[Scene], decks: Decks, sign_languages: tuple[str, ...]
) -> tuple[list[SpokenLine], list[Speech], list[Sign], dict[str, list[Cue]]]:
    lines: list[SpokenLine] = []
    voices: list[Speech] = []
    signs: list[Sign] = []
    cues: dict[str, list[Cue]] = {lang: [] for lang in LANGUAGES}
    for i, scene in enumerate(scenes):
        text = english_sentence(decks)
        speech = speak(text)
        start = round(scene.start + LEAD_IN, 3)
        if start + speech.duration > scene.end:  # rare: a long sentence in a short scene
            start = round(max(scene.start, scene.end - speech.duration), 3)
        words = [(round(start + a, 3), round(start + b, 3), w) for a, b, w in speech.words]
        end = words[-1][1] if words else round(start + speech.duration, 3)
        lines.append(SpokenLine(start, end, text, words))
        voices.append(speech)
        lang = sign_languages[i % len(sign_languages)]
        kind = "sign" if i % 2 == 0 else "caption"
        signs.append(Sign(scene.start, scene.end, sign_text(decks, lang), lang, kind))
        cues["en"].append(Cue(start, end, text))
        for other in LANGUAGES[1:]:
            cues[other].append(Cue(start, end, other_sentence(decks, other)))
    return lines, voices, signs, cues


def _soundtrack(
    lines: list[SpokenLine], voices: list[Speech], duration: float, rate: int
) -> np.ndarray:
    """The narration as one float32 mono track of ``duration`` seconds at ``rate``."""
    track = np.zeros(math.ceil(duration * rate), dtype=np.float32)
    for line, speech in zip(lines, voices, strict=True):
        samples = speech.samples.astype(np.float32) / 32768
        if speech.sample_rate != rate:
            n = round(len(samples) * rate / speech.sample_rate)
            samples = np.interp(np.linspace(0, len(samples) - 1, n), np.arange(len(samples)),
                                samples).astype(np.float32)  # fmt: skip
        at = round(line.start * rate)
        piece = samples[: max(0, len(track) - at)]
        track[at : at + len(piece)] += piece
    return track


def _mux_audio(out, stream, audio: np.ndarray, sent: int, chunk: int) -> int:
    piece = audio[sent : sent + chunk]
    if len(piece) < chunk:
        piece = np.pad(piece, (0, chunk - len(piece)))
    frame = av.AudioFrame.from_ndarray(piece[None, :], format="fltp", layout="mono")
    frame.sample_rate = stream.rate
    frame.pts = sent
    frame.time_base = Fraction(1, stream.rate)
    for packet in stream.encode(frame):
        out.mux(packet)
    return sent + chunk


class _Painter:
    """Frames of the shapes world, fast at 720p: each scene's shape is drawn once as a
    sprite and moved as ``demo.render.render_frame`` moves it (to the nearest pixel)."""

    def __init__(self, scenes: list[Scene], width: int, height: int) -> None:
        self.scenes, self.width, self.height = scenes, width, height
        side = min(width, height)
        self.r = 0.3 * side
        half = math.ceil(self.r) + 2
        yy, xx = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
        self.half = half
        self.masks = {s.shape: _shape_mask(s.shape, xx, yy, 0.0, 0.0, self.r) for s in scenes}

    def frame(self, t: float) -> np.ndarray:
        scene = next((s for s in self.scenes if t < s.end), self.scenes[-1])
        picture = np.empty((self.height, self.width, 3), dtype=np.uint8)
        picture[:] = RGB[scene.background]
        phase = (t - scene.start) / max(scene.end - scene.start, 1e-6)
        cx = round(self.width / 2 + (phase - 0.5) * 0.2 * self.width)
        cy = round(self.height / 2 + math.sin(phase * math.pi) * 0.08 * self.height)
        mask = self.masks[scene.shape]
        y0, x0 = cy - self.half, cx - self.half
        ys = slice(max(0, y0), min(self.height, y0 + mask.shape[0]))
        xs = slice(max(0, x0), min(self.width, x0 + mask.shape[1]))
        sub = mask[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
        picture[ys, xs][sub] = RGB[scene.color]
        return picture
