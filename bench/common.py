"""Shared bench helpers: machine description, timing, table printing, test media."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def machine() -> str:
    """CPU model, cores visible to this process, memory, Python/torch/faiss versions."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"machine: {model}, {cores} cores visible, {mem:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def print_machine(extra: str = "") -> None:
    print(machine())
    print(f"load average: {os.getloadavg()}  {extra}".rstrip())
    print()


def demo_parser(doc: str | None, seed: int) -> argparse.ArgumentParser:
    """The options every demo-world bench takes: ``--model``, ``--seed`` and ``--json``."""
    raw = argparse.RawTextHelpFormatter
    parser = argparse.ArgumentParser(description=doc, formatter_class=raw)
    parser.add_argument("--model", default="vidseek-demo", help="model spec (default vidseek-demo)")
    parser.add_argument("--seed", type=int, default=seed, help=f"world seed (default {seed})")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def pin_one_core() -> None:
    """Restrict this process (and its decoder threads) to one CPU: per-core numbers."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Fastest wall time of ``repeat`` runs of ``fn`` (least disturbed by noise)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def rss_mib() -> float:
    """Peak resident set of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    sep = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(headers), sep, *(line(r) for r in cells)])


def _fmt(c: object) -> str:
    if isinstance(c, float):
        return f"{c:.3g}" if abs(c) < 100 else f"{c:.0f}"
    return str(c)


def write_clip(
    path: Path, width: int, height: int, seconds: float, *, fps: int = 25, gop: int = 250
) -> Path:
    """An H.264 clip (libx264 ``veryfast``, keyframe every ``gop`` frames) of a textured
    square drifting over textured backgrounds that change every 5 s; cached by file name.

    Cheaper to render than ``indexer.synthetic.render.write_video`` at 1080p (slicing, no
    per-pixel masks) while still giving the encoder texture and motion to code.
    """
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    texture = (texture // 4).astype(np.uint8)
    rate = Fraction(fps)
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "g": str(gop), "keyint_min": str(gop),
                          "sc_threshold": "0"}  # fmt: skip
        side = height // 3
        for i in range(round(seconds * fps)):
            scene = i // (5 * fps)
            frame = texture + np.uint8(40 * (scene % 5))
            x = (i * 4) % max(1, width - side)
            frame[side : 2 * side, x : x + side] = (200, 60 + 30 * (scene % 6), 40)
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts = i
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    tmp.rename(path)
    return path
