#!/usr/bin/env python3
"""Prints one gallery size of bench/e2e.sh side by side, and Likeness's ratios to the best reference run.
   e2e_summary.py REF_1x2.json REF_2x1.json LIKENESS.json"""
import json
import sys

ref_a, ref_b, ours = (json.load(open(p)) for p in sys.argv[1:4])
names = {"reference 1x2": ref_a, "reference 2x1": ref_b, "likeness": ours}
levels = sorted({r["concurrency"] for r in ours["runs"]})


def phase(report, c):
    return next((r for r in report["runs"] if r["concurrency"] == c), None)


def rss(report):
    return report.get("server_memory", {}).get("vmhwm_mb")


head = f"{'run':14} {'c=1 p50':>8} {'c=1 p99':>8}" + "".join(f" {'c=' + str(c) + ' req/s':>11}" for c in levels if c > 1)
print(head + f" {'errors':>7} {'rank-1':>7} {'peak RSS MB':>12} {'gallery':>9}")
for name, report in names.items():
    one = phase(report, 1)
    row = f"{name:14} {one['latency_ms']['p50']:8.1f} {one['latency_ms']['p99']:8.1f}"
    for c in levels:
        if c > 1:
            p = phase(report, c)
            row += f" {p['throughput_rps'] if p else float('nan'):11.1f}"
    errors = sum(p["errors"] for p in report["runs"])
    last = phase(report, max(levels)) or one
    acc = last.get("accuracy", {}).get("rank1_accuracy")
    print(row + f" {errors:7d} {acc if acc is not None else '-':>7} {rss(report) or '-':>12} {report.get('gallery', {}).get('after') or '-':>9}")

best_p50 = min(phase(r, 1)["latency_ms"]["p50"] for r in (ref_a, ref_b))
line = f"likeness / best reference: c=1 p50 {phase(ours, 1)['latency_ms']['p50'] / best_p50:.2f}x (target <= 0.5x)"
for c in levels:
    if c > 1:
        best = max((phase(r, c) or {}).get("throughput_rps", 0) for r in (ref_a, ref_b))
        line += f", c={c} throughput {phase(ours, c)['throughput_rps'] / best:.2f}x" if best else ""
best_rss = min(rss(r) or 1e12 for r in (ref_a, ref_b))
if rss(ours):
    line += f", peak RSS {rss(ours) / best_rss:.2f}x"
print(line + " (targets: throughput >= 1.5x with the same files, >= 2x int8; RSS <= 1x)")
