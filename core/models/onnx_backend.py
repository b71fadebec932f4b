"""Image tower on ONNX Runtime (CPU execution provider)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class OnnxRuntimeImages:
    """Exported image tower: float32 pixels (n, 3, h, w) → embeddings (n, dim), not normalised."""

    name = "onnxruntime"

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def __call__(self, pixels: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: pixels})[0]
