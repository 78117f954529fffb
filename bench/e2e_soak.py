#!/usr/bin/env python3
"""Bounded soak for bench/e2e.sh: face_query at a fixed rate (open loop: requests are sent on a
schedule, not when the previous one returns) for a number of seconds, printing the server's RSS,
the requests answered, errors and latency every interval. Loopback only.
  e2e_soak.py --url URL --token T --pid PID --rate R --seconds S --probes DIR [--interval 15] [--threads 16]"""
import argparse
import http.client
import os
import random
import statistics
import threading
import time
import urllib.parse
import uuid


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def multipart(path):
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        data = f.read()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"threshold\"\r\n\r\n0.0\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{os.path.basename(path)}\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--rate", type=float, required=True)
    ap.add_argument("--seconds", type=float, default=180)
    ap.add_argument("--interval", type=float, default=15)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--probes", required=True, help="folder of folders of photos (LFW layout)")
    args = ap.parse_args()
    u = urllib.parse.urlsplit(args.url)
    if not (u.hostname or "").startswith("127.") and u.hostname not in ("localhost", "::1"):
        raise SystemExit("loopback only")
    people = sorted(os.listdir(args.probes))
    random.Random(0).shuffle(people)
    photos = []
    for p in people[:200]:
        files = sorted(os.listdir(os.path.join(args.probes, p)))
        photos.append(os.path.join(args.probes, p, files[-1]))
    bodies = [multipart(p) for p in photos]

    lock = threading.Lock()
    window = {"ok": 0, "errors": 0, "latency": [], "late": 0}
    start = time.monotonic()
    end = start + args.seconds
    ticket = [0]

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        while True:
            with lock:
                n = ticket[0]
                ticket[0] += 1
            due = start + n / args.rate
            if due >= end:
                return
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            body, ctype = bodies[n % len(bodies)]
            t0 = time.monotonic()
            try:
                conn.request("POST", "/api/face_query", body=body,
                             headers={"Content-Type": ctype, "Authorization": f"Bearer {args.token}"})
                r = conn.getresponse()
                r.read()
                good = r.status == 200
            except Exception:
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
                good = False
            with lock:
                window["ok" if good else "errors"] += 1
                window["latency"].append((time.monotonic() - t0) * 1000)
                if t0 - due > 0.5:
                    window["late"] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.threads)]
    for t in threads:
        t.start()
    print(f"soak: {args.rate:.1f} req/s for {args.seconds:.0f} s")
    print(f"{'t s':>6} {'RSS MB':>8} {'answered':>9} {'errors':>7} {'p50 ms':>7} {'p99 ms':>7} {'behind':>7}")
    total_errors = 0
    samples = []
    while any(t.is_alive() for t in threads):
        time.sleep(min(args.interval, max(0.1, end - time.monotonic() + 1)))
        with lock:
            w = dict(window)
            window.update(ok=0, errors=0, latency=[], late=0)
        lat = sorted(w["latency"])
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
        rss = rss_mb(args.pid)
        samples.append(rss)
        total_errors += w["errors"]
        print(f"{time.monotonic() - start:6.0f} {rss:8.1f} {w['ok']:9d} {w['errors']:7d} {p(0.5):7.1f} {p(0.99):7.1f} {w['late']:7d}",
              flush=True)
    if len(samples) >= 3:
        half = len(samples) // 2
        print(f"soak: errors {total_errors}; RSS first half median {statistics.median(samples[:half]):.1f} MB, "
              f"second half {statistics.median(samples[half:]):.1f} MB, max {max(samples):.1f} MB")


if __name__ == "__main__":
    main()
