#!/usr/bin/env bash
# One command for a newcomer: install everything (scripts/setup.sh), build the release
# binary, and run it. Arguments go to `likeness`; with none it serves the API on
# 127.0.0.1:8000 with the embedded defaults (SQLite and the index under ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-swift.sh
bash scripts/setup.sh
swift build -c release --product likeness
if [ "$#" -eq 0 ]; then set -- serve; fi
exec .build/release/likeness "$@"
