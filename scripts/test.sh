#!/usr/bin/env bash
# Installs everything, starts the test services, then runs every check and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --servers
source .venv/bin/activate

echo "== ruff"
ruff check .
ruff format --check .
echo "== mypy"
mypy
echo "== import contracts"
lint-imports
echo "== yamllint"
yamllint -c .yamllint.yaml .
echo "== tests"
pytest "$@"
