"""Parity of Likeness's dlib pipeline with the Python reference (face_recognition + dlib-bin).

Runs both on the same photos and prints, per face matched by box, the cosine between the two
embeddings, and the box and landmark differences; then the worst case. Usage (from the repo root):

    bench/parity_dlib.sh            # builds likeness in release, sets up the venv, runs this
"""
import json
import subprocess
import sys
from pathlib import Path

import face_recognition
import numpy as np
from face_recognition import api

SHARED = Path(sys.argv[2] if len(sys.argv) > 2 else "../shared").resolve()
LIKENESS = sys.argv[1] if len(sys.argv) > 1 else ".build/release/likeness"


def images():
    faces = SHARED / "faces"
    picked = sorted((faces / "deepface").glob("img*.jpg"))
    picked += sorted((faces / "face_recognition").glob("*.jpg"))
    picked += sorted((faces / "face_recognition" / "knn_examples").rglob("*.jp*g"))
    picked += [faces / "insightface" / "t1.jpg", faces / "dlib" / "2008_002470.jpg", faces / "dlib" / "bald_guys.jpg"]
    lfw = faces / "lfw-devtrain"
    picked += sorted(lfw.rglob("*.jpg"))[:150:3]
    return [p for p in picked if p.exists()]


def reference(path):
    img = face_recognition.load_image_file(str(path))
    locations = face_recognition.face_locations(img, number_of_times_to_upsample=1, model="hog")
    shapes = api._raw_face_landmarks(img, locations, model="small")
    encodings = face_recognition.face_encodings(img, locations, num_jitters=1, model="small")
    out = []
    for (top, right, bottom, left), shape, enc in zip(locations, shapes, encodings):
        enc = np.asarray(enc, dtype=np.float64)
        out.append({
            "box": [left, top, right - left, bottom - top],
            "landmarks": [[p.x, p.y] for p in shape.parts()],
            "norm": float(np.linalg.norm(enc)),
            "embedding": enc / np.linalg.norm(enc),
        })
    return out


def iou(a, b):
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    w = max(0, min(ax2, bx2) - max(a[0], b[0]))
    h = max(0, min(ay2, by2) - max(a[1], b[1]))
    inter = w * h
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


def main():
    paths = images()
    # No canvas bound: the reference scans every image at upsample 1, whatever its size.
    run = subprocess.run([LIKENESS, "embed", "--max-canvas-pixels", "0", "--list", "-"], input="\n".join(map(str, paths)),
                         capture_output=True, text=True)
    ours = {}
    for line in run.stdout.splitlines():
        rec = json.loads(line)
        ours[rec["path"]] = rec
    worst_cos, worst_box, worst_lm, missing, extra, compared = 1.0, 0.0, 0.0, 0, 0, 0
    worst_where = ""
    norms = []
    for path in paths:
        ref = reference(path)
        mine = ours.get(str(path), {}).get("faces", [])
        unmatched = list(mine)
        for face in ref:
            norms.append(face["norm"])
            best = max(unmatched, key=lambda m: iou(m["box"], face["box"]), default=None)
            if best is None or iou(best["box"], face["box"]) < 0.5:
                missing += 1
                print(f"MISSING  {path.name}: reference face {face['box']} not found by likeness")
                continue
            unmatched.remove(best)
            cos = float(np.dot(face["embedding"], np.asarray(best["embedding"], dtype=np.float64)))
            box = max(abs(x - y) for x, y in zip(face["box"], best["box"]))
            lm = max(abs(x - y) for p, q in zip(face["landmarks"], best["landmarks"]) for x, y in zip(p, q))
            compared += 1
            if cos < worst_cos:
                worst_cos, worst_where = cos, f"{path.name} {face['box']}"
            worst_box, worst_lm = max(worst_box, box), max(worst_lm, lm)
        extra += len(unmatched)
        for m in unmatched:
            print(f"EXTRA    {path.name}: likeness face {m['box']} not in the reference")
    print(f"images: {len(paths)}  faces compared: {compared}  missing: {missing}  extra: {extra}")
    print(f"reference descriptor norm: median {np.median(norms):.3f}")
    print(f"max box difference: {worst_box:.1f} px  max landmark difference: {worst_lm:.1f} px")
    print(f"worst embedding cosine: {worst_cos:.7f} (1 - cos = {1 - worst_cos:.1e}; {worst_where})")
    ok = compared > 0 and worst_cos >= 0.999 and missing == 0 and extra == 0
    print("PARITY OK (cosine >= 0.999 on every face)" if ok else "PARITY FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
