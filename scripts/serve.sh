#!/usr/bin/env bash
# Runs qmtdesk (paper mode by default) in a local virtual environment. Settings: see API.md / README.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh runtime
exec .venv/bin/qmtdesk serve "$@"
