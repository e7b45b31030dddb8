#!/usr/bin/env bash
# Runs every check and test: lint, types, unit/integration/API tests (SQLite, and PostgreSQL when one
# answers on 127.0.0.1:5432 or QMTDESK_TEST_DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh dev
echo "== ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "== mypy (domain, oms)"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest -n 2 -q "$@"
