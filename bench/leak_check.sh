#!/usr/bin/env bash
# 1) 1,000 rounds of decode + detect + embed (plus the error paths) in one process: RSS must stay flat.
# 2) valgrind memcheck over the CLI on a photo and on broken inputs: no definite leaks.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${SHARED_DIR:-../shared}"
img="$SHARED/faces/face_recognition/obama-240p.jpg"
swift build -c release --product likeness-bench >&2
.build/release/likeness-bench leak "$img" "${ITERATIONS:-1000}"
# The ONNX path: YuNet, the ArcFace alignment and network, both MiniFASNets, through OpenCV DNN.
.build/release/likeness-bench leak "$img" "${ITERATIONS:-1000}" bench/packs/yunet-mobilefacenet.json

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
# JPEGs that reach libjpeg: one with scrambled scan data (decoded with warnings, as OpenCV
# does), one with a bogus Huffman table (libjpeg's error exit: the shim's longjmp path).
python3 - "$SHARED/faces/lfw-devtrain/AJ_Cook/AJ_Cook_0001.jpg" "$tmp/corrupt.jpg" "$tmp/bad-huffman.jpg" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
scrambled = bytearray(data)
i = len(data) // 2
scrambled[i:i + 64] = bytes(b ^ 0x13 for b in data[i:i + 64])
open(sys.argv[2], "wb").write(scrambled)
d = data.index(b"\xff\xc4")
data[d + 5:d + 21] = b"\xff" * 16
open(sys.argv[3], "wb").write(data)
PY
# valgrind 3.19 cannot read the DWARF 5 that Swift's clang emits; symbols are enough for it.
# It also crashes inside itself ("the impossible happened", even with --tool=none and --help) on
# the likeness executable since it links the server, so the vision paths run in likeness-bench,
# which links the same library and shims.
cp .build/release/likeness-bench "$tmp/likeness-bench" && strip --strip-debug "$tmp/likeness-bench"
valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 --suppressions=bench/valgrind-onnxruntime.supp \
  --log-file="$tmp/valgrind.log" "$tmp/likeness-bench" vision-check - "$img" "$tmp/truncated.jpg" "$tmp/text.jpg" "$tmp/corrupt.png" \
  "$tmp/corrupt.jpg" "$tmp/bad-huffman.jpg" >"$tmp/out.jsonl" || status=$?
cut -c1-120 "$tmp/out.jsonl"
grep -E "definitely lost|indirectly lost|ERROR SUMMARY" "$tmp/valgrind.log"
if [ "${status:-0}" = 3 ]; then
  grep -B2 -A25 "definitely lost in" "$tmp/valgrind.log" | head -80
  echo "VALGRIND: definite leaks in the vision shims"; exit 1
fi
echo "VALGRIND: no definite leaks in the OpenCV and dlib shims"

# 2b) the same over the ONNX packs (SCRFD, MobileFaceNet and MiniFASNet through ONNX Runtime, YuNet through FaceDetectorYN,
# MiniFASNet), and a pack whose recognizer file is truncated (the load error path).
for pack in bench/packs/yunet-mobilefacenet.json bench/packs/scrfd500m-mobilefacenet.json; do
  status=0
  valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 --suppressions=bench/valgrind-onnxruntime.supp \
    --log-file="$tmp/valgrind-onnx.log" "$tmp/likeness-bench" vision-check "$pack" "$img" "$tmp/truncated.jpg" "$tmp/corrupt.png" \
    >"$tmp/out.jsonl" || status=$?
  echo "$pack: $(grep -E "definitely lost|ERROR SUMMARY" "$tmp/valgrind-onnx.log" | tr -s ' ' | cut -d' ' -f2- | tr '\n' ' ')"
  if [ "$status" = 3 ]; then
    grep -B2 -A25 "definitely lost in" "$tmp/valgrind-onnx.log" | head -80
    echo "VALGRIND: definite leaks on the ONNX path"; exit 1
  fi
done
head -c 2000000 "$SHARED/models/mobilefacenet_128.onnx" > "$tmp/truncated.onnx"
python3 - "$SHARED/models" "$tmp/truncated.onnx" "$tmp/bad-pack.json" <<'PY'
import json, os, sys
pack = json.load(open("bench/packs/yunet-mobilefacenet.json"))
models = os.path.abspath(sys.argv[1])
for part in [pack["detector"], pack["recognizer"], *pack["liveness"]["models"]]:
    part["model"]["file"] = part["model"]["file"].replace("../../../shared/models", models)
pack["recognizer"]["model"] = {"file": sys.argv[2]}
json.dump(pack, open(sys.argv[3], "w"))
PY
status=0
valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 --suppressions=bench/valgrind-onnxruntime.supp \
  --log-file="$tmp/valgrind-bad.log" "$tmp/likeness-bench" vision-check "$tmp/bad-pack.json" >"$tmp/out.json" || status=$?
cut -c1-160 "$tmp/out.json"
grep -E "definitely lost|ERROR SUMMARY" "$tmp/valgrind-bad.log"
[ "$status" = 3 ] && { echo "VALGRIND: definite leaks on the model load error path"; exit 1; }
echo "VALGRIND: no definite leaks in the DNN and YuNet shims, on success and error paths"

# 3) valgrind over the FAISS shim, the scan kernels and snapshots, error paths included.
status=0
valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 --suppressions=bench/valgrind-onnxruntime.supp \
  --log-file="$tmp/valgrind-index.log" "$tmp/likeness-bench" shim-check || status=$?
grep -E "definitely lost|indirectly lost|ERROR SUMMARY" "$tmp/valgrind-index.log"
if [ "$status" != 0 ]; then
  grep -B2 -A25 "definitely lost in\|Invalid" "$tmp/valgrind-index.log" | head -80
  echo "VALGRIND: problems in the index shims (status $status)"; exit 1
fi
echo "VALGRIND: no definite leaks or memory errors in the FAISS shim and kernels"
