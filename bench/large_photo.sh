#!/usr/bin/env bash
# Per-stage times for a 20 MP phone-sized photo with each pack: detection runs on a downscaled
# copy, alignment and embedding on the full-resolution pixels. The photo is a group photo from
# ../shared/faces upscaled to 5472x3648 (20 MP, JPEG q92); each pack embeds it RUNS times in one
# process and the medians are printed.
#   bench/large_photo.sh [LIKENESS_BINARY]      env: RUNS (5), PHOTO (../shared/faces/insightface/t1.jpg)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-.build/release/likeness}"
if [ ! -x "$bin" ]; then source scripts/find-swift.sh; swift build -c release --product likeness >&2; fi
py="$(bench/onnx_reference_venv.sh)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$py" - "${PHOTO:-../shared/faces/insightface/t1.jpg}" "$out/20mp.jpg" <<'PY'
import sys, cv2
img = cv2.imread(sys.argv[1])
big = cv2.resize(img, (5472, 3648), interpolation=cv2.INTER_CUBIC)
cv2.imwrite(sys.argv[2], big, [cv2.IMWRITE_JPEG_QUALITY, 92])
PY
photos=()
for _ in $(seq 1 "${RUNS:-5}"); do photos+=("$out/20mp.jpg"); done
printf '%-26s %6s %9s %9s %9s %9s %9s %9s\n' pack faces "decode" "detect" "landmarks" "align" "embed" "total ms"
for pack in dlib bench/packs/yunet-mobilefacenet.json bench/packs/scrfd500m-mobilefacenet.json bench/packs/scrfd2.5g-mobilefacenet.json; do
  LIKENESS_MODEL_DIR="$(pwd)/data/models" "$bin" embed --pack "$pack" --no-liveness --no-attributes "${photos[@]}" > "$out/run.jsonl" 2>/dev/null || true
  python3 - "$pack" "$out/run.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
rows = [r for r in rows if "faces" in r][1:] or rows  # the first run warms the sessions
def med(k):
    v = [r.get("timings_ms", {}).get(k) for r in rows]
    v = [x for x in v if x is not None]
    return f"{statistics.median(v):9.1f}" if v else f"{'-':>9}"
total = statistics.median(sum(r.get("timings_ms", {}).values()) for r in rows) if rows else float("nan")
name = sys.argv[1].split("/")[-1].removesuffix(".json")
print(f"{name:26} {len(rows[0].get('faces', [])) if rows else 0:6d} {med('decode')} {med('detect')} {med('landmarks')} {med('align')} {med('embed')} {total:9.1f}")
PY
done
