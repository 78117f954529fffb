"""The Python faiss-cpu package (PyPI) on the vectors likeness-bench exported, single-threaded
like our scan, then the comparison table. Run by bench/index_bench.sh."""
import json
import statistics
import sys
import time
from pathlib import Path

import faiss
import numpy as np

out = Path(sys.argv[1])
faiss.omp_set_num_threads(1)
swift = {(r["n"], r["d"]): r for r in json.loads((out / "swift_results.json").read_text())}
print(f"\nfaiss-cpu {faiss.__version__} (PyPI), one thread")
rows = []
for (n, d), r in sorted(swift.items()):
    base = np.fromfile(out / f"{n}_{d}.base.f32", dtype=np.float32).reshape(n, d)
    queries = np.fromfile(out / f"{n}_{d}.queries.f32", dtype=np.float32).reshape(-1, d)
    index = faiss.IndexFlatIP(d)
    index.add(base)
    times = []
    for q in queries[:30]:
        t = time.perf_counter()
        index.search(q.reshape(1, d), 5)
        times.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    index.search(queries[:100], 5)
    batch = (time.perf_counter() - t) * 1000
    py = statistics.median(times)
    print(f"{n} x {d}: IndexFlatIP top-5 median {py:.2f} ms, batch of 100 {batch:.0f} ms")
    rows.append((n, d, r, py, batch))
    del index, base

print("\nsingle-query top-5 medians (ms) and ratios")
print(f"{'vectors':>9} {'dim':>4} {'floor':>6} {'f32':>6} {'f16':>6} {'int8':>6} {'shimFlat':>8} {'pyFaiss':>8} "
      f"{'f32/floor':>9} {'shim/f32':>8} {'py/f32':>6} {'hnsw':>6} {'recall':>6} {'exact/hnsw':>10} {'batch100 ours/py':>17}")
for n, d, r, py, batch in rows:
    f32 = r["exact_float32_ms"]
    hnsw = r.get("hnsw_ms", float("nan"))
    print(f"{n:>9} {d:>4} {r['exact_float32_floor_ms']:>6.2f} {f32:>6.2f} {r['exact_float16_ms']:>6.2f} {r['exact_int8_ms']:>6.2f} "
          f"{r['faiss_flat_ms']:>8.2f} {py:>8.2f} {f32 / r['exact_float32_floor_ms']:>9.2f} {r['faiss_flat_ms'] / f32:>8.1f} "
          f"{py / f32:>6.1f} {hnsw:>6.2f} {r.get('hnsw_recall10', float('nan')):>6.3f} {f32 / hnsw:>10.1f} "
          f"{r['exact_batch100_ms']:>8.0f}/{batch:<8.0f}")
