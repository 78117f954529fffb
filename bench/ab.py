#!/usr/bin/env python3
"""Two builds of `likeness serve` (or one build under two environments) run alternately, round
after round, through the same client (../shared/seedstack/loadtest.py): the same pack, 200 LFW
people enrolled, the gallery grown to 10,000, then face_query at concurrency 1 and 4. Each run
prints its p50, throughput and the server's CPU time per request; the end prints the medians
and B's ratios to A. On a shared 2-core machine, where one configuration's runs move 20-30%
from one minute to the next, only alternation and medians tell a 10% change from noise; the
server's CPU per request moves less than its latency.

    python3 bench/ab.py BINARY_A BINARY_B [--rounds 3] [--env-b NAME=VALUE ...] [--pack FILE] [--pack-b FILE]
e.g. python3 bench/ab.py /tmp/likeness-before .build/release/likeness
     python3 bench/ab.py .build/release/likeness .build/release/likeness --env-b LIKENESS_ORT_SPIN=1
     python3 bench/ab.py .build/release/likeness .build/release/likeness --pack-b bench/packs/yunet-mobilefacenet-int8.json
"""
import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def call(base, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None, headers=headers)
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)


def probe_list(dataset, seedstack):
    """loadtest.py's own choice for --enroll 200 --seed 0: image 2 of each enrolled person."""
    sys.path.insert(0, seedstack)
    import loadtest
    people = loadtest.people_with_two(dataset)
    chosen = sorted(random.Random(0).sample(people, min(200, len(people))))
    return [(imgs[1], f"LFW_{i:05d}") for i, (_, imgs) in enumerate(chosen)]


def run(binary, env_extra, pack, args, port):
    data = tempfile.mkdtemp(prefix="likeness-ab-")
    env = dict(os.environ, LIKENESS_DATA_DIR=data, LIKENESS_MODEL_DIR=os.path.join(ROOT, "data/models"), **env_extra)
    server = subprocess.Popen([binary, "serve", "--port", str(port), "--pack", pack, "--per-client-inference", "0",
                               "--queue", "64", "--allow-bulk-vectors", "true", "--request-timeout", "0"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        call(base, "/api/register", {"username": "ab", "password": "ab-password"})
        token = call(base, "/api/login", {"username": "ab", "password": "ab-password"})["access_token"]
        call(base, "/api/bulk_vectors", {"n": 10000 - 200, "seed": 1000}, token)
        out = os.path.join(data, "load.json")
        client = [sys.executable, os.path.join(args.seedstack, "loadtest.py"), "--url", base, "--token", token]
        # Enrolment first (unmeasured), then each phase on its own with the same probes (image 2
        # of each enrolled person, as loadtest.py picks them), so CPU is counted per phase.
        subprocess.run(client + ["--dataset", os.path.join(args.faces, "lfw-devtrain"), "--enroll", "200", "--gallery", "10000",
                                 "--concurrency", "1", "--requests", "8", "--warmup", "0", "--out", out],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probes = os.path.join(data, "probes.txt")
        with open(probes, "w") as f:
            f.writelines(f"{path}\t{cls}\n" for path, cls in probe_list(os.path.join(args.faces, "lfw-devtrain"), args.seedstack))
        figures = {}
        for c, n in ((1, args.requests_c1), (4, args.requests_c4)):
            before = cpu_seconds(server.pid)
            subprocess.run(client + ["--enroll", "0", "--probes", probes, "--concurrency", str(c), "--requests", str(n),
                                     "--out", out],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            used = cpu_seconds(server.pid) - before
            phase = json.load(open(out))["runs"][0]
            figures[c] = {"p50": phase["latency_ms"]["p50"], "rps": phase["throughput_rps"], "errors": phase["errors"],
                          "cpu_ms": 1000 * used / (n + 8)}
        return figures
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        subprocess.run(["rm", "-rf", data])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--env-a", nargs="*", default=[])
    ap.add_argument("--env-b", nargs="*", default=[])
    ap.add_argument("--pack", default=os.path.join(ROOT, "bench/packs/yunet-mobilefacenet.json"))
    ap.add_argument("--pack-b", help="B's pack, when it differs from A's")
    ap.add_argument("--requests-c1", type=int, default=200)
    ap.add_argument("--requests-c4", type=int, default=600)
    ap.add_argument("--seedstack", default=os.path.join(ROOT, "../shared/seedstack"))
    ap.add_argument("--faces", default=os.path.join(ROOT, "../shared/faces"))
    ap.add_argument("--port", type=int, default=18811)
    args = ap.parse_args()
    envs = {"A": dict(e.split("=", 1) for e in args.env_a), "B": dict(e.split("=", 1) for e in args.env_b)}
    binaries = {"A": args.a, "B": args.b}
    packs = {"A": args.pack, "B": args.pack_b or args.pack}
    results = {"A": [], "B": []}
    for r in range(args.rounds):
        for name in ("A", "B"):
            f = run(binaries[name], envs[name], packs[name], args, args.port)
            results[name].append(f)
            print(f"round {r + 1} {name}: c=1 p50 {f[1]['p50']:.2f} ms, {f[1]['cpu_ms']:.2f} CPU ms/req; "
                  f"c=4 {f[4]['rps']:.1f} req/s, {f[4]['cpu_ms']:.2f} CPU ms/req; errors {f[1]['errors'] + f[4]['errors']}",
                  flush=True)
    med = {n: {(c, k): statistics.median(f[c][k] for f in results[n]) for c in (1, 4) for k in ("p50", "rps", "cpu_ms")}
           for n in results}
    for n in ("A", "B"):
        m = med[n]
        print(f"median {n}: c=1 p50 {m[1, 'p50']:.2f} ms ({m[1, 'cpu_ms']:.2f} CPU ms/req), "
              f"c=4 {m[4, 'rps']:.1f} req/s ({m[4, 'cpu_ms']:.2f} CPU ms/req)")
    a, b = med["A"], med["B"]
    print(f"B / A: c=1 p50 {b[1, 'p50'] / a[1, 'p50']:.2f}x, c=4 throughput {b[4, 'rps'] / a[4, 'rps']:.2f}x, "
          f"CPU per request {b[1, 'cpu_ms'] / a[1, 'cpu_ms']:.2f}x (c=1), {b[4, 'cpu_ms'] / a[4, 'cpu_ms']:.2f}x (c=4)")


if __name__ == "__main__":
    main()
