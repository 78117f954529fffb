#!/usr/bin/env bash
# Abuse runs against a live server on loopback (see bench/abuse.py): a login flood, slowloris,
# long-boundary uploads and PNG bombs from 127.0.0.2, while a legitimate client on 127.0.0.1
# measures /healthz and face_query. Bounded: each phase runs PHASE_SECONDS (default 10).
#   bench/abuse.sh [LIKENESS_BINARY]     (default .build/release/likeness, else .build/debug/likeness)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-}"
if [ -z "$bin" ]; then bin=.build/release/likeness; [ -x "$bin" ] || bin=.build/debug/likeness; fi
faces="${FACES_DIR:-../shared/faces}"
tmp="$(mktemp -d)"
port="${ABUSE_PORT:-18090}"
LIKENESS_DATA_DIR="$tmp" LIKENESS_MODEL_DIR="${LIKENESS_MODEL_DIR:-$(pwd)/data/models}" \
  "$bin" serve --port "$port" --idle-timeout "${IDLE_TIMEOUT:-10}" ${PACK:+--pack "$PACK"} >"$tmp/server.log" 2>&1 </dev/null &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
echo "abuse: $bin, pack ${PACK:-default}, $(nproc) cores, idle timeout ${IDLE_TIMEOUT:-10} s"
python3 bench/abuse.py "http://127.0.0.1:$port" "$faces" "${PHASE_SECONDS:-10}"
if ! kill -0 $server 2>/dev/null; then echo "abuse: the server died during the run" >&2; tail -40 "$tmp/server.log" >&2; exit 1; fi
echo "abuse: the server is still up"
