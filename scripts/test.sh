#!/usr/bin/env bash
# The test command (README and CI): starts private MariaDB and PostgreSQL servers on 127.0.0.1
# so the store suite runs against every backend, runs `swift test`, and stops the servers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-swift.sh
export LIKENESS_MARIADB_DIR="${LIKENESS_MARIADB_DIR:-$(mktemp -d /tmp/likeness-mariadb.XXXXXX)}"
export LIKENESS_POSTGRES_DIR="${LIKENESS_POSTGRES_DIR:-$(mktemp -d -u /tmp/likeness-postgres.XXXXXX)}"
trap 'bash scripts/mariadb-test-server.sh stop; bash scripts/postgres-test-server.sh stop' EXIT
LIKENESS_TEST_MYSQL_URL="$(bash scripts/mariadb-test-server.sh start "${LIKENESS_MARIADB_PORT:-33306}")"
export LIKENESS_TEST_MYSQL_URL
LIKENESS_TEST_POSTGRES_URL="$(bash scripts/postgres-test-server.sh start "${LIKENESS_POSTGRES_PORT:-35432}")"
export LIKENESS_TEST_POSTGRES_URL
LIKENESS_TEST_POSTGRES_REPLICA_URL="$(bash scripts/postgres-test-server.sh replica "${LIKENESS_POSTGRES_REPLICA_PORT:-35433}")"
export LIKENESS_TEST_POSTGRES_REPLICA_URL
swift build --build-tests
# The API against its own OpenAPI document (schemathesis), the console in a browser, then the
# test suite.
bash scripts/api-conformance.sh .build/debug/likeness
# The web console in headless Chromium against a live server.
bash scripts/browser-test.sh .build/debug/likeness
# A hung test fails the run, naming the tests still running, rather than holding CI until its
# own limit (LIKENESS_TEST_TIMEOUT seconds; timeout signals the whole process group).
log="$(mktemp /tmp/likeness-swift-test.XXXXXX)"
set +e
timeout --kill-after=30 "${LIKENESS_TEST_TIMEOUT:-1800}" swift test --skip-build "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
  echo "test.sh: swift test ran past ${LIKENESS_TEST_TIMEOUT:-1800} s; started and not finished:" >&2
  awk '/ Test [^ ]+ started\./ { t = $0; sub(/.* Test /, "", t); sub(/ started\..*/, "", t); open[t] = 1 }
       / Test [^ ]+ (passed|failed|skipped)/ { t = $0; sub(/.* Test /, "", t); sub(/ (passed|failed|skipped).*/, "", t); delete open[t] }
       END { for (t in open) print "  " t }' "$log" >&2
fi
rm -f "$log"
exit "$rc"
