#!/usr/bin/env bash
# One command for a newcomer: install everything (scripts/setup.sh), build the release
# binary, and run it. Arguments go to `likeness`; with none it prints the model pack in use.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh
swift build -c release --product likeness
if [ "$#" -eq 0 ]; then set -- info; fi
exec .build/release/likeness "$@"
