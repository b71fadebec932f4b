#!/usr/bin/env bash
# The GPU figures of bench/RESULTS.md and the GPU-only tests, in one run (about 8 minutes on
# one H100). From the repository root, with vidseek's dependencies importable:
#
#   bash bench/gpu.sh [OUT_DIR]        (default /tmp/vidseek-gpu; PYTHON=... to pick python)
#
# Each step's whole output goes to OUT_DIR/<step>.txt and its end to the terminal; a failing
# step does not stop the others.
set -uo pipefail
out=${1:-/tmp/vidseek-gpu}
py=${PYTHON:-python3}
cache=/tmp/vidseek-bench
mkdir -p "$out" "$cache"
export PYTHONUNBUFFERED=1

step() {
    local name=$1 limit=$2 start=$SECONDS rc
    shift 2
    echo "=== $name: $*"
    timeout "$limit" "$@" >"$out/$name.txt" 2>&1
    rc=$?
    tail -n 30 "$out/$name.txt"
    echo "=== $name: exit $rc after $((SECONDS - start)) s"
    echo
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
# the benchmarks' clips, written once with every core (bench/decode.py pins itself to one)
step clips 300 "$py" -c "
from pathlib import Path
from bench.common import write_clip
c = Path('$cache')
for name, w, h, gop in (('480p_g250', 854, 480, 250), ('720p_g250', 1280, 720, 250),
                        ('1080p_g250', 1920, 1080, 250), ('720p_glong', 1280, 720, 100_000)):
    print(write_clip(c / f'{name}_60.mp4', w, h, 60.0, gop=gop))
"
step tests 300 "$py" -m pytest -q -p no:cacheprovider tests/test_gpu_encoder.py \
    tests/test_gpu_decode.py tests/test_ivf_torch.py tests/test_demo_semantics.py
step encode 240 "$py" -m bench.encode --device cuda --images 2048 --batch-sizes 64,256,1024
step ivf 300 "$py" -m bench.ivf_build --sizes 1000000
step decode 300 "$py" -m bench.decode --gpu --cache "$cache" \
    --methods "pyav,pyav fast,pyav-cuda,pyav-cuda no threads"
step decode_all_cores 300 "$py" -m bench.decode --gpu --all-cores --repeat 1 --cache "$cache" \
    --methods "pyav,pyav-cuda,pyav-cuda no threads" --clips "720p gop250,1080p gop250"
step e2e 300 "$py" -m bench.index_e2e --device cuda --batch-sizes 64 --cache "$cache"
