#!/usr/bin/env bash
# Serves the API (real pipeline, SQLite, index) on a free loopback port with a temporary data
# directory, registers an admin, and runs schemathesis (PyPI, in a throwaway venv) against
# /openapi.json with its token: no server errors, no response that contradicts the document.
#   scripts/api-conformance.sh [LIKENESS_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-.build/debug/likeness}"
tmp="$(mktemp -d)"
port="${LIKENESS_CONFORMANCE_PORT:-18080}"
venv="${SCHEMATHESIS_VENV:-$(pwd)/.build/schemathesis-venv}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q "schemathesis>=4,<5"
fi
LIKENESS_DATA_DIR="$tmp" LIKENESS_MODEL_DIR="${LIKENESS_MODEL_DIR:-$(pwd)/data/models}" \
  "$bin" serve --port "$port" --queue 64 >"$tmp/server.log" 2>&1 </dev/null &
server=$!
# A server that died during the run shows its log's end, so a crash is never just a failed check.
trap 'if ! kill -0 $server 2>/dev/null; then echo "api conformance: the server exited during the run; its log ends:" >&2; grep -a -A40 "Fatal error\|crashed:" "$tmp/server.log" | head -80 >&2; fi
      kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port"
curl -sf -X POST "$base/api/register" -H 'Content-Type: application/json' \
  -d '{"username": "admin", "password": "conformance-pass"}' >/dev/null
token="$(curl -sf -X POST "$base/api/login" -H 'Content-Type: application/json' \
  -d '{"username": "admin", "password": "conformance-pass"}' | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')"
# Rebuilding the index is excluded only because fuzzing would call it thousands of times; logging
# out, changing the password and editing or deleting accounts because one lucky example would end
# the token the rest of the run uses. The suite tests each of them. The seed keeps CI reproducible.
"$venv/bin/schemathesis" run "$base/openapi.json" -H "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --max-examples "${CONFORMANCE_EXAMPLES:-25}" --seed 20261130 \
  --exclude-path /api/reset_index --exclude-path /v1/index/rebuild \
  --exclude-path /v1/logout --exclude-path /v1/accounts/me/password --exclude-path '/v1/accounts/{id}'
echo "api conformance: schemathesis found no server errors and no responses contradicting /openapi.json"
