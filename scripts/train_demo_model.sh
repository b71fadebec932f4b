#!/usr/bin/env bash
# Train the demo model (issue #14) in one seeded command, then evaluate it: on the first
# renderer's held-out sets (train_demo_model.py) and on the second renderer's videos through
# the real pipeline (bench/demo_generalization.py). Two stages of one recipe:
#   1. 2,400 steps at 128 px (scripts/demo_model_stage1.json), seed 0, from scratch;
#   2. 600 steps at 160 px (scripts/demo_model_config.json), seed 1 (a fresh pool), lr 5e-4,
#      from stage 1's weights: the convolutions carry over, the attention pool's position
#      grid is resized 4x4 -> 5x5. Small shapes gain the most (bench/demo_frames.py).
# It writes into $OUT (default /tmp/vidseek-demo-new, stage 1 in $OUT/stage1); to ship, copy
# open_clip_model.safetensors and open_clip_config.json into data/models/vidseek-demo, then
# refit the confidence calibration:
#   vidseek models calibrate vidseek-demo -o data/models/vidseek-demo/calibration.json
# Results: bench/RESULTS.md, "Demo model on a second renderer".
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
out=${OUT:-/tmp/vidseek-demo-new}
threads=${THREADS:-2}
"$python" scripts/train_demo_model.py --config scripts/demo_model_stage1.json \
    --out "$out/stage1" --seed 0 --steps 2400 --per-triple 112 --lr 2e-3 \
    --eval-every 400 --threads "$threads" --metrics "$out/stage1/metrics.json"
"$python" scripts/train_demo_model.py --config scripts/demo_model_config.json \
    --out "$out" --seed 1 --steps 600 --per-triple 112 --lr 5e-4 --init "$out/stage1/open_clip_model.safetensors" \
    --eval-every 200 --threads "$threads" --metrics "$out/metrics.json"
"$python" -m bench.demo_generalization --model "local-dir:$out" --videos 12 --seed 4242
