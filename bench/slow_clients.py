#!/usr/bin/env python3
"""Half-sent request heads against a running Gatehouse (issue 26; BENCHMARKS.md).

Usage: slow_clients.py URL PID [CONNECTIONS] [WAIT_SECONDS]

Opens CONNECTIONS connections that each send half a request head and then
nothing, and counts the server's open files and how many of those
connections it still holds after WAIT_SECONDS (default 15: past the default
10 s header timeout), while /livez is asked once a second.
"""

import http.client
import os
import socket
import sys
import time
import urllib.parse

URL = urllib.parse.urlsplit(sys.argv[1])
PID = int(sys.argv[2])
COUNT = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
WAIT = float(sys.argv[4]) if len(sys.argv) > 4 else 15


def files():
    return len(os.listdir(f"/proc/{PID}/fd"))


def main():
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(f"server open files before: {files()}")
    held = []
    for _ in range(COUNT):
        s = socket.create_connection((URL.hostname, URL.port))
        s.sendall(b"GET /livez HTTP/1.1\r\nHost: gatehouse\r\nX-Half: ")
        held.append(s)
    opened = time.monotonic()
    print(f"{COUNT} half-sent heads; server open files: {files()}")
    worst = 0.0
    while time.monotonic() - opened < WAIT:
        started = time.perf_counter()
        conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=10)
        conn.request("GET", "/livez")
        status = conn.getresponse().status
        conn.close()
        worst = max(worst, (time.perf_counter() - started) * 1000)
        assert status == 200, status
        time.sleep(1)
    closed = 0
    for s in held:
        s.setblocking(False)
        try:
            closed += s.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    print(
        f"after {WAIT:.0f} s: server open files {files()}, {closed} of {COUNT} closed by the server, "
        f"{COUNT - closed} still held; /livez answered 200 every second meanwhile (slowest {worst:.1f} ms)"
    )


main()
