#!/usr/bin/env bash
# Rewrites migration 0001 from the ORM tables. Only for the pre-release period: once a version is
# published, schema changes get new revisions instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f src/qmtdesk/store/migrations/versions/0001_initial.py
.venv/bin/python - "$tmp" <<'PY'
import sys
from alembic import command
from qmtdesk.store.migrate import alembic_config
command.revision(alembic_config(f"sqlite:///{sys.argv[1]}/gen.db"), message="initial schema", autogenerate=True, rev_id="0001")
PY
mv src/qmtdesk/store/migrations/versions/0001_*.py src/qmtdesk/store/migrations/versions/0001_initial.py
rm -rf "$tmp"
