"""Decode throughput at 1 fps sampling: decord vs PyAV vs PyAV skipping frames, on one core.

    .venv/bin/python -m bench.decode [--seconds 60] [--cache /tmp/vidseek-bench]

Frames/s = sampled frames delivered (RGB, short side 224, as the indexer asks) per wall
second; "video s/s" = seconds of video per wall second. PyAV ``skip_frame`` rows are a raw
loop (not ``PyAVDecoder``): ``NONREF`` drops frames nothing references (B-frames; x264
``veryfast`` uses them), ``NONKEY`` decodes keyframes only, so its frames come from other
times than the 1 fps slots — the "same frames" column says whether the output matches.
"pyav fast" is ``FastPyAVDecoder`` (``--fast-decode``): the NONREF loop plus the packet
bookkeeping that fills slots without reference frames from a normal decoder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import numpy as np

from bench.common import best_of, pin_one_core, print_machine, table, write_clip
from indexer.decode import DecordDecoder, PyAVDecoder, SlotSampler, _rgb
from indexer.decode_fast import FastPyAVDecoder

SHORT_SIDE = 224


def run_decoder(decoder, path: Path) -> np.ndarray:
    times = [b.times for b in decoder.frames(path, 1.0, SHORT_SIDE, 64)]
    return np.concatenate(times)


def run_skip(path: Path, skip: str) -> np.ndarray:
    """PyAV with ``codec_context.skip_frame = skip``; sampled like ``PyAVDecoder``."""
    sampler, times = SlotSampler(1.0), []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.skip_frame = skip
        for frame in container.decode(stream):
            if frame.time is not None and sampler.keep(frame.time):
                _rgb(frame, SHORT_SIDE)
                times.append(frame.time)
    return np.array(times)


def _max_shift(got: np.ndarray, reference: np.ndarray) -> float:
    """Largest distance from a reference frame time to the nearest delivered frame time."""
    if not len(got):
        return float("inf")
    return float(np.abs(reference[:, None] - got[None, :]).min(axis=1).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/vidseek-bench"))
    args = parser.parse_args()
    pin_one_core()
    print_machine("(pinned to 1 core)")
    args.cache.mkdir(parents=True, exist_ok=True)
    s = args.seconds
    clips = {
        "480p gop250": write_clip(args.cache / f"480p_g250_{s:g}.mp4", 854, 480, s),
        "720p gop250": write_clip(args.cache / f"720p_g250_{s:g}.mp4", 1280, 720, s),
        "1080p gop250": write_clip(args.cache / f"1080p_g250_{s:g}.mp4", 1920, 1080, s),
        "720p 1 keyframe": write_clip(
            args.cache / f"720p_glong_{s:g}.mp4", 1280, 720, s, gop=100_000
        ),
    }
    methods = {
        "decord": lambda p: run_decoder(DecordDecoder(), p),
        "pyav": lambda p: run_decoder(PyAVDecoder(), p),
        "pyav fast": lambda p: run_decoder(FastPyAVDecoder(), p),
        "pyav NONREF": lambda p: run_skip(p, "NONREF"),
        "pyav NONKEY": lambda p: run_skip(p, "NONKEY"),
    }
    rows = []
    for clip, path in clips.items():
        reference = run_decoder(PyAVDecoder(), path)
        base = None
        for name, fn in methods.items():
            got = fn(path)
            same = len(got) == len(reference) and np.allclose(got, reference, atol=1e-3)
            shift = _max_shift(got, reference)
            wall = best_of(lambda fn=fn, path=path: fn(path), args.repeat)
            base = base or wall
            rows.append([clip, name, len(got), len(got) / wall, s / wall, base / wall,
                         "yes" if same else "NO", shift])  # fmt: skip
    print(table(["clip", "decoder", "frames", "frames/s", "video s/s", "x decord", "same frames",
                 "max shift s"],
                rows))  # fmt: skip


if __name__ == "__main__":
    main()
