#!/usr/bin/env bash
# One short check on a GPU machine with no network: GPU work in the background holds the
# idle shutdown, and the server stops one timeout after it ends.
#
# Needs: a Python with torch (and psutil, nvidia-ml-py) at $PY (default
# /opt/torch/.venv/bin/python, else python3), and the wheels from scripts/gpu_wheels.sh in
# .whl/ for the server mode (without them only the detector mode runs). Writes each mode's
# output to $OUT (when set) as well as to stdout. About 3 minutes.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-/opt/torch/.venv/bin/python}
[ -x "$PY" ] || PY=$(command -v python3)
OUT=${OUT:-$(mktemp -d)}
echo "== $PY: $("$PY" -c 'import sys; print(sys.version.split()[0])')"
"$PY" -c 'import torch, psutil; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), "psutil", psutil.__version__)'
nvidia-smi --query-gpu=name,utilization.gpu,memory.used --format=csv 2>&1 | head -3

if ls .whl/jupyterlab_smcost-*.whl >/dev/null 2>&1; then
  SITE=$(mktemp -d)
  echo "== installing jupyter_server and this package from .whl/ into $SITE"
  "$PY" -m pip install -q --no-index --find-links .whl --target "$SITE" jupyterlab_smcost 2>&1 \
    | grep -v "^WARNING: Location" | tail -3
  echo "== mode server: a real jupyter server with the extension"
  PYTHONPATH=$SITE timeout 300 "$PY" benchmarks/gpu_busy_check.py --mode server --seconds "${SERVER_LOAD_S:-40}" \
    2>&1 | tee "$OUT/server-mode.txt"
else
  echo "== no wheels in .whl/ (scripts/gpu_wheels.sh): mode server skipped"
fi
echo "== mode detector: the detector module with the real NVML and psutil"
timeout 200 "$PY" benchmarks/gpu_busy_check.py --mode detector --seconds "${DETECTOR_LOAD_S:-25}" \
  2>&1 | tee "$OUT/detector-mode.txt"
nvidia-smi --query-gpu=name,utilization.gpu,memory.used --format=csv 2>&1 | head -3
