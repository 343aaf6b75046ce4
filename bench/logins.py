#!/usr/bin/env python3
"""Password log-ins against a running Gatehouse: memory, rate and the
latency of other routes meanwhile (scripts/bench-logins; BENCHMARKS.md).

Usage: logins.py URL PID [SEQUENTIAL] [STORM_SECONDS] [CONNECTIONS]

1. RSS of the idle server (PID), then SEQUENTIAL log-ins one after the
   other on one kept-alive connection: rate and RSS after.
2. CONNECTIONS connections logging in for STORM_SECONDS (wrk,
   bench/login.lua), while RSS and threads are sampled every 0.5 s and
   /livez and My Requests (a personal API token) are asked every 50 ms on
   connections of their own: their p50/p99 latency.
3. RSS for 30 s after the storm: the first sample within idle + 50 MB.
4. CONNECTIONS connections sending wrong passwords for ever-new user names
   for 10 s from this one address: the per-address limit (20 failures) must
   answer the rest 429, and RSS must not rise.
Prints one line per figure and exits 1 when a goal of issue 26 is missed
(unless BENCH_NO_GOALS=1).
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

URL = sys.argv[1]
PID = int(sys.argv[2])
SEQUENTIAL = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
STORM = int(sys.argv[4]) if len(sys.argv) > 4 else 60
CONNECTIONS = int(sys.argv[5]) if len(sys.argv) > 5 else 64
HERE = os.path.dirname(os.path.abspath(__file__))
LOGIN = json.dumps({"username": "alice", "password": "gatehouse-demo"})
HOST = urllib.parse.urlsplit(URL)


def status():
    """(RSS in MB, threads, open files) of the server."""
    rss = threads = 0
    with open(f"/proc/{PID}/status") as lines:
        for line in lines:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    files = len(os.listdir(f"/proc/{PID}/fd"))
    return rss, threads, files


def connection():
    return http.client.HTTPConnection(HOST.hostname, HOST.port, timeout=30)


def login(conn):
    conn.request("POST", "/api/v1/session", LOGIN, {"Content-Type": "application/json"})
    answer = conn.getresponse()
    answer.read()
    return answer.status, answer.getheader("Set-Cookie")


def token():
    conn = connection()
    code, cookie = login(conn)
    assert code == 200, code
    conn.request(
        "POST",
        "/api/v1/tokens",
        json.dumps({"name": "bench-logins"}),
        {"Content-Type": "application/json", "Cookie": cookie.split(";")[0]},
    )
    answer = conn.getresponse()
    return json.loads(answer.read())["secret"]


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def probe(path, headers, stop, out):
    conn = connection()
    while not stop.is_set():
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            answer = conn.getresponse()
            answer.read()
            out.append(((time.perf_counter() - started) * 1000, answer.status))
        except (OSError, http.client.HTTPException):
            out.append((float("inf"), 0))
            conn = connection()
        time.sleep(max(0, 0.05 - (time.perf_counter() - started)))


def main():
    failed = []
    bearer = {"Authorization": f"Bearer {token()}"}
    time.sleep(3)
    idle, idle_threads, idle_files = status()
    print(f"idle: RSS {idle:.1f} MB, {idle_threads} threads, {idle_files} open files")

    # 1. One after the other.
    conn = connection()
    started = time.perf_counter()
    codes = {}
    for _ in range(SEQUENTIAL):
        code, _ = login(conn)
        codes[code] = codes.get(code, 0) + 1
    took = time.perf_counter() - started
    rss, threads, files = status()
    print(
        f"{SEQUENTIAL} sequential log-ins: {SEQUENTIAL / took:.1f}/s, answers {codes}; "
        f"RSS after {rss:.1f} MB (idle + {rss - idle:.1f}), {threads} threads, {files} open files"
    )
    if rss > idle + 50:
        failed.append(f"RSS after {SEQUENTIAL} sequential log-ins is idle + {rss - idle:.1f} MB (goal ≤ 50)")

    # 2. The storm.
    stop = threading.Event()
    samples = []
    livez, mine = [], []

    def sample():
        while not stop.is_set():
            samples.append(status())
            time.sleep(0.5)

    threads_ = [
        threading.Thread(target=sample),
        threading.Thread(target=probe, args=("/livez", {}, stop, livez)),
        threading.Thread(target=probe, args=("/api/v1/requests?limit=50", bearer, stop, mine)),
    ]
    for thread in threads_:
        thread.start()
    wrk = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{STORM}s", "--latency", "-s",
         os.path.join(HERE, "login.lua"), URL],
        capture_output=True, text=True, check=True,
    )
    stop.set()
    for thread in threads_:
        thread.join()
    rate = next(
        (line.split()[1] for line in wrk.stdout.splitlines() if line.startswith("Requests/sec")),
        "?",
    )
    non_2xx = [line.strip() for line in wrk.stdout.splitlines() if "Non-2xx" in line]
    p50 = next((line.split()[1] for line in wrk.stdout.splitlines() if line.strip().startswith("50%")), "?")
    p99 = next((line.split()[1] for line in wrk.stdout.splitlines() if line.strip().startswith("99%")), "?")
    peak = max(s[0] for s in samples)
    peak_threads = max(s[1] for s in samples)
    peak_files = max(s[2] for s in samples)
    print(
        f"{CONNECTIONS} connections logging in for {STORM} s: {rate} log-ins/s, p50 {p50}, p99 {p99}"
        f"{'; ' + non_2xx[0] if non_2xx else ''}; peak RSS {peak:.1f} MB, "
        f"{peak_threads} threads, {peak_files} open files"
    )
    if peak > 250:
        failed.append(f"peak RSS during the storm {peak:.1f} MB (goal ≤ 250)")
    for name, seen in (("/livez", livez), ("My Requests (token)", mine)):
        ok = [ms for ms, code in seen if code == 200]
        print(
            f"  meanwhile {name}: {len(seen)} asked, {len(ok)} answered 200, "
            f"p50 {percentile(ok, 50):.1f} ms, p99 {percentile(ok, 99):.1f} ms, max {max(ok, default=0):.1f} ms"
        )
        if len(ok) < len(seen) or percentile(ok, 99) > 50:
            failed.append(f"{name} during the storm: p99 {percentile(ok, 99):.1f} ms, {len(seen) - len(ok)} not 200 (goal p99 ≤ 50 ms)")

    # 3. After.
    settled_at = None
    for second in range(1, 31):
        time.sleep(1)
        rss, threads, files = status()
        if settled_at is None and rss <= idle + 50:
            settled_at = second
    print(
        f"30 s after: RSS {rss:.1f} MB (idle + {rss - idle:.1f}), {threads} threads, {files} open files; "
        f"within idle + 50 MB after {settled_at if settled_at else 'more than 30'} s"
    )
    if settled_at is None:
        failed.append(f"RSS 30 s after the storm is idle + {rss - idle:.1f} MB (goal ≤ 50)")

    # 4. A flood of wrong passwords for ever-new user names from this one
    # address: after 20 failures the per-address limit answers 429 without
    # hashing, and memory stays where the good log-ins left it.
    before, _, _ = status()
    samples.clear()
    stop.clear()
    sampler = threading.Thread(target=sample)
    sampler.start()
    counts = {}
    lock = threading.Lock()
    flood_ends = time.monotonic() + 10

    def flood(worker):
        conn = connection()
        n = 0
        while time.monotonic() < flood_ends:
            n += 1
            body = json.dumps({"username": f"nobody-{worker}-{n}", "password": "wrong"})
            try:
                conn.request("POST", "/api/v1/session", body, {"Content-Type": "application/json"})
                answer = conn.getresponse()
                answer.read()
                code = answer.status
            except (OSError, http.client.HTTPException):
                code = 0
                conn = connection()
            with lock:
                counts[code] = counts.get(code, 0) + 1

    flooders = [threading.Thread(target=flood, args=(i,)) for i in range(CONNECTIONS)]
    for thread in flooders:
        thread.start()
    for thread in flooders:
        thread.join()
    stop.set()
    sampler.join()
    peak = max(s[0] for s in samples)
    print(
        f"wrong passwords for new user names from one address, {CONNECTIONS} connections, 10 s: "
        f"answers {dict(sorted(counts.items()))}; peak RSS {peak:.1f} MB (before {before:.1f})"
    )
    if counts.get(401, 0) > 20 or not counts.get(429):
        failed.append(f"the per-address limit did not hold: {counts}")
    if peak > before + 50:
        failed.append(f"the wrong-password flood took {peak - before:.1f} MB")

    for line in failed:
        print(f"GOAL MISSED: {line}")
    if failed and os.environ.get("BENCH_NO_GOALS") != "1":
        sys.exit(1)


main()
