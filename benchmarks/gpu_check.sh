#!/usr/bin/env bash
# GPU check for the index engine (issue #4): run on a machine with an NVIDIA GPU.
#   bash benchmarks/gpu_check.sh            # installs cupy if missing, ~3-5 minutes
# Writes its logs to ${OUT:-benchmarks/gpu_out}/ and prints the RESULT line last.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-benchmarks/gpu_out}"
mkdir -p "$OUT_DIR"
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT_DIR/gpu.txt"
if ! "$PY" -c "import cupy" 2>/dev/null; then
  "$PY" -m pip install --quiet "cupy-cuda12x>=13" 2>&1 | tail -2
fi
"$PY" -c "import cupy; print('cupy', cupy.__version__, 'devices', cupy.cuda.runtime.getDeviceCount())" \
  | tee -a "$OUT_DIR/gpu.txt"
# 1. the gpu-marked tests: cupy kernel == reference (NaN, zero division), dask+cupy stays on GPU
"$PY" -m pytest tests/unit/indices/test_gpu.py -m gpu -q -rs -p no:cacheprovider \
  2>&1 | tee "$OUT_DIR/pytest_gpu.txt"
# 2. the benchmark with the fused cupy kernel and the device copy bandwidth
"$PY" benchmarks/bench_indices.py --gpu --skip-100 2>&1 | tee "$OUT_DIR/bench_gpu.txt"
