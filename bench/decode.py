"""Decode throughput at 1 fps sampling: decord vs PyAV vs PyAV skipping frames (vs NVDEC), one core.

    .venv/bin/python -m bench.decode [--seconds 60] [--cache /tmp/vidseek-bench] [--gpu]
        [--all-cores] [--methods pyav,pyav-cuda] [--clips '720p gop250,1080p gop250']

Frames/s = sampled frames delivered (RGB, short side 224, as the indexer asks) per wall
second; "video s/s" = seconds of video per wall second. PyAV ``skip_frame`` rows are a raw
loop (not ``PyAVDecoder``): ``NONREF`` drops frames nothing references (B-frames; x264
``veryfast`` uses them), ``NONKEY`` decodes keyframes only, so its frames come from other
times than the 1 fps slots — the "same frames" column says whether the output matches.
"pyav fast" is ``FastPyAVDecoder`` (``--fast-decode``): the NONREF loop plus the packet
bookkeeping that fills slots without reference frames from a normal decoder. "pyav-cuda"
(``--gpu``) is ``CudaPyAVDecoder`` (``--gpu-decode``): NVDEC decodes, the CPU converts the
sampled frames; "no threads" without FFmpeg's frame threads; their "same frames" also
compares pixels with "pyav". The "x" column compares with the first row. ``--all-cores``
drops the pinning.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import av
import numpy as np

from bench.common import best_of, pin_one_core, print_machine, table, write_clip
from vidseek.indexer.decode import DecordDecoder, PyAVDecoder, SlotSampler, _rgb
from vidseek.indexer.decode_fast import FastPyAVDecoder

SHORT_SIDE = 224


def run_decoder(decoder, path: Path) -> np.ndarray:
    return decoded(decoder, path)[0]


def decoded(decoder, path: Path) -> tuple[np.ndarray, np.ndarray]:
    batches = list(decoder.frames(path, 1.0, SHORT_SIDE, 64))
    return np.concatenate([b.times for b in batches]), np.concatenate([b.images for b in batches])


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
    parser.add_argument("--methods", help="comma-separated subset of the rows (default: all)")
    parser.add_argument("--gpu", action="store_true", help="add pyav-cuda (NVDEC) rows")
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    parser.add_argument("--clips", help="comma-separated subset, e.g. '720p gop250'")
    args = parser.parse_args()
    if not args.all_cores:
        pin_one_core()
    print_machine("(all cores)" if args.all_cores else "(pinned to 1 core)")
    args.cache.mkdir(parents=True, exist_ok=True)
    s = args.seconds
    specs = {  # clip -> (file name, width, height, keyframe interval)
        "480p gop250": ("480p_g250", 854, 480, 250),
        "720p gop250": ("720p_g250", 1280, 720, 250),
        "1080p gop250": ("1080p_g250", 1920, 1080, 250),
        "720p 1 keyframe": ("720p_glong", 1280, 720, 100_000),
    }
    if args.clips:
        specs = {c: specs[c] for c in args.clips.split(",")}
    clips = {clip: write_clip(args.cache / f"{name}_{s:g}.mp4", w, h, s, gop=gop)
             for clip, (name, w, h, gop) in specs.items()}  # fmt: skip
    methods = {
        "decord": lambda p: run_decoder(DecordDecoder(), p),
        "pyav": lambda p: run_decoder(PyAVDecoder(), p),
        "pyav fast": lambda p: run_decoder(FastPyAVDecoder(), p),
        "pyav NONREF": lambda p: run_skip(p, "NONREF"),
        "pyav NONKEY": lambda p: run_skip(p, "NONKEY"),
    }
    gpu_pixels = {}
    if args.gpu:
        from vidseek.indexer.decode_cuda import CudaPyAVDecoder

        gpu_pixels = {"pyav-cuda": CudaPyAVDecoder(),
                      "pyav-cuda no threads": CudaPyAVDecoder(threads=False)}  # fmt: skip
        for name, decoder in gpu_pixels.items():
            methods[name] = lambda p, decoder=decoder: run_decoder(decoder, p)
    if args.methods:
        methods = {m: methods[m] for m in args.methods.split(",")}
    rows = []
    for clip, path in clips.items():
        reference, reference_images = decoded(PyAVDecoder(), path)
        base = None
        for name, fn in methods.items():
            got = fn(path)
            same = (
                "yes"
                if len(got) == len(reference) and np.allclose(got, reference, atol=1e-3)
                else "NO"
            )
            if name in gpu_pixels and same == "yes":  # and are they the same pixels?
                images = decoded(gpu_pixels[name], path)[1]
                diff = np.abs(images.astype(np.int16) - reference_images.astype(np.int16)).max()
                same = f"yes, pixels within {diff}"
            shift = _max_shift(got, reference)
            wall = best_of(lambda fn=fn, path=path: fn(path), args.repeat)
            base = base or wall
            rows.append([clip, name, len(got), len(got) / wall, s / wall, base / wall, same,
                         shift])  # fmt: skip
    print(table(["clip", "decoder", "frames", "frames/s", "video s/s", "x first", "same frames",
                 "max shift s"],
                rows))  # fmt: skip


if __name__ == "__main__":
    main()
