"""Frame by frame: which shape+colour does the demo model read in single frames of the second,
independent renderer (tests/second_renderer.py), and at what shape size does it fail?

    .venv/bin/python -m bench.demo_frames [--frames 1500] [--seed 123] [--model M] [--json]

Each frame goes through ``encode_images`` (the model's own preprocessing) and is read as the
best of the 32 English shape+colour captions. Accuracy is broken down by the shape's height in
pixels of the model's input (after letterboxing or squashing), by shape and by frame size, with
the commonest confusions. Scene-level R@1 (``bench.demo_generalization``) has 22–32 queries
per world, so one query moves it by 3–5 points; this has ~1,500 frames, so it shows what a
training change does to small shapes long before R@1 can.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import demo_parser, print_machine  # noqa: E402
from tests.second_renderer import Still, still_frames  # noqa: E402
from vidseek.core.models import load_encoder  # noqa: E402
from vidseek.demo.world import COLORS, SHAPES, describe  # noqa: E402

BUCKET_PX = 3  # width of the shape-height buckets


def input_height(still: Still, image_size: int, resize_mode: str) -> float:
    """The shape's height in pixels of the model's square input."""
    height, width = still.rgb.shape[:2]
    if resize_mode == "squash":
        return still.shape_height_px * image_size / height
    if resize_mode == "longest":
        return still.shape_height_px * image_size / max(height, width)
    return still.shape_height_px * image_size / min(height, width)  # shortest: centre crop


def run(model: str, n_frames: int, seed: int) -> dict:
    encoder = load_encoder(model)
    pairs = [(s, c) for s in SHAPES for c in COLORS]
    texts = encoder.encode_texts([describe(s, c, None, "en") for s, c in pairs])
    stills = still_frames(seed, n_frames)
    size, mode = encoder.identity.image_size, encoder.preprocess_cfg.get("resize_mode", "shortest")
    tally: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    confusions: Counter[str] = Counter()
    for frame_size in sorted({s.rgb.shape for s in stills}):
        group = [s for s in stills if s.rgb.shape == frame_size]
        best = (encoder.encode_images(np.stack([s.rgb for s in group])) @ texts.T).argmax(1)
        for still, b in zip(group, best, strict=True):
            truth, got = (still.scene.shape, still.scene.color), pairs[int(b)]
            lo = int(input_height(still, size, mode) // BUCKET_PX) * BUCKET_PX
            keys = {
                "input_px": f"{lo:02d}-{lo + BUCKET_PX:02d}",
                "shape": truth[0],
                "frame": f"{frame_size[1]}x{frame_size[0]}",
                "all": "all",
            }
            for kind, key in keys.items():
                tally[kind][key][0] += got == truth
                tally[kind][key][1] += 1
            if got != truth:
                confusions[f"{' '.join(truth)} -> {' '.join(got)}"] += 1
    accuracy = {
        kind: {k: {"accuracy": round(r / n, 3), "frames": n} for k, (r, n) in sorted(t.items())}
        for kind, t in tally.items()
    }
    return {
        "model": encoder.identity.label,
        "frames": n_frames,
        "seed": seed,
        "input": f"{size} px, resize_mode {mode}",
        "accuracy": accuracy,
        "confusions": dict(confusions.most_common(12)),
    }


def main() -> None:
    parser = demo_parser(__doc__, seed=123)
    parser.add_argument("--frames", type=int, default=1500, help="frames (default 1500)")
    args = parser.parse_args()
    result = run(args.model, args.frames, args.seed)
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print_machine()
    print(f"model {result['model']} ({result['input']}): {result['frames']} frames, "
          f"seed {result['seed']}; shape+colour accuracy")  # fmt: skip
    for kind in ("all", "input_px", "shape", "frame"):
        cells = "  ".join(f"{k} {v['accuracy']:.3f} ({v['frames']})"
                          for k, v in result["accuracy"][kind].items())  # fmt: skip
        print(f"  by {kind:8s} {cells}")
    print("confusions:", ", ".join(f"{k} ×{n}" for k, n in result["confusions"].items()))


if __name__ == "__main__":
    main()
