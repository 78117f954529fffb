#!/usr/bin/env bash
# pgvector's HNSW in PostgreSQL 15 against the in-process exact scans, side by side on the same
# vectors: load, build, sizes, latency, searches/s on 2 threads, recall@10 against exact.
# A private PostgreSQL is started for the run (scripts/postgres-test-server.sh).
#   bench/pgvector_bench.sh [SIZES] [DIM]      default: 100000,1000000 128
#   CONFIG=debug bench/pgvector_bench.sh ...   without a release build (the searches run in PostgreSQL
#                                              and in C kernels either way)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${1:-100000,1000000}"
dim="${2:-128}"
config="${CONFIG:-release}"
source scripts/find-swift.sh
swift build -c "$config" --product likeness-bench >&2
bench="$(swift build -c "$config" --show-bin-path)/likeness-bench"
export LIKENESS_POSTGRES_DIR="$(mktemp -d -u /tmp/likeness-pgbench.XXXXXX)"
trap 'bash scripts/postgres-test-server.sh stop >/dev/null' EXIT
url="$(bash scripts/postgres-test-server.sh start "${PORT:-35532}")"
psql_() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- psql "$@"; else psql "$@"; fi; }
pg=(-h "$LIKENESS_POSTGRES_DIR" -p "${PORT:-35532}" -U postgres -v ON_ERROR_STOP=1 -q)
# Room to build the HNSW graph in memory, and both cores for it.
psql_ "${pg[@]}" -d postgres -c "ALTER SYSTEM SET maintenance_work_mem = '2GB'" -c "ALTER SYSTEM SET max_parallel_maintenance_workers = 1" \
  -c "ALTER SYSTEM SET shared_buffers = '1GB'" >/dev/null
pgctl="/usr/lib/postgresql/15/bin/pg_ctl"
if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$pgctl" -D "$LIKENESS_POSTGRES_DIR/data" -w restart >/dev/null; else "$pgctl" -D "$LIKENESS_POSTGRES_DIR/data" -w restart >/dev/null; fi
for n in ${sizes//,/ }; do
  db="bench_$n"
  psql_ "${pg[@]}" -d postgres -c "CREATE DATABASE $db OWNER likeness" >/dev/null
  "$bench" pgvector "${url%/*}/$db" "$n" "$dim"
  psql_ "${pg[@]}" -d "$db" -At -c "SELECT 'disk: faces table ' || pg_size_pretty(pg_table_size('faces')) || ' (embeddings as bytes and as vectors), HNSW index ' || pg_size_pretty(pg_relation_size('faces_vec_bench_$dim')) || ', all indexes ' || pg_size_pretty(pg_indexes_size('faces'))"
  psql_ "${pg[@]}" -d postgres -c "DROP DATABASE $db" >/dev/null
done
