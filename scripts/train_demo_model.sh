#!/usr/bin/env bash
# Train the v2 demo-model candidate (issue #14) in one command: two seeded stages, each ending
# with a fresh-load evaluation on the v1 renderer's held-out sets, then the second-renderer
# bench. It writes into $OUT (default /tmp/vidseek-demo-v2), never over the shipped weights in
# data/models/vidseek-demo, whose text tower it reuses (frozen). Results: bench/RESULTS.md,
# "Demo model on a second renderer".
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
out=${OUT:-/tmp/vidseek-demo-v2}
stage1=$(mktemp -d)
trap 'rm -rf "$stage1"' EXIT
common=(--config scripts/demo_model_v2_config.json --per-triple 48 --threads "${THREADS:-1}")
"$python" scripts/train_demo_model.py "${common[@]}" --out "$stage1" --seed 0 --steps 1200 \
    --lr 2e-3 --eval-every 200
"$python" scripts/train_demo_model.py "${common[@]}" --out "$out" --seed 1 --steps 500 \
    --lr 5e-4 --eval-every 250 --init "$stage1/open_clip_model.safetensors" \
    --text-from "$stage1/open_clip_model.safetensors"
"$python" -m bench.demo_generalization --model "local-dir:$out" --videos 12 --seed 4242
