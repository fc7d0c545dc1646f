#!/usr/bin/env bash
# GPU check for the index engine (issue 19, point 5): run once on a machine with an NVIDIA GPU.
#   bash benchmarks/gpu_check.sh        # about a minute on an H200, after the device's start
# 1. the gpu-marked tests (cupy kernel == reference: NaN, zero division, the whole catalogue
#    over several fused launches, dask chunks on the GPU);
# 2. bench_indices.py --gpu-only: the fused cupy kernel for 10 and 100 indices against the
#    device's own copy bandwidth (RESULT indices_gpu ...);
# 3. where Nsight Compute is installed, its DRAM throughput of the kernels (one short pass;
#    GPU_CHECK_NCU=0 leaves it out).
# Logs go to ${OUT:-benchmarks/gpu_out}/. A machine without dask, pydantic or pyproj takes
# them from wheels in .whl/ (see benchmarks/RESULTS.md, "GPU") into a private folder.
# Each step runs even when one before it failed; the exit status is the tests'.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR="${OUT:-benchmarks/gpu_out}"
mkdir -p "$OUT_DIR"
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
export PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # benchmarks/ import prospect from here
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.memory --format=csv \
  | tee "$OUT_DIR/gpu.txt"
if [ -d .whl ] && ! "$PY" -c "import affine, dask, pydantic, pyproj" 2>/dev/null; then
  site=/tmp/prospect-site
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$site" .whl/*.whl 2>&1 | tail -3
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
"$PY" -c "import cupy, numpy, xarray; print('cupy', cupy.__version__, 'numpy', numpy.__version__,
'xarray', xarray.__version__, 'devices', cupy.cuda.runtime.getDeviceCount())" \
  | tee -a "$OUT_DIR/gpu.txt"
timeout 300 "$PY" -m pytest tests/unit/indices/test_gpu.py -q -rs -p no:cacheprovider \
  2>&1 | tee "$OUT_DIR/pytest_gpu.txt"
tests=$?
timeout 240 "$PY" benchmarks/bench_indices.py --gpu-only 2>&1 | tee "$OUT_DIR/bench_gpu.txt"
if [ "${GPU_CHECK_NCU:-1}" = 1 ] && command -v ncu >/dev/null; then
  timeout 150 ncu --clock-control none -k regex:prospect_indices \
    --metrics gpu__time_duration.sum,dram__bytes.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed \
    "$PY" benchmarks/bench_indices.py --gpu-only --size 4096 --repeats 1 \
    > "$OUT_DIR/ncu.txt" 2>&1
  grep -E "prospect_indices|dram__|gpu__time" "$OUT_DIR/ncu.txt" | tail -40
fi
grep -h "^RESULT" "$OUT_DIR/bench_gpu.txt"
exit "$tests"
