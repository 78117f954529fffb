#!/usr/bin/env bash
# Enrollment writes per second and start-up time (store + index catch-up) at 100,000 faces,
# for SQLite and for MariaDB (a private server started for the run).
#   bench/store_bench.sh [FACES]
set -euo pipefail
cd "$(dirname "$0")/.."
faces="${1:-100000}"
swift build -c release --product likeness-bench >&2
tmp="$(mktemp -d)"
chmod 755 "$tmp"  # the MariaDB server runs as the mysql user
export LIKENESS_MARIADB_DIR="$tmp/mariadb"
trap 'bash scripts/mariadb-test-server.sh stop >/dev/null; rm -rf "$tmp"' EXIT
.build/release/likeness-bench store "sqlite://$tmp/bench.db" "$faces" 2>/dev/null
url="$(bash scripts/mariadb-test-server.sh start 33307)"
.build/release/likeness-bench store "$url" "$faces" 2>/dev/null
