"""What `vidseek models list`, ``GET /models`` and ``vidseek.presets()`` report about each
preset: its data plus which backend would run it here. Imports neither torch nor open_clip.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from vidseek.core.models import backends
from vidseek.core.models.presets import Preset, list_presets


def preset_backends(preset: Preset, backend: str | None = None) -> dict[str, str]:
    """Which engine runs ``preset`` on this machine, for ``backend`` (None: as configured).

    ``text``: query texts (ONNX Runtime on the exported text tower when the tokenizer has a
    torch-free port and onnxruntime is installed, else torch). ``image_cpu``: frames when
    indexing on CPU (an accelerated backend falls back to torch if its export disagrees with
    torch); on a GPU frames always run on torch.
    """
    request = backends.requested(backend)
    onnx = importlib.util.find_spec("onnxruntime") is not None
    text = "torch" if request == "torch" or not onnx else preset.text_backend
    return {"text": text, "image_cpu": backends.choose(request, "cpu"), "image_gpu": "torch"}


def preset_rows(backend: str | None = None) -> list[dict[str, Any]]:
    """Every preset as a JSON object, with ``backends`` as ``preset_backends`` says."""
    return [p.to_json() | {"backends": preset_backends(p, backend)} for p in list_presets()]
