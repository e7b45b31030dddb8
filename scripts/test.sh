#!/usr/bin/env bash
# Runs every check and test: lint, types, unit/integration/API tests on SQLite, and on PostgreSQL
# when QMTDESK_TEST_DATABASE_URL is set or a server answers on 127.0.0.1:5432; then the web UI's
# unit tests and checks that the shipped UI build matches its sources and its API types the API.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh dev

if [ -z "${QMTDESK_TEST_DATABASE_URL:-}" ] &&
   .venv/bin/python -c 'import socket; socket.create_connection(("127.0.0.1", 5432), 1).close()' 2>/dev/null; then
  export QMTDESK_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test"
  echo "== PostgreSQL found on 127.0.0.1:5432: persistence and API tests run on it too"
fi

if [ -f frontend/package.json ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "== web UI: unit tests and build check"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm test --silent && node scripts/check-build.mjs)
    echo "== web UI: its API types match the server's OpenAPI description"
    bash scripts/api-types.sh --check
  else
    echo "== web UI: npm not found, skipping its unit tests (the Python checks below still run)"
  fi
fi

# The gateway tests need a NATS server with JetStream: they use the one on 127.0.0.1:4222, else
# start their own from the nats-server binary, installed here with apt when it is missing.
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ] &&
   [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing nats-server with apt (gateway tests)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
fi

echo "== ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "== mypy (domain, oms)"
.venv/bin/mypy
echo "== pytest"
.venv/bin/python -m pytest -n 2 -q "$@"


echo "== end-to-end: the web UI in Chromium against a real qmtdesk serve"
bash scripts/e2e.sh
