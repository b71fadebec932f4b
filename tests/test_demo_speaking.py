"""The speaking demo world: narration with word times, on-screen text, subtitles in five
languages (embedded and sidecar), and a ground truth that matches the file."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import av
import numpy as np
import pytest

from vidseek.demo.script import Decks
from vidseek.demo.speaking import write_speaking_video
from vidseek.demo.speech import speak
from vidseek.demo.world import LANGUAGES, Scene

W, H, FPS = 480, 270, 5.0


def test_espeak_gives_each_word_a_start_in_order() -> None:
    text = "The quiet baker polished a rusty trumpet beside the canal."
    speech = speak(text)
    assert speech.sample_rate > 8000 and 2.0 < speech.duration < 6.0
    assert [w for _, _, w in speech.words] == text.rstrip(".").split()
    starts = [s for s, _, _ in speech.words]
    assert starts == sorted(starts) and starts[-1] > 1.0
    assert all(s <= e <= speech.duration + 0.05 for s, e, _ in speech.words)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("speaking") / "talk.mkv"
    scenes = [Scene(0.0, 6.5, "circle", "red", "blue"), Scene(6.5, 13.0, "star", "white", "black")]
    truth = write_speaking_video(
        path, scenes, decks=Decks(random.Random(3)), width=W, height=H, fps=FPS,
        subtitles="both", sign_languages=("zh", "de"),
    )  # fmt: skip
    return path, truth


def test_ground_truth_file_describes_the_video(video: tuple[Path, dict]) -> None:
    path, truth = video
    assert json.loads(Path(f"{path}.json").read_text("utf-8")) == truth
    assert len(truth["narration"]) == 2 and len(truth["on_screen"]) == 2
    for line, scene in zip(truth["narration"], truth["scenes"], strict=True):
        assert scene["start"] <= line["start"] < line["end"] <= scene["end"]
        assert " ".join(w[2] for w in line["words"]) == line["text"].rstrip(".")
        assert line["words"][0][0] == line["start"]
    assert [s["language"] for s in truth["on_screen"]] == ["zh", "de"]
    assert all(len(truth["subtitles"][lang]) == 2 for lang in LANGUAGES)
    assert truth["subtitle_files"] == [
        "talk.en.srt", "talk.es.srt", "talk.de.vtt", "talk.fr.vtt", "talk.zh.srt"
    ]  # fmt: skip


def test_audio_is_loud_exactly_while_a_sentence_is_said(video: tuple[Path, dict]) -> None:
    path, truth = video
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        assert stream.metadata.get("language") == "eng"
        rate = stream.rate
        samples = np.concatenate([f.to_ndarray().mean(axis=0) for f in container.decode(stream)])
    lines = truth["narration"]

    def rms(a: float, b: float) -> float:
        piece = samples[round(a * rate) : round(b * rate)]
        return float(np.sqrt(np.mean(piece**2)))

    for line in lines:
        assert rms(line["start"], line["end"]) > 0.02
    gap = (lines[0]["end"] + 0.15, lines[1]["start"] - 0.05)
    assert gap[1] - gap[0] > 0.5 and rms(*gap) < 0.002
    assert rms(0.0, lines[0]["start"] - 0.05) < 0.002


def test_subtitle_streams_carry_every_language_and_cue(video: tuple[Path, dict]) -> None:
    path, truth = video
    expected = {"eng": "en", "spa": "es", "ger": "de", "fre": "fr", "chi": "zh"}
    with av.open(str(path)) as container:
        streams = container.streams.subtitles
        assert sorted(s.metadata["language"] for s in streams) == sorted(expected)
        for stream in streams:
            lang = expected[stream.metadata["language"]]
            got = [
                (round(float(p.pts * p.time_base), 3), bytes(p).decode("utf-8"))
                for p in container.demux(stream)
                if p.size
            ]
            container.seek(0)
            assert got == [(c["start"], c["text"]) for c in truth["subtitles"][lang]]
    for name in truth["subtitle_files"]:
        text = (path.parent / name).read_text("utf-8")
        lang = name.split(".")[1]
        assert all(c["text"] in text for c in truth["subtitles"][lang])
    assert (path.parent / "talk.de.vtt").read_text("utf-8").startswith("WEBVTT")


def test_signs_are_burned_in_only_during_their_span(video: tuple[Path, dict]) -> None:
    path, truth = video
    with av.open(str(path)) as container:
        decoded = [(f.time, f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]

    def at(t: float) -> np.ndarray:
        return min(decoded, key=lambda tf: abs(tf[0] - t))[1]

    for sign in truth["on_screen"]:
        x, y, w, h = sign["box"]
        assert w > 20 and h > 10 and x + w <= W and y + h <= H
        inside = at(sign["start"] + 1.0)[y : y + h, x : x + w].reshape(-1, 3)
        light = (inside.min(axis=1) > 200).mean()  # the letters
        assert 0.02 < light < 0.6
        fill = np.array((25, 60, 40) if sign["kind"] == "sign" else (10, 10, 10))
        assert (np.abs(inside.astype(int) - fill).sum(axis=1) < 30).mean() > 0.4  # the plate
    x, y, w, h = truth["on_screen"][0]["box"]
    later = at(truth["on_screen"][1]["start"] + 1.0)[y : y + h, x : x + w]
    first_plate = at(1.0)[y : y + h, x : x + w]
    assert np.abs(later.astype(int) - first_plate).mean() > 20


SPOKEN = re.compile(r"^\[spoken\] '(?P<text>.+)'   \(said in (?P<video>\S+) at (?P<at>[\d:.]+)\)$")
SPAN = r"(?P<start>[\d:.]+)-(?P<end>[\d:.]+)"
SHOWN = re.compile(rf"^\[on screen\] '(?P<text>.+)'   \(shown in (?P<video>\S+) {SPAN}\)$")
TOP = re.compile(rf"^  1\. \d\.\d{{3}}  {SPAN}  (?P<video>\S+)  (?P<kind>\w+): ")


def test_vidseek_demo_finds_a_spoken_phrase_and_a_sign(tmp_path: Path) -> None:
    from tests.test_demo_command import seconds, vidseek

    run = vidseek("--library", str(tmp_path), "demo", "--videos", "1", "--speaking", "1")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    spoken = next(i for i, line in enumerate(lines) if SPOKEN.match(line))
    shown = next(i for i, line in enumerate(lines) if SHOWN.match(line))
    query, top = SPOKEN.match(lines[spoken]), TOP.match(lines[spoken + 1])
    assert query and top and top["kind"] == "speech", lines[spoken : spoken + 2]
    assert top["video"] == query["video"]
    assert abs(seconds(top["start"]) - seconds(query["at"])) <= 1.0
    query, top = SHOWN.match(lines[shown]), TOP.match(lines[shown + 1])
    assert query and top and top["kind"] == "ocr", lines[shown : shown + 2]
    assert top["video"] == query["video"]
    assert seconds(query["start"]) - 1e-6 <= seconds(top["start"]) <= seconds(query["end"])


def test_the_same_seed_gives_the_same_world(tmp_path: Path) -> None:
    from vidseek.demo.speaking import generate_speaking_library

    def world(folder: Path) -> list[dict]:
        paths = generate_speaking_library(folder, 2, seed=4, size=(320, 180), fps=2.0,
                                          duration=(6.0, 6.0))  # fmt: skip
        return [json.loads(Path(f"{p}.json").read_text("utf-8")) for p in paths]

    first, again = world(tmp_path / "a"), world(tmp_path / "b")
    assert _texts(first) == _texts(again)  # espeak-ng's word events may move by a millisecond
    np.testing.assert_allclose(_times(first), _times(again), atol=0.01)
    assert first[0]["subtitle_streams"] and not first[0]["subtitle_files"]  # even: embedded
    assert first[1]["subtitle_files"] and not first[1]["subtitle_streams"]  # odd: sidecars
    assert first[0]["narration"][0]["text"] != first[1]["narration"][0]["text"]


def _texts(value: object) -> object:
    if isinstance(value, dict):
        return {k: _texts(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_texts(v) for v in value]
    return None if isinstance(value, float) else value


def _times(value: object) -> list[float]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _times(v)]
    if isinstance(value, list):
        return [t for v in value for t in _times(v)]
    return [value] if isinstance(value, float) else []
