#!/usr/bin/env python3
"""Prints bench/e2e.sh's runs side by side and Likeness's ratios to the best reference run."""
import json
import sys

ref_a, ref_b, ours = (json.load(open(p)) for p in sys.argv[1:4])
names = {"reference 1x2": ref_a, "reference 2x1": ref_b, "likeness": ours}


def phase(report, c):
    return next(r for r in report["runs"] if r["concurrency"] == c)


print(f"{'run':16} {'c=1 p50':>8} {'c=1 p99':>8} {'c=1 req/s':>10} {'c=4 p50':>8} {'c=4 req/s':>10} {'errors':>7} "
      f"{'rank-1':>7} {'peak RSS MB':>12} gallery")
for name, report in names.items():
    one, four = phase(report, 1), phase(report, 4)
    acc = four.get("accuracy", {}).get("rank1_accuracy")
    rss = report.get("server_memory", {}).get("vmhwm_mb")
    print(f"{name:16} {one['latency_ms']['p50']:8.1f} {one['latency_ms']['p99']:8.1f} {one['throughput_rps']:10.1f} "
          f"{four['latency_ms']['p50']:8.1f} {four['throughput_rps']:10.1f} {one['errors'] + four['errors']:7d} "
          f"{acc if acc is not None else '-':>7} {rss if rss is not None else '-':>12} {report.get('gallery', {}).get('after')}")

best_p50 = min(phase(r, 1)["latency_ms"]["p50"] for r in (ref_a, ref_b))
best_rps = max(phase(r, 4)["throughput_rps"] for r in (ref_a, ref_b))
best_rss = min(r.get("server_memory", {}).get("vmhwm_mb") or 1e9 for r in (ref_a, ref_b))
p50 = phase(ours, 1)["latency_ms"]["p50"]
rps = phase(ours, 4)["throughput_rps"]
rss = ours.get("server_memory", {}).get("vmhwm_mb")
print(f"likeness / best reference: c=1 p50 {p50 / best_p50:.2f}x (target <= 0.5x), c=4 throughput {rps / best_rps:.2f}x "
      f"(target >= 1.5x), peak RSS {rss / best_rss:.2f}x" if rss else "")
