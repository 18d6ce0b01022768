#!/usr/bin/env bash
# Installs everything and starts JupyterLab with jupyterlab-smcost in local mode (no AWS).
# Priced as SMCOST_INSTANCE_TYPE (default ml.t3.medium); extra arguments go to jupyter lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
ARGS=(--SmCostApp.environment=local "--SmCostApp.instance_type=${SMCOST_INSTANCE_TYPE:-ml.t3.medium}")
if [ "$(id -u)" = 0 ]; then ARGS+=(--allow-root); fi
exec jupyter lab "${ARGS[@]}" "$@"
