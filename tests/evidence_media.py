"""Test media for evidence: small videos with subtitle streams, spoken audio, rendered text."""

from __future__ import annotations

import shutil
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# What FFmpeg's text subtitle encoders need before they open (mov_text asks for it).
ASS_HEADER = (
    b"[Script Info]\r\nScriptType: v4.00+\r\nPlayResX: 384\r\nPlayResY: 288\r\n\r\n"
    b"[V4+ Styles]\r\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
    b"OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, "
    b"Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\r\n"
    b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0"
    b"\r\n\r\n[Events]\r\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, "
    b"Effect, Text\r\n"
)

# container suffix → (video codec, subtitle codec, packet payload of one cue's text)
SUBTITLE_CONTAINERS = {
    ".mkv": ("libx264", "subrip", lambda t: t.encode()),
    ".mp4": ("libx264", "mov_text", lambda t: struct.pack(">H", len(t.encode())) + t.encode()),
    ".webm": ("libvpx", "webvtt", lambda t: t.encode()),
}


def write_video(
    path: Path,
    frames: list[np.ndarray] | None = None,
    *,
    fps: int = 10,
    seconds: float = 3.0,
    audio: np.ndarray | None = None,
    audio_rate: int = 16000,
    subtitles: list[tuple[str | None, str, list[tuple[float, float, str]]]] = (),
) -> Path:
    """A small video: ``frames`` (RGB, one per 1/fps s; else grey), an optional mono float
    ``audio`` track, and subtitle streams ``(language, codec, cues)``; ``codec`` "default"
    picks the container's usual one (subrip in MKV, mov_text in MP4, webvtt in WebM)."""
    vcodec, default_scodec, _ = SUBTITLE_CONTAINERS.get(path.suffix, ("libx264", "", None))
    if frames is None:
        frames = [
            np.full((48, 64, 3), 60 + (5 * i) % 120, np.uint8) for i in range(int(seconds * fps))
        ]
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        video = out.add_stream(vcodec, rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        sound = None
        if audio is not None:
            sound = out.add_stream("aac" if path.suffix != ".webm" else "libopus", rate=48000)
            sound.layout = "mono"
        streams = []
        for language, codec, cues in subtitles:
            codec = default_scodec if codec == "default" else codec
            stream = out.add_stream(codec)
            stream.codec_context.subtitle_header = ASS_HEADER
            stream.time_base = Fraction(1, 1000)
            if language:
                stream.metadata["language"] = language
            streams.append((stream, codec, cues))
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if sound is not None:
            _mux_audio(out, sound, audio, audio_rate)
        for stream, codec, cues in streams:
            for start, end, text in cues:
                payload = _payload(codec, text)
                packet = av.Packet(payload)
                packet.stream = stream
                packet.time_base = Fraction(1, 1000)
                packet.pts = packet.dts = round(start * 1000)
                packet.duration = round((end - start) * 1000)
                out.mux(packet)
    return path


def _payload(codec: str, text: str) -> bytes:
    if codec == "mov_text":
        return struct.pack(">H", len(text.encode())) + text.encode()
    if codec == "ass":
        return ("0,0,Default,,0,0,0,," + text).encode()
    return text.encode()


def _mux_audio(
    out: av.container.OutputContainer, stream: object, audio: np.ndarray, rate: int
) -> None:
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=48000)
    samples = np.ascontiguousarray(audio.astype(np.float32).reshape(1, -1))
    frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
    frame.sample_rate = rate
    frame.pts = 0
    for piece in resampler.resample(frame) + resampler.resample(None):
        out.mux(stream.encode(piece))  # type: ignore[attr-defined]
    out.mux(stream.encode(None))  # type: ignore[attr-defined]


def speak(text: str, path: Path, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """``text`` spoken by espeak-ng, as float32 mono samples at 16 kHz."""
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
        chunks = []
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32)
