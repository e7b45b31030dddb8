#!/usr/bin/env bash
# End-to-end browser suite (frontend/e2e, Playwright): starts a real `qmtdesk serve` in paper mode
# with a simulated clock and drives the web UI with Debian's Chromium (no browser is ever
# downloaded). Installs Chromium with apt when it is missing and we are root, else skips (exit 0).
# Needs the Python venv (.venv, made by scripts/test.sh) and Node >= 20.19 with npm.
# Extra arguments go to `playwright test` (e.g. `--grep trading`).
# Results: test-results/screenshots/*.png, test-results/e2e-server.log, test-results/playwright/.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium="${QMTDESK_E2E_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== e2e: installing Chromium with apt"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -x "$chromium" ]; then
  echo "e2e skipped: Chromium not found at $chromium"
  exit 0
fi
export QMTDESK_E2E_CHROMIUM="$chromium"
if [ ! -x .venv/bin/qmtdesk ]; then
  echo "e2e: .venv/bin/qmtdesk not found: create the venv first (scripts/test.sh does)" >&2
  exit 1
fi

cd frontend
if [ ! -d node_modules/@playwright/test ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "== e2e: type check, then Playwright with $chromium"
npx --no-install tsc -p e2e/tsconfig.json
npx --no-install playwright test "$@"
