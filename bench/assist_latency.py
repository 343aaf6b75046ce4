"""Assist's latency against a running server, beside the no-op route.

Usage: assist_latency.py URL USERNAME PASSWORD QUERIES_TSV N
One keep-alive connection, requests one after another (latency, not
throughput): N times POST /api/v1/assist cycling through the labelled
queries, then N times GET /livez, the floor of this client, loopback and
server. Prints p50/p90/p99/max of each, in milliseconds.
"""

import http.client
import json
import sys
import time
from urllib.parse import urlparse

url, username, password, queries_path, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
target = urlparse(url)
conn = http.client.HTTPConnection(target.hostname, target.port)

conn.request("POST", "/api/v1/session", json.dumps({"username": username, "password": password}), {"Content-Type": "application/json"})
answer = conn.getresponse()
answer.read()
cookie = answer.getheader("Set-Cookie").split(";")[0]
headers = {"Content-Type": "application/json", "Cookie": cookie}

queries = [line.split("\t")[0] for line in open(queries_path) if line.strip() and not line.startswith("#")]


def timed(method, path, body=None):
    started = time.perf_counter()
    conn.request(method, path, body, headers)
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise SystemExit(f"{method} {path}: {response.status}")
    return elapsed


def summary(name, samples):
    samples = sorted(samples)
    at = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
    print(f"{name:<28} n={len(samples):>5}  p50 {at(0.50):7.2f}  p90 {at(0.90):7.2f}  p99 {at(0.99):7.2f}  max {samples[-1]:7.2f}  ms")


# The first call builds the index for this catalog generation: shown apart.
first = timed("POST", "/api/v1/assist", json.dumps({"text": queries[0]}))
print(f"first call (builds the index)  {first:.1f} ms")
for _ in range(len(queries)):
    timed("POST", "/api/v1/assist", json.dumps({"text": queries[0]}))  # warm-up
assist = [timed("POST", "/api/v1/assist", json.dumps({"text": queries[i % len(queries)]})) for i in range(n)]
floor = [timed("GET", "/livez") for _ in range(n)]
summary("POST /api/v1/assist", assist)
summary("GET /livez (floor)", floor)
