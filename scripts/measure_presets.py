"""Measure every preset's size and image cost on a random-weight build (no download).

    .venv/bin/python scripts/measure_presets.py            # JSON, one object per preset
    .venv/bin/python scripts/measure_presets.py --check    # exit 1 if presets.py disagrees

Parameters are counted and the image tower's FLOPs traced (torch.utils.flop_counter, one
image at the model's size, halved to count one per multiply-add as open_clip's
model_profile table does) on the ``meta`` device, so even the 1.9B-parameter preset takes
seconds and no memory. The numbers go into ``core/models/presets.py`` by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def measure(preset) -> dict:
    from vidseek.core.models.preset_archs import (
        architecture,
        build_random,
        image_forward,
        image_gflops,
        query_context,
        tower_params,
    )

    arch = architecture(preset)
    model = build_random(arch, device="meta")
    context = query_context(arch)
    image, rest = tower_params(model)
    size = model.visual.preprocess_cfg["size"]
    return {
        "name": preset.name,
        "params": image + rest,
        "image_params": image,
        "image_gflops": round(image_gflops(model), 3),
        "embed_dim": int(image_forward(model).shape[-1]),
        "image_size": int(size if isinstance(size, int) else max(size)),
        "context_length": context,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with presets.py")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from vidseek.core.models.presets import list_presets

    bad = 0
    for preset in list_presets():
        got = measure(preset)
        print(json.dumps(got), flush=True)
        if args.check:
            for key in ("params", "image_params", "embed_dim", "image_size", "context_length"):
                if got[key] != getattr(preset, key):
                    print(f"  {preset.name}.{key}: stored {getattr(preset, key)}", file=sys.stderr)
                    bad += 1
            if abs(got["image_gflops"] - preset.image_gflops) > 0.01 * got["image_gflops"]:
                stored = preset.image_gflops
                print(f"  {preset.name}.image_gflops: stored {stored}", file=sys.stderr)
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
