#!/usr/bin/env bash
# Starts (or stops) a private PostgreSQL 15 server for the tests: data in a temporary folder, TCP
# on 127.0.0.1 only, a user and a database for the tests, pgvector enabled where installed
# (scripts/setup.sh builds it). Prints the URL to use.
#   scripts/postgres-test-server.sh start [PORT]   ->  postgres://likeness:likeness@127.0.0.1:PORT/likeness_test
#   scripts/postgres-test-server.sh replica [PORT] -> a streaming standby of it, read-only: its URL
#   scripts/postgres-test-server.sh stop           (both)
set -euo pipefail
state="${LIKENESS_POSTGRES_DIR:-/tmp/likeness-postgres}"
port="${2:-35432}"
bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
url() { echo "postgres://likeness:likeness@127.0.0.1:$1/likeness_test"; }
# PostgreSQL refuses to run as root: as root, the server runs as the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "${1:-}" in
start)
  if [ -f "$state/port" ] && as_pg "$bin/pg_ctl" -D "$state/data" status >/dev/null 2>&1; then
    url "$(cat "$state/port")"; exit 0
  fi
  rm -rf "$state"; mkdir -p "$state"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$state"
  chmod 700 "$state"
  # C collation and UTF-8: bytes compare as the other backends compare them.
  as_pg "$bin/initdb" -D "$state/data" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$state/initdb.log" 2>&1
  # Redirect every stream, or a caller reading our output through a pipe would hang.
  as_pg "$bin/pg_ctl" -D "$state/data" -l "$state/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $state -c fsync=on -c synchronous_commit=on -c max_connections=200" \
    start </dev/null >/dev/null 2>&1 || {
      # A port already taken (another test server left running, say) is the usual cause.
      echo "postgres-test-server: PostgreSQL did not start on 127.0.0.1:$port; the end of its log:" >&2
      tail -n 5 "$state/server.log" >&2 || true
      exit 1
    }
  psql() { as_pg "$bin/psql" -h "$state" -p "$port" -U postgres -v ON_ERROR_STOP=1 -q "$@"; }
  psql -d postgres -c "CREATE ROLE likeness LOGIN PASSWORD 'likeness' CREATEDB" >/dev/null
  # The tests pause a replica's replay; privileges on functions are per database, and the
  # tests' databases are copies of template1.
  psql -d template1 -c "GRANT EXECUTE ON FUNCTION pg_wal_replay_pause(), pg_wal_replay_resume() TO likeness" >/dev/null
  psql -d postgres -c "CREATE DATABASE likeness_test OWNER likeness" >/dev/null
  # pgvector in template1, so every database the tests create has it.
  if [ -f "$(as_pg "$bin/pg_config" --sharedir)/extension/vector.control" ]; then
    psql -d template1 -c "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
    psql -d likeness_test -c "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
  fi
  echo "$port" > "$state/port"
  url "$port"
  ;;
replica)
  rport="${2:-35433}"
  [ -f "$state/port" ] || { echo "postgres-test-server: start the primary first" >&2; exit 1; }
  if [ -f "$state/replica-port" ] && as_pg "$bin/pg_ctl" -D "$state/replica" status >/dev/null 2>&1; then
    url "$(cat "$state/replica-port")"; exit 0
  fi
  rm -rf "$state/replica"
  # A base backup with the standby settings written (-R), streaming from the primary.
  as_pg "$bin/pg_basebackup" -h "$state" -p "$(cat "$state/port")" -U postgres -D "$state/replica" -R -X stream \
    >"$state/basebackup.log" 2>&1
  chmod 700 "$state/replica"
  as_pg "$bin/pg_ctl" -D "$state/replica" -l "$state/replica.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $rport -k $state -c hot_standby=on -c max_connections=200" \
    start </dev/null >/dev/null 2>&1 || {
      echo "postgres-test-server: the replica did not start on 127.0.0.1:$rport; the end of its log:" >&2
      tail -n 5 "$state/replica.log" >&2 || true
      exit 1
    }
  echo "$rport" > "$state/replica-port"
  url "$rport"
  ;;
stop)
  if [ -d "$state/replica" ]; then
    as_pg "$bin/pg_ctl" -D "$state/replica" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -d "$state/data" ]; then
    as_pg "$bin/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$state"
  ;;
*) echo "usage: $0 start [PORT] | stop" >&2; exit 2 ;;
esac
