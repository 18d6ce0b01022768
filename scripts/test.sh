#!/usr/bin/env bash
# Installs everything the tests need (Python and npm packages, Debian chromium) and runs
# every test: lint, jest, pytest (server, AWS doubles, real browser) and the docs build.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate

echo "== ruff"
ruff check jupyterlab_smcost tests benchmarks scripts docs
ruff format --check jupyterlab_smcost tests benchmarks scripts docs
echo "== eslint/prettier"
jlpm lint:check
echo "== jest"
jlpm test
echo "== docs: Sphinx from a clean build, warnings are errors, every internal link must resolve"
rm -rf docs/_build
python -m sphinx -W --keep-going -n -q -b html docs docs/_build/html
echo "== pytest: server, AWS doubles, CLI, lifecycle sandboxes, release artifacts (SMCOST_SANDBOX=0 skips the last two)"
python -m pytest -q tests --ignore=tests/browser "$@"
echo "== pytest: real browser, incl. the wheel in JupyterLab 4.4/4.5/4.6 (SMCOST_COMPAT=0 skips)"
# own process: playwright's sync API owns this thread's event loop
SMCOST_COMPAT=${SMCOST_COMPAT:-1} python -m pytest -q tests/browser "$@"
