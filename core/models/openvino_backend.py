"""Image tower on OpenVINO's CPU plugin, in float32."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np


def precisions() -> tuple[str, ...]:
    """Inference precisions to try, fastest first: bf16 where the CPU computes it natively
    (2x float32 on AVX512-BF16, embeddings within cosine 0.9999 of torch in bench/encode.py),
    then f32. The caller keeps the first that passes its check against torch."""
    import openvino as ov

    caps = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return ("bf16", "f32") if "BF16" in caps else ("f32",)


class OpenVinoImages:
    """Exported image tower: float32 pixels (n, 3, h, w) → embeddings (n, dim), not normalised."""

    name = "openvino"

    def __init__(self, path: Path, threads: int, precision: str = "f32") -> None:
        import openvino as ov

        core = ov.Core()
        self.precision = precision
        config = {
            "PERFORMANCE_HINT": "LATENCY",  # one stream using every thread: one batch at a time
            "INFERENCE_NUM_THREADS": threads,
            # explicit: the CPU plugin's default depends on the CPU
            "INFERENCE_PRECISION_HINT": precision,
        }
        self._compiled = core.compile_model(core.read_model(str(path)), "CPU", config)
        self._request = self._compiled.create_infer_request()
        self._lock = threading.Lock()  # an infer request runs one inference at a time

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        with self._lock:
            return np.array(self._request.infer({0: pixels})[0], dtype=np.float32, copy=True)
