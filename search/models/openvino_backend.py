"""Image tower on OpenVINO's CPU plugin, in float32."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np


class OpenVinoImages:
    """Exported image tower: float32 pixels (n, 3, h, w) → embeddings (n, dim), not normalised."""

    name = "openvino"

    def __init__(self, path: Path, threads: int) -> None:
        import openvino as ov

        core = ov.Core()
        config = {
            "PERFORMANCE_HINT": "LATENCY",  # one stream using every thread: one batch at a time
            "INFERENCE_NUM_THREADS": threads,
            # CPUs with bf16 support default to bf16, which drifts off the torch vectors
            "INFERENCE_PRECISION_HINT": "f32",
        }
        self._compiled = core.compile_model(core.read_model(str(path)), "CPU", config)
        self._request = self._compiled.create_infer_request()
        self._lock = threading.Lock()  # an infer request runs one inference at a time

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        with self._lock:
            return np.array(self._request.infer({0: pixels})[0], dtype=np.float32, copy=True)
