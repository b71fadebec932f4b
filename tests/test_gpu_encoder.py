"""On an NVIDIA GPU: the encoder (float16 autocast) gives the CPU's vectors, and a library
indexed there, decoding on the GPU too, answers like one indexed on the CPU.

Only where torch sees a GPU (run on a GPU machine); CPU runs test the same code paths'
plumbing in test_gpu_decode.py and test_ivf_torch.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import DEMO_SCENES
from vidseek.core.library import Library
from vidseek.core.models import load_encoder
from vidseek.demo.render import render_frame
from vidseek.indexer.options import IndexOptions
from vidseek.indexer.pipeline import index_paths
from vidseek.search.query import Searcher, SearchOptions

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU")

QUERIES = [
    "a red circle on a blue background",
    "a yellow star on black",
    "ein grünes Quadrat auf weißem Hintergrund",
    "un triangle violet sur fond orange",
]


def test_gpu_vectors_match_the_cpu_vectors():
    gpu = load_encoder("vidseek-demo", device="cuda")
    cpu = load_encoder("vidseek-demo", device="cpu", backend="torch")
    assert gpu.half and gpu.backend == "torch"
    frames = [render_frame(s, s.start + dt, 320, 240)
              for scenes in DEMO_SCENES for s in scenes for dt in (0.5, 2.0)]  # fmt: skip
    for a, b in ((gpu.encode_images(frames), cpu.encode_images(frames)),
                 (gpu.encode_texts(QUERIES), cpu.encode_texts(QUERIES))):  # fmt: skip
        assert a.dtype == np.float32
        assert (a * b).sum(axis=1).min() >= 0.999


def index(folder: Path, home: Path, device: str, gpu_decode: bool) -> list:
    """The best clip (file name, start, end) of each query, and the decoders the videos had."""
    encoder = load_encoder("vidseek-demo", device=device)
    with Library.open(home) as library:
        options = IndexOptions(gpu_decode=gpu_decode)
        report = index_paths(library, encoder, [folder], options=options)
        assert len(report.of("indexed")) == len(DEMO_SCENES), report.outcomes
        searcher = Searcher(library, encoder)
        best = [searcher.search_text(q, SearchOptions(k=1))[0] for q in QUERIES]
        found: list = [(Path(c.path).name, round(c.start, 2), round(c.end, 2)) for c in best]
        found.append(sorted({v.backend for v in library.videos()}))
    return found


def test_library_indexed_on_the_gpu_answers_like_the_cpu(demo_videos, tmp_path):
    on_gpu = index(demo_videos, tmp_path / "gpu", "cuda", gpu_decode=True)
    on_cpu = index(demo_videos, tmp_path / "cpu", "cpu", gpu_decode=False)
    assert on_gpu[-1] == ["pyav-cuda"]
    assert on_gpu[:-1] == on_cpu[:-1]
