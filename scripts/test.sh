#!/usr/bin/env bash
# Installs everything the tests need (Python and npm packages, Debian chromium) and runs
# every test: lint, jest, the docs build, and pytest tier by tier (unit, server, subprocess,
# aws, release, browser: docs/contributors/tests.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# a CJK font, so that the zh_CN screenshots (tests/browser/test_browser_zh_cn.py) are legible
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null)" ] \
  && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-wqy-zenhei >/dev/null \
    || echo "no CJK font installed: the zh_CN screenshots show boxes (the test still checks)"
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
# one pytest process per tier (tests/<tier>/), each named in the output; every tier runs
# even when an earlier one fails, and the failed ones are listed at the end. Arguments go to
# each run (a tier where none is selected, pytest's exit status 5, is not a failure).
failed=()
tier() {
  local name=$1
  shift
  echo "== pytest: $name"
  local rc=0
  python -m pytest -q "$@" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then failed+=("$name"); fi
}
tier "unit (pure: no server, no subprocess, no AWS double)" tests/unit "$@"
tier "server (a jupyter_server in this process, pytest-jupyter)" tests/server "$@"
tier "subprocess (real jupyter server and other processes)" tests/subprocess "$@"
tier "aws (a moto server, botocore Stubber doubles)" tests/aws "$@"
tier "release (lifecycle sandboxes, wheel and sdist, setup twice; SMCOST_SANDBOX=0 skips)" \
  tests/release "$@"
# own process: playwright's sync API owns this thread's event loop
SMCOST_COMPAT=${SMCOST_COMPAT:-1} tier \
  "browser (Chromium; the wheel in JupyterLab 4.4/4.5/4.6 unless SMCOST_COMPAT=0)" \
  tests/browser "$@"
if [ "${#failed[@]}" -gt 0 ]; then
  printf '== failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
