#!/usr/bin/env bash
# Creates .venv and installs the extension (built frontend included) with its test and docs
# extras.
# Used by scripts/dev.sh and scripts/test.sh; needs Python 3.10+ and Node.js 18+.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install -q -U pip
# build tools first: the editable install below builds without isolation (4x faster)
python -m pip install -q hatchling hatch-jupyter-builder hatch-nodejs-version editables \
  "jupyterlab>=4.4,<4.7"
jlpm install
jlpm build:prod
# A previous run's `labextension develop` (below) made the environment's labextension folder a
# link to this checkout's build folder: the editable install would write its files through it,
# install.json included, and `pip wheel .` then finds install.json twice. Unlink first.
link="$(python -c 'import sys; print(sys.prefix)')/share/jupyter/labextensions/jupyterlab-smcost"
if [ -L "$link" ]; then rm "$link"; fi
python -m pip install -q -e ".[test,docs]" --no-build-isolation
# point JupyterLab at this checkout's build (later `jlpm build` results show up on reload)
jupyter labextension develop --overwrite . >/dev/null
# (read the whole output first: grep -q closing the pipe early fails under pipefail)
server_ext=$(jupyter server extension list 2>&1)
lab_ext=$(jupyter labextension list 2>&1)
grep -q "jupyterlab_smcost.*OK" <<<"$server_ext" \
  || { echo "server extension not enabled: $server_ext" >&2; exit 1; }
grep -q "jupyterlab-smcost.*OK" <<<"$lab_ext" \
  || { echo "lab extension not installed: $lab_ext" >&2; exit 1; }
