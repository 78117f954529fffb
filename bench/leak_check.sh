#!/usr/bin/env bash
# 1) 1,000 rounds of decode + detect + embed (plus the error paths) in one process: RSS must stay flat.
# 2) valgrind memcheck over the CLI on a photo and on broken inputs: no definite leaks.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${SHARED_DIR:-../shared}"
img="$SHARED/faces/face_recognition/obama-240p.jpg"
swift build -c release --product likeness-bench >&2
swift build -c release --product likeness >&2
.build/release/likeness-bench leak "$img" "${ITERATIONS:-1000}"

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
head -c 3000 "$img" > "$tmp/truncated.jpg"
echo "not an image" > "$tmp/text.jpg"
# A PNG with intact chunks but scrambled pixel data reaches OpenCV's decoder and fails there.
python3 - "$SHARED/faces/face_recognition/alex-lacamoire.png" "$tmp/corrupt.png" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
i = data.index(b"IDAT") + 40
data[i:i + 64] = bytes(b ^ 0x5A for b in data[i:i + 64])
open(sys.argv[2], "wb").write(data)
PY
# valgrind 3.19 cannot read the DWARF 5 that Swift's clang emits; symbols are enough for it.
cp .build/release/likeness "$tmp/likeness" && strip --strip-debug "$tmp/likeness"
valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 \
  --log-file="$tmp/valgrind.log" "$tmp/likeness" embed "$img" "$tmp/truncated.jpg" "$tmp/text.jpg" "$tmp/corrupt.png" \
  >"$tmp/out.jsonl" || status=$?
cut -c1-120 "$tmp/out.jsonl"
grep -E "definitely lost|indirectly lost|ERROR SUMMARY" "$tmp/valgrind.log"
if [ "${status:-0}" = 3 ]; then
  grep -B2 -A25 "definitely lost in" "$tmp/valgrind.log" | head -80
  echo "VALGRIND: definite leaks in the vision shims"; exit 1
fi
echo "VALGRIND: no definite leaks in the OpenCV and dlib shims"

# 3) valgrind over the FAISS shim, the scan kernels and snapshots, error paths included.
cp .build/release/likeness-bench "$tmp/likeness-bench" && strip --strip-debug "$tmp/likeness-bench"
status=0
valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 \
  --log-file="$tmp/valgrind-index.log" "$tmp/likeness-bench" shim-check || status=$?
grep -E "definitely lost|indirectly lost|ERROR SUMMARY" "$tmp/valgrind-index.log"
if [ "$status" != 0 ]; then
  grep -B2 -A25 "definitely lost in\|Invalid" "$tmp/valgrind-index.log" | head -80
  echo "VALGRIND: problems in the index shims (status $status)"; exit 1
fi
echo "VALGRIND: no definite leaks or memory errors in the FAISS shim and kernels"
