# Sourced by scripts/serve.sh and scripts/test.sh: creates .venv (once) and installs the pinned lock
# when it changed since the last install. Only Python 3.11-3.13 and pip are needed on the machine.
set -euo pipefail
lock="requirements/$1.lock"
py="${QMTDESK_PYTHON:-}"
if [ -z "$py" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] < (3, 14) else 1)'; then
      py="$candidate"; break
    fi
  done
fi
[ -n "$py" ] || { echo "qmtdesk needs Python 3.11, 3.12 or 3.13" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
stamp=".venv/.installed-$1"
want="$(cat "$lock" pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$lock"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  echo "$want" > "$stamp"
fi
