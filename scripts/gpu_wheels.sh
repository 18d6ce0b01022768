#!/usr/bin/env bash
# Downloads into .whl/ (git-ignored) the wheels that run benchmarks/gpu_busy_check.py in its
# "server" mode on a machine with Python 3.12 (manylinux x86_64) and no network: jupyter_server
# and this package's runtime dependencies, plus this package's own wheel built from the
# checkout. Prints the total size (kept under ~40 MB).
#
# There, with no network:
#   python -m pip install -q --no-index --find-links .whl --target /tmp/smcost-site jupyterlab_smcost
#   PYTHONPATH=/tmp/smcost-site python benchmarks/gpu_busy_check.py
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
OUT=.whl
rm -rf "$OUT"
mkdir -p "$OUT"

# this package: the wheel of the checkout (its labextension is built by scripts/setup.sh)
"$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$OUT" .

# its runtime dependencies, as pip would resolve them for CPython 3.12 on manylinux x86_64
deps=$("$PY" - <<'EOF'
import tomllib
print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))
EOF
)
# shellcheck disable=SC2086
"$PY" -m pip download -q -d "$OUT" \
  --only-binary=:all: --python-version 3.12 --implementation cp --abi cp312 \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform any \
  $deps

ls -1 "$OUT" | sed 's/^/  /'
total=$(du -cb "$OUT"/*.whl | tail -1 | cut -f1)
echo "$(ls -1 "$OUT"/*.whl | wc -l) wheels, $((total / 1024 / 1024)) MB ($total bytes) in $OUT/"
if [ "$total" -gt $((40 * 1024 * 1024)) ]; then
  echo "more than 40 MB: too large to carry" >&2
  exit 1
fi
