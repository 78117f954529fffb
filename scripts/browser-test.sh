#!/usr/bin/env bash
# The web console in headless Chromium (Debian's chromium and chromium-driver, installed by
# scripts/setup.sh; selenium from PyPI in a venv of its own) against a live server on a free
# loopback port with a temporary data directory and the offline dlib pack.
#   scripts/browser-test.sh [LIKENESS_BINARY]
# Screenshots: .build/console-screenshots/
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-.build/debug/likeness}"
faces="${LIKENESS_FACES_DIR:-$(pwd)/../shared/faces}"
shots="$(pwd)/.build/console-screenshots"
port="${LIKENESS_BROWSER_TEST_PORT:-18090}"
venv="${BROWSER_TEST_VENV:-$(pwd)/.build/browser-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv" && "$venv/bin/pip" install -q "selenium>=4.20,<5"
fi
tmp="$(mktemp -d)"
LIKENESS_DATA_DIR="$tmp" LIKENESS_MODEL_DIR="${LIKENESS_MODEL_DIR:-$(pwd)/data/models}" \
  "$bin" serve --port "$port" >"$tmp/server.log" 2>&1 </dev/null &
server=$!
trap 'status=$?; if [ $status != 0 ]; then echo "browser test: the server log ends:" >&2; tail -30 "$tmp/server.log" >&2; fi
      kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
rm -rf "$shots"
"$venv/bin/python" scripts/browser_test.py "http://127.0.0.1:$port" "$faces" "$shots"
