#!/usr/bin/env bash
# Reproduce the shipped demo model in one command: the four seeded stages of MODEL_CARD.md,
# each starting from the previous stage's weights, then a fresh-load evaluation.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
weights=data/models/vidseek-demo/open_clip_model.safetensors
stages=$(mktemp -d)
trap 'rm -rf "$stages"' EXIT

"$python" scripts/train_demo_model.py --seed 0 --steps 600 --lr 2e-3
cp "$weights" "$stages/1.safetensors"
"$python" scripts/train_demo_model.py --init "$stages/1.safetensors" --steps 400 --lr 1.5e-3 --eval-every 1000
cp "$weights" "$stages/2.safetensors"
"$python" scripts/train_demo_model.py --init "$stages/2.safetensors" --steps 500 --lr 1e-3 --eval-every 1000
cp "$weights" "$stages/3.safetensors"
"$python" scripts/train_demo_model.py --init "$stages/3.safetensors" --steps 250 --lr 5e-4 --eval-every 1000
"$python" scripts/train_demo_model.py --eval-only
