#!/usr/bin/env python3
"""Bounded, loopback-only abuse runs against a live `likeness serve`.

Each phase runs an attack for a fixed time while a legitimate client (from 127.0.0.1) keeps
calling /healthz and /api/face_query; the attacks come from 127.0.0.2, another loopback
address, as a separate machine would. Printed per phase: the legitimate client's latency p50
and p99 and its errors, against the idle baseline measured in the same run.

The attack runs in its own process at the lowest CPU priority (nice 19). In one Python process
the legitimate client would wait for the attack threads' interpreter lock, and on a small
machine the attacker's own CPU would be taken from the server: both would be charged to the
server although a real attacker sits on another machine. At nice 19 the attacker still sends
as fast as the server leaves it CPU, and whatever the server spends on its requests counts.

    bench/abuse.py BASE_URL FACES_DIR [SECONDS_PER_PHASE]
"""
import http.client
import json
import multiprocessing
import os
import random
import socket
import statistics
import string
import sys
import threading
import time
import urllib.parse
import zlib
import struct

BASE = sys.argv[1]
FACES = sys.argv[2]
PHASE_SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
HOST, PORT = urllib.parse.urlparse(BASE).hostname, urllib.parse.urlparse(BASE).port
ATTACKER = "127.0.0.2"


def request(method, path, body=b"", headers=None, source=None, timeout=30):
    conn = http.client.HTTPConnection(HOST, PORT, timeout=timeout, source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def multipart(fields, boundary="likeness-abuse-boundary"):
    out = b""
    for name, value, filename in fields:
        out += f"--{boundary}\r\n".encode()
        disposition = f'Content-Disposition: form-data; name="{name}"'
        if filename:
            disposition += f'; filename="{filename}"'
        out += disposition.encode() + b"\r\n\r\n" + value + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return out, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def setup():
    creds = json.dumps({"username": "abuse-admin", "password": "abuse-password"}).encode()
    request("POST", "/api/register", creds, {"Content-Type": "application/json"})
    status, body = request("POST", "/api/login", creds, {"Content-Type": "application/json"})
    assert status == 200, (status, body)
    token = json.loads(body)["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    request("POST", "/v1/people", json.dumps({"class_id": "OBAMA", "name": "Barack Obama"}).encode(),
            {**auth, "Content-Type": "application/json"})
    enrol = open(os.path.join(FACES, "face_recognition/knn_examples/train/obama/" +
                              sorted(os.listdir(os.path.join(FACES, "face_recognition/knn_examples/train/obama")))[0]), "rb").read()
    body, headers = multipart([("class_id", b"OBAMA", None), ("file", enrol, "obama.jpg")])
    status, answer = request("POST", "/api/add_embedding", body, {**auth, **headers})
    assert status in (200, 201), (status, answer)
    return auth


class Legit:
    """Calls /healthz and face_query in turn, one at a time, and records latencies."""

    def __init__(self, auth):
        self.auth = auth
        self.query, self.query_headers = multipart(
            [("file", open(os.path.join(FACES, "face_recognition/obama-480p.jpg"), "rb").read(), "q.jpg")])

    def run(self, seconds):
        health, query, errors = [], [], {}
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for kind in ("health", "query"):
                t = time.monotonic()
                try:
                    if kind == "health":
                        status, _ = request("GET", "/healthz", source="127.0.0.1")
                    else:
                        status, body = request("POST", "/api/face_query", self.query, {**self.auth, **self.query_headers},
                                               source="127.0.0.1")
                        if status == 200 and json.loads(body).get("message") != "match":
                            status = "wrong answer"
                except Exception as e:  # a refused or reset connection is an error too
                    status = type(e).__name__
                ms = (time.monotonic() - t) * 1000
                if status == 200:
                    (health if kind == "health" else query).append(ms)
                else:
                    errors[f"{kind} {status}"] = errors.get(f"{kind} {status}", 0) + 1
        return health, query, errors


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


# --- attacks: each loops until `stop` is set, bounded by the phase's time ---

def login_flood(stop, counts):
    while not stop.is_set():
        user = "".join(random.choices(string.ascii_lowercase, k=12))
        try:
            status, _ = request("POST", "/api/login", json.dumps({"username": user, "password": "guess-guess"}).encode(),
                                {"Content-Type": "application/json"}, source=ATTACKER, timeout=10)
        except Exception as e:
            status = type(e).__name__
        counts[status] = counts.get(status, 0) + 1


def slowloris(stop, counts, n=100):
    socks = []
    for _ in range(n):
        try:
            s = socket.create_connection((HOST, PORT), timeout=5, source_address=(ATTACKER, 0))
            s.sendall(b"POST /api/face_query HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError as e:
            counts[type(e).__name__] = counts.get(type(e).__name__, 0) + 1
    counts["opened"] = len(socks)
    while not stop.wait(2.0):
        for s in list(socks):
            try:
                s.sendall(b"X-a: b\r\n")
            except OSError:
                socks.remove(s)
                counts["closed by server"] = counts.get("closed by server", 0) + 1
    for s in socks:
        s.close()


def long_boundary(stop, counts, token):
    boundary = "q" * 70
    near_miss = ("\r\n--" + "q" * 69 + "z").encode()
    data = near_miss * (9_000_000 // len(near_miss))
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n").encode() + data \
        + f"\r\n--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {token}"}
    while not stop.is_set():
        try:
            status, _ = request("POST", "/v1/detect", body, headers, source=ATTACKER, timeout=60)
        except Exception as e:
            status = type(e).__name__
        counts[status] = counts.get(status, 0) + 1


def png_bomb(width=8000, height=5000):
    """A black 40 MP PNG: about 40 KB on the wire, 120 MB decoded."""
    raw = b"".join(b"\x00" + b"\x00" * (width * 3) for _ in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def bombs(stop, counts, token, bomb):
    body, headers = multipart([("file", bomb, "bomb.png")])
    headers["Authorization"] = f"Bearer {token}"
    while not stop.is_set():
        try:
            status, _ = request("POST", "/v1/detect", body, headers, source=ATTACKER, timeout=120)
        except Exception as e:
            status = type(e).__name__
        counts[status] = counts.get(status, 0) + 1


def attacker(attack, threads, stop, results):
    """The attack's process: `threads` loops until `stop`, then its answer counts go back."""
    os.nice(19)
    counts, workers = {}, []
    for _ in range(threads):
        t = threading.Thread(target=attack, args=(stop, counts), daemon=True)
        t.start()
        workers.append(t)
    for t in workers:
        t.join()
    results.put(counts)


def phase(name, legit, attack=None, threads=1):
    stop, results, process, counts = multiprocessing.Event(), multiprocessing.Queue(), None, {}
    if attack:
        process = multiprocessing.Process(target=attacker, args=(attack, threads, stop, results), daemon=True)
        process.start()
        time.sleep(1.0)  # let the attack build up before measuring
    health, query, errors = legit.run(PHASE_SECONDS)
    if process:
        stop.set()
        try:
            counts = results.get(timeout=130)
        except Exception:
            counts = {"attacker": "did not finish"}
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
    return name, health, query, errors, counts


def main():
    auth = setup()
    token = auth["Authorization"].split()[1]
    legit = Legit(auth)
    legit.run(2.0)  # warm-up
    bomb = png_bomb()
    results = [
        phase("idle", legit),
        phase("login flood, 8 threads of random users", legit, login_flood, threads=8),
        phase("100 slowloris connections", legit, slowloris),
        phase("4 concurrent 9 MB long-boundary uploads", legit, lambda s, c: long_boundary(s, c, token), threads=4),
        phase(f"4 concurrent 40 MP PNG bombs ({len(bomb) // 1024} KB each)", legit, lambda s, c: bombs(s, c, token, bomb), threads=4),
    ]
    idle_health, idle_query = pct(results[0][1], 99), pct(results[0][2], 99)
    print(f"{'phase':48} {'healthz p50/p99 ms':>20} {'face_query p50/p99 ms':>22} {'p99 vs idle':>12}  legit errors | attacker answers")
    worst = 0.0
    clean = True
    for name, health, query, errors, counts in results:
        ratio = pct(query, 99) / idle_query if idle_query == idle_query else float("nan")
        if name != "idle":
            worst = max(worst, ratio)
        clean = clean and all(k.endswith(" 503") for k in errors)
        print(f"{name:48} {pct(health, 50):8.1f} / {pct(health, 99):7.1f} {pct(query, 50):10.1f} / {pct(query, 99):7.1f} "
              f"{ratio:11.2f}x  {errors or 'none'} | {counts or '-'}")
    print(f"worst face_query p99 under attack: {worst:.2f}x idle (target < 2x); "
          f"legitimate errors other than 503: {'none' if clean else 'SOME'}")


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")  # the attacks are closures
    main()
