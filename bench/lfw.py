"""LFW View 1 training pairs (pairsDevTrain.txt) through `likeness embed`.

Prints accuracy at the best threshold and at the pack's default threshold, the images with no
face found, and the median milliseconds of each pipeline stage. LFW's subject is the face in the
middle of each 250x250 image, so the face nearest the centre is used. Two protocols:
- strict: the pipeline as configured; a pair with an image where no face was found counts as wrong;
- retry: images with no face are run again with a lower detector threshold (HOG threshold - 0.5
  for dlib, score threshold 0.3 for the ONNX detectors; the LFW convention that every pair gets an
  answer; not the server's default, since a lower threshold also finds false faces, such as one in
  dlib/dogs.jpg).
Several packs run one after the other in the same run, each given as one argument holding its
`likeness embed` options; a table compares them at the end. Usage (from the repo root):

    bench/lfw.sh                       # dlib, YuNet + MobileFaceNet, SCRFD-500M + MobileFaceNet
    bench/lfw.sh "--pack dlib"         # one pack
"""
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

LIKENESS = sys.argv[1] if len(sys.argv) > 1 else ".build/release/likeness"
LFW = Path(sys.argv[2] if len(sys.argv) > 2 else "../shared/faces/lfw-devtrain").resolve()
CONFIGS = sys.argv[3:] or ["--pack dlib"]


def image(name, n):
    return LFW / name / f"{name}_{int(n):04d}.jpg"


def pairs():
    lines = (LFW / "pairsDevTrain.txt").read_text().split("\n")
    count = int(lines[0])
    out = []
    for line in lines[1:1 + 2 * count]:
        f = line.split("\t")
        if len(f) == 3:
            out.append((image(f[0], f[1]), image(f[0], f[2]), True))
        elif len(f) == 4:
            out.append((image(f[0], f[1]), image(f[2], f[3]), False))
    return out


def best_threshold(scored):
    """The threshold maximising accuracy over (similarity, same) pairs, and that accuracy."""
    ordered = sorted(scored, key=lambda s: s[0])
    positives = sum(1 for _, same in ordered if same)
    # Threshold just above ordered[i]: everything <= it is called "different".
    best_correct, best_t = positives, ordered[0][0] - 1e-6
    negatives_below = positives_below = 0
    for i, (sim, same) in enumerate(ordered):
        if same:
            positives_below += 1
        else:
            negatives_below += 1
        if i + 1 < len(ordered) and ordered[i + 1][0] == sim:
            continue
        correct = negatives_below + (positives - positives_below)
        if correct > best_correct:
            nxt = ordered[i + 1][0] if i + 1 < len(ordered) else sim + 1e-3
            best_correct, best_t = correct, (sim + nxt) / 2
    return best_t, best_correct / len(ordered)


def central_face(rec):
    cx, cy = rec["width"] / 2, rec["height"] / 2
    return min(rec["faces"], key=lambda f: (f["box"][0] + f["box"][2] / 2 - cx) ** 2 + (f["box"][1] + f["box"][3] / 2 - cy) ** 2)


def embed(paths, extra):
    run = subprocess.run([LIKENESS, "embed", *extra, "--list", "-"], input="\n".join(paths), capture_output=True, text=True)
    return [json.loads(line) for line in run.stdout.splitlines()]


def score(all_pairs, embeddings):
    scored, missing_pairs = [], 0
    for a, b, same in all_pairs:
        ea, eb = embeddings.get(str(a)), embeddings.get(str(b))
        if ea is None or eb is None:
            missing_pairs += 1
            # A pair whose face was not found cannot be verified: it counts as a wrong answer.
            scored.append((float("-inf") if same else float("inf"), same))
            continue
        scored.append((sum(x * y for x, y in zip(ea, eb)), same))
    return scored, missing_pairs


def report(label, scored, missing_pairs, t_default):
    t_best, acc_best = best_threshold(scored)
    acc_default = sum(1 for s, same in scored if (s >= t_default) == same) / len(scored)
    print(f"[{label}] pairs missing a face: {missing_pairs}; accuracy at best threshold {t_best:.3f}: {acc_best * 100:.2f}%;"
          f" at default threshold {t_default:.3f}: {acc_default * 100:.2f}%")
    return acc_best


def retry_options(pack):
    return ["--adjust-threshold", "-0.5"] if pack == "dlib" else ["--score-threshold", "0.3"]


def run(EXTRA):
    info = json.loads(subprocess.run([LIKENESS, "info", *EXTRA], capture_output=True, text=True, check=True).stdout)
    all_pairs = pairs()
    paths = sorted({str(p) for a, b, _ in all_pairs for p in (a, b)})
    started = time.time()
    records = embed(paths, EXTRA)
    wall = time.time() - started
    embeddings, stages, no_face, errors = {}, {}, [], 0
    for rec in records:
        if "error" in rec:
            errors += 1
            continue
        for name, ms in rec["timings_ms"].items():
            stages.setdefault(name, []).append(ms)
        if rec["faces"]:
            embeddings[rec["path"]] = central_face(rec)["embedding"]
        else:
            no_face.append(rec["path"])
    print(f"== pack {info['pack']}: recognizer {info['recognizer']} ({info['dimension']}-d), options: {' '.join(EXTRA)}")
    print(f"pairs: {len(all_pairs)}  images: {len(paths)}  no face found: {len(no_face)}  errors: {errors}")
    strict = report("strict", *score(all_pairs, embeddings), info["default_threshold"])
    retried = embed(no_face, [*EXTRA, *retry_options(info["pack"])])
    for rec in retried:
        if rec.get("faces"):
            embeddings[rec["path"]] = central_face(rec)["embedding"]
    print(f"retry at a lower detector threshold found faces in {sum(1 for r in retried if r.get('faces'))} of {len(no_face)} images")
    retry = report("retry", *score(all_pairs, embeddings), info["default_threshold"])
    found = [(s, same) for s, same in score(all_pairs, embeddings)[0] if abs(s) != float("inf")]
    print(f"accuracy at best threshold over pairs with both faces found: {best_threshold(found)[1] * 100:.2f}%")
    medians = ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in stages.items())
    print("median ms per stage: " + medians)
    print(f"wall time: {wall:.1f} s for {len(paths)} images ({wall / len(paths) * 1000:.1f} ms/image, one process)")
    return {"pack": info["pack"], "strict": strict, "retry": retry, "no_face": len(no_face), "images": len(paths),
            "ms_per_image": wall / len(paths) * 1000, "medians": medians}


def main():
    rows = []
    for config in CONFIGS:
        rows.append(run(config.split()))
        print()
    print("| pack | accuracy strict | accuracy retry | no face (of images) | ms/image | median ms per stage |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['pack']} | {r['strict'] * 100:.2f}% | {r['retry'] * 100:.2f}% | {r['no_face']} of {r['images']} |"
              f" {r['ms_per_image']:.1f} | {r['medians']} |")


if __name__ == "__main__":
    main()
