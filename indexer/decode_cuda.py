"""GPU decoding: FFmpeg's NVDEC decoders through PyAV's ``hwaccel`` (decoder ``pyav-cuda``).

Sparse sampling still has to decode every frame of a long-GOP file, which on a CPU costs as
much as encoding the samples (bench/decode.py). Here the GPU decodes every frame; frames are
copied back to memory and only the sampled ones are converted to RGB on the CPU. The picks
are ``PyAVDecoder``'s, by the same rule on the same timestamps.

There is no silent software fallback inside this decoder: where NVDEC cannot decode a
stream (no usable CUDA device, a codec or profile the GPU lacks) it fails, and the chain of
``default_decoder`` carries on with the CPU decoders from the last frame delivered.
"""

from __future__ import annotations

from pathlib import Path

import av
from av.codec.hwaccel import HWAccel, hwdevices_available

from vidseek.core.errors import DecodeError
from vidseek.indexer.decode import SAFE_OPEN, PyAVDecoder, open_container


def cuda_decoding_built() -> bool:
    """Whether the installed PyAV's FFmpeg can decode on CUDA at all."""
    try:
        return "cuda" in hwdevices_available()
    except Exception:
        return False


class CudaPyAVDecoder(PyAVDecoder):
    """``PyAVDecoder`` with decoding on an NVIDIA GPU (``device``: its index, default 0)."""

    name = "pyav-cuda"

    def __init__(self, device: str | None = None, threads: bool = True) -> None:
        self.device = device
        # FFmpeg's frame threads keep several frames in flight on the one hardware decoder:
        # 1.15-1.25x on an H100 (bench/RESULTS.md), the same pixels
        self.threads = threads

    def _open(self, path: Path) -> av.container.InputContainer:
        # the file's own faults are reported exactly as the CPU decoders report them
        open_container(path).close()
        accel = HWAccel("cuda", device=self.device, allow_software_fallback=False)
        try:
            return av.open(
                str(path), metadata_errors="ignore", hwaccel=accel, container_options=SAFE_OPEN
            )
        except (OSError, av.error.FFmpegError) as e:
            raise DecodeError(f"CUDA decoding unavailable ({type(e).__name__}: {e})") from None

    def _configure(self, stream: av.video.stream.VideoStream) -> None:
        if self.threads:
            stream.thread_type = "AUTO"


def gpu_decoding_unavailable() -> str | None:
    """Why this machine cannot decode on an NVIDIA GPU, or None when it can."""
    if not cuda_decoding_built():
        return "the installed PyAV's FFmpeg has no CUDA support"
    import torch

    if not torch.cuda.is_available():
        return "it needs an NVIDIA GPU, and torch sees none here"
    return None
