"""The sampling and segmenting options shared by every command that indexes (index, eval)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from vidseek.indexer.options import IndexOptions
from vidseek.indexer.segment import SegmentOptions


def index_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --fps/--window/--stride/--shot-threshold/--timeout/--batch-size/--fast-decode/
    --gpu-decode to a click command and hand it one validated ``options: IndexOptions``."""

    @functools.wraps(command)
    def wrapper(
        *args: Any,
        fps: float,
        window: float,
        stride: float,
        shot_threshold: float,
        timeout: float,
        batch_size: int,
        fast_decode: bool,
        gpu_decode: bool,
        **kwargs: Any,
    ) -> Any:
        if fps <= 0 or window <= 0 or stride <= 0 or timeout <= 0:
            raise click.BadParameter("--fps, --window, --stride and --timeout must be positive")
        if gpu_decode:
            check_gpu_decoding()
        options = IndexOptions(
            fps=fps,
            segments=SegmentOptions(window=window, stride=stride, shot_threshold=shot_threshold),
            decode_timeout=timeout,
            batch_size=batch_size,
            fast_decode=fast_decode,
            gpu_decode=gpu_decode,
        )
        return command(*args, options=options, **kwargs)

    decorators = [
        click.option("--fps", default=1.0, show_default=True, help="Frames sampled per second."),
        click.option("--window", default=4.0, show_default=True, help="Segment length (s)."),
        click.option(
            "--stride", default=2.0, show_default=True, help="Seconds between segment starts."
        ),
        click.option(
            "--shot-threshold",
            default=0.85,
            show_default=True,
            help="Cut a new shot when consecutive frames' cosine similarity drops below this "
            "(-1: never cut).",
        ),
        click.option(
            "--timeout",
            default=600.0,
            show_default=True,
            help="Seconds before a stuck decode is killed.",
        ),  # fmt: skip
        click.option(
            "--batch-size",
            default=64,
            show_default=True,
            type=click.IntRange(min=1),
            help="Frames per encoder batch.",
        ),  # fmt: skip
        click.option(
            "--fast-decode",
            is_flag=True,
            help="Decode reference frames only (PyAV skip_frame=NONREF): ~2x faster decoding, "
            "each sampled frame may be up to one frame late (a B-frame run without B-pyramid).",
        ),
        click.option(
            "--gpu-decode",
            is_flag=True,
            help="Decode on the NVIDIA GPU (FFmpeg NVDEC through PyAV), the same frames as on "
            "the CPU; files the GPU cannot decode fall back to the CPU decoders. Faster than the "
            "CPU only with few cores per file at 1080p and above.",
        ),
    ]
    for decorator in reversed(decorators):
        wrapper = decorator(wrapper)
    return wrapper


def check_gpu_decoding() -> None:
    """``click.UsageError`` unless this machine can decode on an NVIDIA GPU."""
    from vidseek.indexer.decode_cuda import gpu_decoding_unavailable

    reason = gpu_decoding_unavailable()
    if reason:
        raise click.UsageError(f"--gpu-decode: {reason}")
