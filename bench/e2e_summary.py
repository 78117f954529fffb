#!/usr/bin/env python3
"""Prints one gallery size of bench/e2e.sh side by side: every round's runs, each round's ratios of
Likeness to the best reference configuration of that round, and the medians of those ratios.
   e2e_summary.py REF_1x2.json REF_2x1.json LIKENESS.json [REF_1x2.json REF_2x1.json LIKENESS.json ...]
(one triple per round)."""
import json
import statistics
import sys

paths = sys.argv[1:]
if not paths or len(paths) % 3:
    sys.exit(__doc__)
rounds = [tuple(json.load(open(p)) for p in paths[i:i + 3]) for i in range(0, len(paths), 3)]
levels = sorted({r["concurrency"] for r in rounds[0][2]["runs"]})


def phase(report, c):
    return next((r for r in report["runs"] if r["concurrency"] == c), None)


def rss(report):
    return report.get("server_memory", {}).get("vmhwm_mb")


def ratios(ref_a, ref_b, ours):
    """Likeness against the better reference run of the same round, per figure."""
    out = {"c=1 p50": phase(ours, 1)["latency_ms"]["p50"] / min(phase(r, 1)["latency_ms"]["p50"] for r in (ref_a, ref_b))}
    for c in levels:
        if c > 1:
            best = max((phase(r, c) or {}).get("throughput_rps", 0) for r in (ref_a, ref_b))
            if best:
                out[f"c={c} throughput"] = phase(ours, c)["throughput_rps"] / best
    best_rss = min(rss(r) or 1e12 for r in (ref_a, ref_b))
    if rss(ours):
        out["peak RSS"] = rss(ours) / best_rss
    return out


label = "run" if len(rounds) == 1 else "round / run"
head = f"{label:18} {'c=1 p50':>8} {'c=1 p99':>8}" + "".join(f" {'c=' + str(c) + ' req/s':>11}" for c in levels if c > 1)
print(head + f" {'errors':>7} {'rank-1':>7} {'peak RSS MB':>12} {'gallery':>9}")
for n, triple in enumerate(rounds, 1):
    for name, report in zip(("reference 1x2", "reference 2x1", "likeness"), triple):
        one = phase(report, 1)
        title = name if len(rounds) == 1 else f"{n} {name}"
        row = f"{title:18} {one['latency_ms']['p50']:8.1f} {one['latency_ms']['p99']:8.1f}"
        for c in levels:
            if c > 1:
                p = phase(report, c)
                row += f" {p['throughput_rps'] if p else float('nan'):11.1f}"
        errors = sum(p["errors"] for p in report["runs"])
        last = phase(report, max(levels)) or one
        acc = last.get("accuracy", {}).get("rank1_accuracy")
        print(row + f" {errors:7d} {acc if acc is not None else '-':>7} {rss(report) or '-':>12} {report.get('gallery', {}).get('after') or '-':>9}")

# Where a lone request's time goes, from each server's Server-Timing header (medians per stage).
for n, triple in enumerate(rounds, 1):
    for name, report in zip(("reference 1x2", "reference 2x1", "likeness"), triple):
        stages = (phase(report, 1) or {}).get("server_timing_ms_p50")
        if stages:
            title = name if len(rounds) == 1 else f"{n} {name}"
            print(f"{title:18} c=1 stages (p50 ms): " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))

per_round = [ratios(*triple) for triple in rounds]
targets = " (targets: c=1 p50 <= 0.5x; throughput >= 1.5x with the same files, >= 2x int8; RSS <= 1x)"
for n, r in enumerate(per_round, 1):
    prefix = "likeness / best reference" if len(rounds) == 1 else f"round {n}: likeness / best reference"
    print(f"{prefix}: " + ", ".join(f"{k} {v:.2f}x" for k, v in r.items()) + (targets if len(rounds) == 1 else ""))
if len(rounds) > 1:
    medians = {k: statistics.median(r[k] for r in per_round if k in r) for k in per_round[0]}
    print(f"median of {len(rounds)} rounds: " + ", ".join(f"{k} {v:.2f}x" for k, v in medians.items()) + targets)
