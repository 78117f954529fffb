#!/usr/bin/env bash
# Starts (or stops) a private MariaDB server for the tests: data in a temporary folder, TCP on
# 127.0.0.1 only, a database and a user for the tests. Prints the URL to use.
#   scripts/mariadb-test-server.sh start [PORT]   ->  mysql://likeness:likeness@127.0.0.1:PORT/likeness_test
#   scripts/mariadb-test-server.sh stop
set -euo pipefail
state="${LIKENESS_MARIADB_DIR:-/tmp/likeness-mariadb}"
port="${2:-33306}"
case "${1:-}" in
start)
  if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
    echo "mysql://likeness:likeness@127.0.0.1:$(cat "$state/port")/likeness_test"; exit 0
  fi
  rm -rf "$state"; mkdir -p "$state/data"
  chown -R mysql:mysql "$state" 2>/dev/null || true
  mariadb-install-db --user=mysql --datadir="$state/data" --auth-root-authentication-method=socket \
    --skip-test-db >"$state/install.log" 2>&1 </dev/null
  # Redirect every stream, or a caller reading our output through a pipe would hang.
  mariadbd --user=mysql --datadir="$state/data" --socket="$state/mysqld.sock" --pid-file="$state/pid" \
    --bind-address=127.0.0.1 --port="$port" --skip-name-resolve --log-error="$state/error.log" \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=1 </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 60); do
    [ -S "$state/mysqld.sock" ] && mariadb --socket="$state/mysqld.sock" -uroot -e "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! mariadb --socket="$state/mysqld.sock" -uroot -e "SELECT 1" >/dev/null 2>&1; then
    # A port already taken (another test server left running, say) is the usual cause.
    echo "mariadb-test-server: MariaDB did not start on 127.0.0.1:$port; the end of its log:" >&2
    tail -n 5 "$state/error.log" >&2 || true
    exit 1
  fi
  mariadb --socket="$state/mysqld.sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS likeness_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'likeness'@'127.0.0.1' IDENTIFIED BY 'likeness';
GRANT ALL PRIVILEGES ON \`likeness\\_%\`.* TO 'likeness'@'127.0.0.1';
GRANT ALL PRIVILEGES ON likeness_test.* TO 'likeness'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
  echo "$port" > "$state/port"
  echo "mysql://likeness:likeness@127.0.0.1:$port/likeness_test"
  ;;
stop)
  if [ -f "$state/pid" ]; then
    pid="$(cat "$state/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -rf "$state"
  ;;
*) echo "usage: $0 start [PORT] | stop" >&2; exit 2 ;;
esac
