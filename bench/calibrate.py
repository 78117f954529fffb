#!/usr/bin/env python3
"""Fits each pack's similarity calibration and measures open-set identification.

    bench/calibrate.py LIKENESS_BINARY FACES_DIR "PACK OPTIONS" ...      (see bench/calibrate.sh)

For every pack (one argument of `likeness embed` options) it embeds LFW DevTrain and the deepface
photos (cached under bench/.cache), then:

1. **Calibration** (what ships in the pack): every pair of faces of the same person is a genuine
   pair, every pair of different people an impostor pair (millions). The false match rate
   FMR(s) = share of impostor pairs at cosine >= s; the true match rate TMR(s) likewise for
   genuine pairs. The table holds the cosine at every quarter decade of FMR from 1 down to
   1e-8; below what the pairs can measure (fewer than 100 impostor pairs above), a Gaussian
   tail fitted to the measured decades from 1e-3 down carries it on. Printed as JSON for pack.json
   and as Swift for the built-in dlib pack.
2. **Open set, cross-validated**: LFW identities split in two folds by name. The calibration is
   fitted on one fold (plus deepface) and evaluated on the other, then the other way round:
   people with two or more photos are enrolled with their first and probed with the rest;
   half of the one-photo people are strangers (probes that must come back "unknown"), the
   other half, and the fitting fold's people, pad the gallery as distractors. Printed per
   gallery size (100, 1,000, the largest): the detection-and-identification rate (DIR: the
   top-1 is the right person and passes) and the false positive identification rate (FPIR:
   a stranger's top-1 passes) at the server's default (FMR = 1% / gallery faces), and the DIR
   at the empirical FPIR of 1% and 0.1%.
"""
import hashlib
import json
import os
import subprocess
import sys
from statistics import NormalDist
from pathlib import Path

import numpy as np

LIKENESS = sys.argv[1]
FACES = Path(sys.argv[2]).resolve()
CONFIGS = sys.argv[3:]
CACHE = Path(__file__).resolve().parent / ".cache"
# The server's default (--false-positive-identification-rate): half the 1% bound it must keep,
# a margin for the sampling error of a calibration fitted on a few thousand photos.
TARGET_FPIR = float(os.environ.get("TARGET_FPIR", "0.005"))
REPO = Path(__file__).resolve().parent.parent
LOG_FMR_GRID = [-q / 4 for q in range(0, 33)]  # 1 ... 1e-8
MIN_PAIRS = 100


def images():
    """(path, identity, source) for every labelled photo."""
    out = []
    lfw = FACES / "lfw-devtrain"
    for person in sorted(p for p in lfw.iterdir() if p.is_dir()):
        for f in sorted(person.glob("*.jpg")):
            out.append((str(f), "lfw:" + person.name, "lfw"))
    for line in (FACES / "deepface" / "DERIVED_identities.csv").read_text().splitlines()[1:]:
        file, identity = line.split(",")[:2]
        path = FACES / "deepface" / Path(file).name
        if path.exists():
            out.append((str(path), "deepface:" + identity, "deepface"))
    return out


def embed(config, paths):
    key = hashlib.sha256((config + "\n".join(paths)).encode()).hexdigest()[:16]
    cache = CACHE / f"calibrate-{key}.jsonl"
    if not cache.exists() or os.environ.get("CALIBRATE_FRESH"):
        CACHE.mkdir(exist_ok=True)
        run = subprocess.run([LIKENESS, "embed", *config.split(), "--list", "-"], input="\n".join(paths),
                             capture_output=True, text=True, check=True)
        cache.write_text(run.stdout)
    records = {}
    for line in cache.read_text().splitlines():
        rec = json.loads(line)
        if rec.get("faces"):
            # LFW's subject is the face nearest the centre; elsewhere the largest face.
            cx, cy = rec["width"] / 2, rec["height"] / 2
            face = min(rec["faces"], key=lambda f: (f["box"][0] + f["box"][2] / 2 - cx) ** 2 + (f["box"][1] + f["box"][3] / 2 - cy) ** 2) \
                if "lfw-devtrain" in rec["path"] else rec["faces"][0]
            records[rec["path"]] = np.asarray(face["embedding"], dtype=np.float64)
    return records


def pair_scores(vectors, labels):
    """Genuine and impostor cosines over all pairs. Pairs across datasets count as neither:
    deepface's people include LFW's (Angelina Jolie, Matt Damon...) under other labels."""
    e = np.stack(vectors)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    s = e @ e.T
    iu = np.triu_indices(len(vectors), k=1)
    lab = np.asarray(labels)
    same = lab[iu[0]] == lab[iu[1]]
    dataset = np.asarray([x.split(":")[0] for x in labels])
    comparable = dataset[iu[0]] == dataset[iu[1]]
    scores = s[iu]
    return np.sort(scores[same]), np.sort(scores[~same & comparable])


def fit(genuine, impostor):
    """[(cosine, log10 FMR, TMR)] at every quarter decade of FMR; extrapolated past the data."""
    n = len(impostor)
    measured = []
    for lf in LOG_FMR_GRID:
        above = int(round(10 ** lf * n))
        if above < MIN_PAIRS and lf < 0:
            break
        # The cosine with `above` impostor pairs at or over it.
        cos = impostor[-above] if 0 < above <= n else impostor[0]
        measured.append((float(cos), lf))
    # Past the data, a Gaussian tail: cosine = a + b z, z the normal quantile of 1 - FMR, fitted
    # over the measured decades from 1e-3 down. A straight line in log10 FMR, fitted to the
    # last few dozen pairs, would follow a handful of look-alike pairs and overshoot.
    tail = [(c, lf) for c, lf in measured if lf <= -3]
    b, a = np.polyfit([NormalDist().inv_cdf(1 - 10 ** lf) for _, lf in tail], [c for c, _ in tail], 1)
    points = list(measured)
    for lf in LOG_FMR_GRID[len(measured):]:
        points.append((float(a + b * NormalDist().inv_cdf(1 - 10 ** lf)), lf))
    table, last = [], -2.0
    for cos, lf in points:
        cos = max(cos, last + 1e-4)  # strictly increasing cosine as FMR falls
        last = cos
        tmr = float(np.mean(genuine >= cos))
        table.append((round(cos, 4), lf, round(tmr, 4)))
    return table, len(measured)


def fmr_at(table, cosine):
    """log10 FMR at a cosine, interpolated as the server does."""
    cs = [c for c, _, _ in table]
    ls = [lf for _, lf, _ in table]
    return float(np.interp(cosine, cs, ls, left=ls[0], right=ls[-1]))


def cosine_at(table, log_fmr):
    cs = [c for c, _, _ in table]
    ls = [lf for _, lf, _ in table]
    return float(np.interp(-log_fmr, [-x for x in ls], cs))


def open_set(gallery_vectors, gallery_ids, genuine_probes, stranger_probes):
    """Top-1 (score, identity) of every probe."""
    g = np.stack(gallery_vectors)
    g /= np.linalg.norm(g, axis=1, keepdims=True)

    def top1(vectors):
        if not vectors:
            return np.zeros(0), []
        p = np.stack(vectors)
        p /= np.linalg.norm(p, axis=1, keepdims=True)
        s = p @ g.T
        best = s.argmax(axis=1)
        return s[np.arange(len(vectors)), best], [gallery_ids[i] for i in best]

    gs, gi = top1([v for v, _ in genuine_probes])
    ss, _ = top1(stranger_probes)
    correct = np.asarray([a == b for a, (_, b) in zip(gi, genuine_probes)])
    return gs, correct, ss


def fold_of(identity):
    return int(hashlib.sha256(identity.encode()).hexdigest(), 16) % 2


def evaluate(embeddings, labelled):
    """Cross-validated open-set rows: one per (fold, gallery size)."""
    rng = np.random.default_rng(7)
    rows = []
    by_person = {}
    for path, identity, source in labelled:
        if path in embeddings:
            by_person.setdefault(identity, []).append(path)
    for fold in (0, 1):
        fit_people = [p for p in by_person if p.startswith("deepface:") or fold_of(p) != fold]
        fit_paths = [(path, p) for p in fit_people for path in by_person[p]]
        genuine, impostor = pair_scores([embeddings[x] for x, _ in fit_paths], [p for _, p in fit_paths])
        table, _ = fit(genuine, impostor)
        test = [p for p in by_person if p.startswith("lfw:") and fold_of(p) == fold]
        enrolled = [p for p in test if len(by_person[p]) >= 2]
        singles = [p for p in test if len(by_person[p]) == 1]
        rng.shuffle(singles)
        strangers, distractors = singles[: len(singles) // 2], singles[len(singles) // 2:]
        distractors += [p for p in fit_people if p.startswith("lfw:")]
        largest = len(enrolled) + len(distractors)
        for size in (100, 1000, largest):
            people = list(rng.permutation(enrolled))[: min(size, len(enrolled))]
            pads = list(rng.permutation(distractors))[: size - len(people)]
            gallery = [(embeddings[by_person[p][0]], p) for p in people + pads]
            probes = [(embeddings[x], p) for p in people for x in by_person[p][1:]]
            gs, correct, ss = open_set([v for v, _ in gallery], [p for _, p in gallery], probes,
                                       [embeddings[by_person[p][0]] for p in strangers])
            threshold = cosine_at(table, np.log10(TARGET_FPIR / len(gallery)))
            row = {"fold": fold, "gallery": len(gallery), "probes": len(probes), "strangers": len(ss),
                   "threshold": threshold, "fpir": float(np.mean(ss >= threshold)),
                   "dir": float(np.mean(correct & (gs >= threshold)))}
            for fpir in (0.01, 0.001):
                # The lowest threshold letting at most `fpir` of the strangers through.
                allowed = int(np.floor(fpir * len(ss)))
                t = np.sort(ss)[len(ss) - allowed - 1] + 1e-9 if len(ss) > allowed else -1
                row[f"dir@{fpir}"] = float(np.mean(correct & (gs >= t)))
            rows.append(row)
    return rows


def write(config, meta, calibration):
    """Stores the fit: in the pack file, or for the built-in dlib pack in Swift."""
    options = config.split()
    pack = options[options.index("--pack") + 1]
    if pack == "dlib":
        rows = ",\n".join(f"        .init(cosine: {c}, log10FalseMatchRate: {lf}, trueMatchRate: {t})" for c, lf, t in calibration["points"])
        (REPO / "Sources/LikenessVision/DlibCalibration.swift").write_text(f"""import LikenessCore

// Written by `CALIBRATE_WRITE=1 bench/calibrate.sh "--pack dlib"`: do not edit by hand.
extension DlibPack {{
    /// {calibration["source"]}.
    static let calibration = try! Calibration(source: "{calibration["source"]}", points: [
{rows},
    ], measuredLog10FalseMatchRate: {calibration["measured_log10_false_match_rate"]})
}}
""")
    else:
        path = REPO / pack
        data = json.loads(path.read_text())
        data["recognizer"]["calibration"] = calibration
        path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"   calibration written for {meta['pack']}")


def info(config):
    return json.loads(subprocess.run([LIKENESS, "info", *config.split()], capture_output=True, text=True, check=True).stdout)


def main():
    labelled = images()
    paths = [p for p, _, _ in labelled]
    summary = []
    for config in CONFIGS:
        meta = info(config)
        embeddings = embed(config, paths)
        found = [(p, i) for p, i, _ in labelled if p in embeddings]
        genuine, impostor = pair_scores([embeddings[p] for p, _ in found], [i for _, i in found])
        table, measured = fit(genuine, impostor)
        print(f"== pack {meta['pack']} ({meta['recognizer']}): {len(found)} of {len(paths)} photos with a face, "
              f"{len(genuine)} genuine and {len(impostor)} impostor pairs; measured down to FMR 1e{table[measured - 1][1]:g}")
        for cos, lf, tmr in table[::4]:
            print(f"   FMR 1e{lf:<5g} cosine {cos:7.4f}  TMR {tmr * 100:6.2f}%")
        print(f"   pack default threshold {meta['default_threshold']}: FMR {10 ** fmr_at(table, meta['default_threshold']):.2e}")
        calibration = {"source": f"bench/calibrate.py: LFW DevTrain + deepface, {len(genuine)} genuine / {len(impostor)} impostor pairs",
                       "points": [[c, lf, t] for c, lf, t in table], "measured_log10_false_match_rate": table[measured - 1][1]}
        print("pack.json \"calibration\": " + json.dumps(calibration))
        print(f"Swift: measured {table[measured - 1][1]}, points [" + ", ".join(f"({c}, {lf}, {t})" for c, lf, t in table) + "]")
        if os.environ.get("CALIBRATE_WRITE"):
            write(config, meta, calibration)
        rows = evaluate(embeddings, labelled)
        print(f"   {'fold':>4} {'gallery':>7} {'probes':>6} {'strangers':>9} {'threshold':>9} {'FPIR':>7} {'DIR':>7} {'DIR@FPIR1%':>10} {'DIR@FPIR0.1%':>12}")
        for r in rows:
            print(f"   {r['fold']:>4} {r['gallery']:>7} {r['probes']:>6} {r['strangers']:>9} {r['threshold']:9.4f} "
                  f"{r['fpir'] * 100:6.2f}% {r['dir'] * 100:6.2f}% {r['dir@0.01'] * 100:9.2f}% {r['dir@0.001'] * 100:11.2f}%")
        summary.append((meta["pack"], rows))
        print()
    print("| pack | gallery (both folds) | FPIR at default | DIR at default | DIR at FPIR 1% | DIR at FPIR 0.1% |")
    print("|---|---|---|---|---|---|")
    for pack, rows in summary:
        for i in range(3):
            pair = [r for r in rows if rows.index(r) % 3 == i]
            mean = lambda k: sum(r[k] for r in pair) / len(pair) * 100
            print(f"| {pack} | {' / '.join(str(r['gallery']) for r in pair)} | {mean('fpir'):.2f}% | {mean('dir'):.2f}% |"
                  f" {mean('dir@0.01'):.2f}% | {mean('dir@0.001'):.2f}% |")


if __name__ == "__main__":
    main()
