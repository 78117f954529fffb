"""LFW View 1 training pairs (pairsDevTrain.txt) through `likeness embed`.

Prints accuracy at the best threshold and at the pack's default threshold, the images with no
face found, and the median milliseconds of each pipeline stage. Usage (from the repo root):

    bench/lfw.sh                       # builds in release and runs this with python3
"""
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

LIKENESS = sys.argv[1] if len(sys.argv) > 1 else ".build/release/likeness"
LFW = Path(sys.argv[2] if len(sys.argv) > 2 else "../shared/faces/lfw-devtrain").resolve()
EXTRA = sys.argv[3:]


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


def main():
    info = json.loads(subprocess.run([LIKENESS, "info", *EXTRA], capture_output=True, text=True, check=True).stdout)
    all_pairs = pairs()
    paths = sorted({str(p) for a, b, _ in all_pairs for p in (a, b)})
    started = time.time()
    run = subprocess.run([LIKENESS, "embed", "--list", "-", *EXTRA], input="\n".join(paths), capture_output=True, text=True)
    wall = time.time() - started
    embeddings, stages, no_face, errors = {}, {}, 0, 0
    for line in run.stdout.splitlines():
        rec = json.loads(line)
        if "error" in rec:
            errors += 1
            continue
        for name, ms in rec["timings_ms"].items():
            stages.setdefault(name, []).append(ms)
        if rec["faces"]:
            embeddings[rec["path"]] = rec["faces"][0]["embedding"]
        else:
            no_face += 1
    scored, missing_pairs = [], 0
    for a, b, same in all_pairs:
        ea, eb = embeddings.get(str(a)), embeddings.get(str(b))
        if ea is None or eb is None:
            missing_pairs += 1
            # A pair whose face was not found cannot be verified: it counts as a wrong answer.
            scored.append((float("-inf") if same else float("inf"), same))
            continue
        scored.append((sum(x * y for x, y in zip(ea, eb)), same))
    t_best, acc_best = best_threshold(scored)
    t_default = info["default_threshold"]
    acc_default = sum(1 for s, same in scored if (s >= t_default) == same) / len(scored)
    found = [(s, same) for s, same in scored if abs(s) != float("inf")]
    _, acc_found = best_threshold(found)
    print(f"recognizer: {info['recognizer']} ({info['dimension']}-d)")
    print(f"pairs: {len(scored)}  images: {len(paths)}  no face found: {no_face}  errors: {errors}  pairs missing a face: {missing_pairs}")
    print(f"accuracy at best threshold {t_best:.3f}: {acc_best * 100:.2f}%  (missing faces count as wrong)")
    print(f"accuracy at default threshold {t_default:.3f}: {acc_default * 100:.2f}%")
    print(f"accuracy at best threshold over pairs with both faces found: {acc_found * 100:.2f}%")
    print("median ms per stage: " + ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in stages.items()))
    print(f"wall time: {wall:.1f} s for {len(paths)} images ({wall / len(paths) * 1000:.1f} ms/image, one process)")
    print("TARGET MET (>= 99.0%)" if acc_best >= 0.99 else "TARGET MISSED (< 99.0%)")


if __name__ == "__main__":
    main()
