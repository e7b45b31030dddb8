#!/usr/bin/env bash
# Builds the web UI into src/qmtdesk/web (served by the backend at /) and records the source hash
# that `node frontend/scripts/check-build.mjs` compares against. Needs Node >= 20.19 and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
cd frontend
npm ci --no-audit --no-fund
npm run build
node scripts/source-hash.mjs > ../src/qmtdesk/web/BUILD_HASH
echo "web build: $(du -sh ../src/qmtdesk/web | cut -f1) in src/qmtdesk/web, hash $(cut -c1-12 ../src/qmtdesk/web/BUILD_HASH)"
