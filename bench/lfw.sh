#!/usr/bin/env bash
# LFW DevTrain pairs through the release build; extra arguments go to `likeness embed`.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product likeness >&2
python3 bench/lfw.py .build/release/likeness "${SHARED_DIR:-../shared}/faces/lfw-devtrain" "$@"
