#!/usr/bin/env bash
# Train the demo model (issue #14) in one seeded command, then evaluate it: on the first
# renderer's held-out sets (train_demo_model.py) and on the second renderer's videos through
# the real pipeline (bench/demo_generalization.py). It writes into $OUT (default
# /tmp/vidseek-demo-new); to ship, copy open_clip_model.safetensors and open_clip_config.json
# into data/models/vidseek-demo, then refit the confidence calibration:
#   vidseek models calibrate vidseek-demo -o data/models/vidseek-demo/calibration.json
# Results: bench/RESULTS.md, "Demo model on a second renderer".
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
out=${OUT:-/tmp/vidseek-demo-new}
"$python" scripts/train_demo_model.py --config "${CONFIG:-scripts/demo_model_config.json}" \
    --out "$out" --seed "${SEED:-0}" --steps "${STEPS:-2400}" --per-triple 112 --lr 2e-3 \
    --eval-every 400 --threads "${THREADS:-2}" --metrics "$out/metrics.json"
"$python" -m bench.demo_generalization --model "local-dir:$out" --videos 12 --seed 4242
