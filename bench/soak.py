#!/usr/bin/env python3
"""Soak test: mixed traffic against one running Gatehouse for a long while,
watching its memory, threads and open files (scripts/soak; issue 26).

    soak.py run URL PID --label sqlite --minutes 30 --out DIR [--sample 10]
                        [--scim-token TOKEN] [--warmup 0.2] [--kinds read,login,…]
    soak.py chart OUT.svg DIR/soak-sqlite.csv [DIR/soak-postgres.csv …]

`run` needs a server started with --demo (alice, bob and carol, password
gatehouse-demo) and --scim-token TOKEN. It drives, at a few requests per
second per kind on several threads (leaks, not throughput, are the point):

  read         catalog pages and searches, integrations, bundles, apps, me,
               my access (alice's API token)
  my_requests  My Requests pages followed by cursor, counts, one request's
               detail (alice's session cookie, as the portal does)
  submit       alice's submissions (allow_duplicate): GitHub repositories for
               60 s through a one-minute auto-approving flow carol adds at
               start (so the expiry worker ends access all through the run),
               the same starting 20 s later (Scheduled, started by the
               worker), a GitHub team for an hour through the demo's
               self-service flow, a production table for an hour (waits for
               bob); and revokes what is Active a little later
  approve      bob's Approvals list and approvals (session cookie)
  login        password log-ins of alice, bob and carol in turn, /me with the
               new cookie, log-out
  assist       POST /api/v1/assist with sentences
  scim         a provider's round: create a user, find, patch, deactivate,
               create a group with members, patch its members, list users
               and groups, delete both (the SCIM bearer token)
  mcp          initialize, notifications/initialized, tools/list, a read
               tool call, end of session (Streamable HTTP, alice's token)
  metrics      GET /metrics

Every SAMPLE seconds it records the server's RSS (VmRSS), threads and open
files (/proc/PID/fd) into DIR/soak-LABEL.csv; at the end it writes
DIR/soak-LABEL.json (samples' summary, answers per kind and status, checks)
and prints the summary. Exit status 1 when a check fails:

  a. RSS never above idle + 100 MB (idle: before the traffic starts);
  b. threads and open files do not keep growing: the maximum over the last
     third of the samples is at most 1.10 × the maximum over the middle
     third (+4 threads, +16 files); samples in the warm-up (the first 20 %)
     never count;
  c. runs of 10 minutes or more: RSS flat after warm-up, the last third's
     maximum at most 1.10 × the middle third's;
  d. no 5xx and no connection error (a 503 with Retry-After is "busy", and
     accepted when rare), every kind and every operation got 2xx answers,
     and (runs of 2 minutes or more) the expiry worker ended some access.

`chart` draws the CSVs (one line per store) as an SVG of three small line
charts: RSS in MB, threads, open files, over minutes.
"""

import argparse
import collections
import csv
import datetime
import http.client
import json
import math
import os
import random
import sys
import threading
import time
import urllib.parse

PASSWORD = "gatehouse-demo"
SOAK_FLOW = "Soak: one-minute GitHub access"
SHORT = 60  # seconds of access through the soak flow
JUSTIFICATION = "Investigating OPS-4821 because the nightly export job fails on this data"
ASSIST_TEXTS = [
    "I need to read last month's invoices",
    "read the billing accounts table",
    "fix the checkout web deploy",
    "look at the acme logs bucket",
    "assume the incident responder role",
    "write access to the orders service repository",
    "join the platform team on github",
    "db access for analytics reporting",
    "I need to debug the data pipeline",
    "read customer pii for a support ticket",
    "invocies from billing",  # a typo on purpose
    "terraform state bucket read-only",
]
SEARCHES = ["billing", "orders", "acme", "invoices", "logs", "prod", "pii", "team",
            "deploy", "service", "audit", "ledger", "ordrs", "s3", "role"]
TOOLS = [
    ("search_resources", {"search": "billing", "limit": 10}),
    ("list_my_requests", {"limit": 10}),
    ("suggest_access", {"text": "read the invoices"}),
    ("list_my_access", {}),
    ("list_bundles", {}),
]
# Kinds of traffic (--kinds) and the worker that drives each.
KINDS = {"read": "reads", "my_requests": "my_requests", "submit": "submit", "approve": "approve",
         "login": "logins", "assist": "assist", "scim": "scim", "mcp": "mcp", "metrics": "metrics"}
# Answers that are failures of the server, not of the request.
BUSY = "503+Retry-After"


# ---------------------------------------------------------------- counting


class Tally:
    """Answers per (kind, operation, status), thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()
        self.notes = collections.defaultdict(list)  # (kind, op) -> a few odd answers
        self.failures = []  # 5xx and connection errors, a few of each
        self.failure_count = 0
        self.reconnects = 0
        self.total = 0

    def add(self, kind, op, status, note=None, failure=False):
        with self.lock:
            self.counts[(kind, op, str(status))] += 1
            self.total += 1
            if failure:
                self.failure_count += 1
                if len(self.failures) < 50:
                    self.failures.append(f"{kind} {op}: {status} {note or ''}".strip())
            elif note is not None:
                notes = self.notes[(kind, op)]
                line = f"{status} {note}"[:300]
                if len(notes) < 3 and line not in notes:
                    notes.append(line)

    def by_kind(self):
        kinds = collections.defaultdict(collections.Counter)
        for (kind, _, status), n in self.counts.items():
            kinds[kind][status] += n
        return kinds

    def by_op(self):
        ops = collections.defaultdict(collections.Counter)
        for (kind, op, status), n in self.counts.items():
            ops[(kind, op)][status] += n
        return ops


def is_2xx(status):
    return len(status) == 3 and status.startswith("2")


# ---------------------------------------------------------------- HTTP


class Client:
    """One kept-alive connection, as a browser or script holds one."""

    def __init__(self, base, tally, kind, auth=None):
        self.url = urllib.parse.urlsplit(base)
        self.origin = f"{self.url.scheme}://{self.url.netloc}"
        self.tally = tally
        self.kind = kind
        self.auth = auth or {}
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=60)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, method, path, body=None, op=None, headers=None, content_type="application/json",
             count=True):
        """(status, headers, parsed body); status 0 on a connection error."""
        op = op or f"{method} {path.split('?')[0]}"
        sent = dict(self.auth)
        if "Cookie" in sent and method not in ("GET", "HEAD"):
            sent["Origin"] = self.origin  # the portal's writes carry it
        sent.update(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            sent["Content-Type"] = content_type
        for attempt in (1, 2):
            fresh = self.conn is None
            if fresh:
                self._connect()
            try:
                self.conn.request(method, path, data, sent)
                answer = self.conn.getresponse()
                raw = answer.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                # The server closes kept-alive connections idle for a while
                # (--header-timeout): a new connection, once, is what any client does.
                self.close()
                if fresh or attempt == 2:
                    return self._failed(op, error, count)
                with self.tally.lock:
                    self.tally.reconnects += 1
            except (OSError, http.client.HTTPException) as error:
                self.close()
                return self._failed(op, error, count)
        if answer.getheader("Connection", "").lower() == "close":
            self.close()
        status = answer.status
        answer_headers = {k.lower(): v for k, v in answer.getheaders()}
        kind_of = answer_headers.get("content-type", "")
        parsed = raw
        if "json" in kind_of:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw
        elif kind_of.startswith("text/"):
            parsed = raw.decode("utf-8", "replace")
        if count:
            self.record(op, status, answer_headers, parsed)
        return status, answer_headers, parsed

    def record(self, op, status, headers, parsed, label=None):
        label = label or str(status)
        if status == 503 and "retry-after" in headers:
            self.tally.add(self.kind, op, BUSY)
        elif status >= 500:
            self.tally.add(self.kind, op, label, note=short(parsed), failure=True)
        elif status >= 300:
            self.tally.add(self.kind, op, label, note=short(parsed))
        else:
            self.tally.add(self.kind, op, label)

    def _failed(self, op, error, count):
        if count:
            self.tally.add(self.kind, op, "connection error", note=repr(error), failure=True)
        return 0, {}, None


def short(parsed):
    if isinstance(parsed, (dict, list)):
        return json.dumps(parsed)[:200]
    if isinstance(parsed, bytes):
        return parsed[:200].decode("utf-8", "replace")
    return str(parsed)[:200]


def log_in(base, tally, kind, username):
    """A session cookie for `username` (a Client holding it), or None."""
    client = Client(base, tally, kind)
    status, headers, _ = client.call(
        "POST", "/api/v1/session", {"username": username, "password": PASSWORD}, op="log in")
    if status != 200:
        return None
    cookie = headers.get("set-cookie", "").split(";")[0]
    client.auth = {"Cookie": cookie}
    return client


# ---------------------------------------------------------------- the traffic


class Soak:
    def __init__(self, args):
        self.args = args
        self.base = args.url.rstrip("/")
        self.tally = Tally()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.to_revoke = collections.deque()  # (when Active, request id)
        self.submitted = collections.Counter()  # status a submission came back in
        self.scim_round = 0
        self.setup_tally = Tally()
        self.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown or not self.kinds:
            raise SystemExit(f"unknown kinds {unknown}: choose among {', '.join(KINDS)}")

    # -- set-up, not counted in the soak's answers

    def setup(self):
        t = self.setup_tally
        alice = log_in(self.base, t, "setup", "alice")
        carol = log_in(self.base, t, "setup", "carol")
        if alice is None or carol is None:
            raise SystemExit(f"set-up: cannot log in as the demo users: {dict(t.counts)} {dict(t.notes)}")
        status, _, made = alice.call("POST", "/api/v1/tokens", {"name": f"soak {self.args.label}"})
        if status != 201:
            raise SystemExit(f"set-up: cannot make alice's API token: {status} {short(made)}")
        self.alice_token = {"Authorization": f"Bearer {made['secret']}"}
        status, _, integrations = carol.call("GET", "/api/v1/admin/integrations")
        github = next((i["id"] for i in integrations if i.get("name") == "GitHub"), None) \
            if status == 200 else None
        if github is None:
            raise SystemExit(f"set-up: no GitHub integration: {status} {short(integrations)}")
        # An auto-approving flow offering one minute on GitHub repositories:
        # the demo's flows offer an hour at least, so nothing would expire.
        status, _, flow = carol.call("POST", "/api/v1/admin/access-flows", {
            "name": SOAK_FLOW,
            "grantees": [{"kind": "everyone"}],
            "scope": [{"kind": "integration", "id": github}],
            "permissions": ["read"],
            "auto_approve": True,
            "approver_steps": [],
            "durations_seconds": [SHORT],
            "max_duration_seconds": SHORT,
            "justification_required": False,
            "extend": {"enabled": False},
        })
        if status not in (201, 409):
            raise SystemExit(f"set-up: cannot add the one-minute flow: {status} {short(flow)}")
        status, _, page = Client(self.base, t, "setup", self.alice_token).call(
            "GET", "/api/v1/resources?limit=1000")
        if status != 200:
            raise SystemExit(f"set-up: cannot read the catalog: {status} {short(page)}")
        resources = page["items"]

        def paths(prefix):
            return [r["id"] for r in resources if r["path"].startswith(prefix)]

        self.repositories = [r["id"] for r in resources
                             if r["path"].startswith("acme/") and not r["path"].startswith("acme/teams/")]
        self.teams = paths("acme/teams/")
        self.tables = [r["id"] for r in resources if r["path"].count("/") == 2
                       and r["integration_name"] == "Prod PostgreSQL"]
        self.resource_ids = [r["id"] for r in resources]
        if not (self.repositories and self.teams and self.tables):
            raise SystemExit("set-up: the demo catalog lacks repositories, teams or tables")
        for client in (alice, carol):
            client.close()

    # -- the workers

    def paced(self, period, body):
        """Run `body` every `period` seconds (±20 %) until the end."""
        time.sleep(random.uniform(0, period))  # spread the workers' starts
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                body()
            except Exception as error:  # a driver bug must not end the run silently
                self.tally.add("driver", type(error).__name__, "exception", note=repr(error), failure=True)
            wait = period * random.uniform(0.8, 1.2) - (time.monotonic() - started)
            self.stop.wait(max(0.0, wait))

    def reads(self):
        client = Client(self.base, self.tally, "read", self.alice_token)

        def once():
            choice = random.randrange(9)
            if choice == 0:
                client.call("GET", f"/api/v1/resources?limit=50&offset={random.randrange(0, 60)}",
                            op="catalog page")
            elif choice in (1, 2):
                term = urllib.parse.quote(random.choice(SEARCHES))
                client.call("GET", f"/api/v1/resources?search={term}&limit=20", op="catalog search")
            elif choice == 3:
                client.call("GET", "/api/v1/resources?permission=read-only&limit=50", op="catalog filter")
            elif choice == 4:
                client.call("GET", "/api/v1/integrations")
            elif choice == 5:
                client.call("GET", "/api/v1/bundles")
            elif choice == 6:
                client.call("GET", "/api/v1/apps")
            elif choice == 7:
                client.call("GET", "/api/v1/me")
            else:
                client.call("GET", "/api/v1/my-access")

        self.paced(0.4, once)

    def my_requests(self):
        client = log_in(self.base, self.tally, "my_requests", "alice")
        if client is None:
            return

        def once():
            status = random.choice(["", "&status=Active", "&status=Expired", "&status=Pending%20Approval"])
            cursor = None
            ids = []
            for _ in range(random.randint(1, 3)):
                after = f"&cursor={cursor}" if cursor else ""
                code, _, page = client.call("GET", f"/api/v1/requests?limit=20{status}{after}",
                                            op="My Requests page")
                if code != 200:
                    return
                ids += [r["id"] for r in page["items"]]
                cursor = page.get("next_cursor")
                if not cursor:
                    break
            client.call("GET", "/api/v1/requests/counts")
            if ids:
                client.call("GET", f"/api/v1/requests/{random.choice(ids)}", op="GET /api/v1/requests/{id}")

        self.paced(1.0, once)

    def submit(self):
        client = Client(self.base, self.tally, "submit", self.alice_token)
        turn = [0]

        def send(op, items, duration, **extra):
            form = {"items": items, "duration_seconds": duration, "justification": JUSTIFICATION,
                    "allow_duplicate": True, **extra}
            code, _, answer = client.call("POST", "/api/v1/requests", form, op=op)
            if code == 201:
                for request in answer["requests"]:
                    with self.lock:
                        self.submitted[f"{op} -> {request['status']}"] += 1
                        if request["status"] == "Active" and duration > SHORT:
                            self.to_revoke.append((time.monotonic(), request["id"]))

        def once():
            kind = turn[0] % 4
            turn[0] += 1
            if kind == 0:
                send("submit: one minute", [{"resource_id": random.choice(self.repositories),
                                             "permission": "read"}], SHORT)
            elif kind == 1:
                starts = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=20)
                send("submit: scheduled", [{"resource_id": random.choice(self.repositories),
                                            "permission": "read"}], SHORT,
                     starts_at=starts.isoformat(timespec="seconds"))
            elif kind == 2:
                send("submit: an hour, auto-approved", [{"resource_id": random.choice(self.teams),
                                                         "permission": "member"}], 3600)
            else:
                send("submit: an hour, for bob", [{"resource_id": random.choice(self.tables),
                                                   "permission": "read-only"}], 3600)
            # Give back an hour's access some 20 s after it became Active.
            with self.lock:
                due = self.to_revoke[0][1] if self.to_revoke and \
                    time.monotonic() - self.to_revoke[0][0] > 20 else None
                if due is not None:
                    self.to_revoke.popleft()
            if due is not None:
                client.call("POST", f"/api/v1/requests/{due}/revoke", {"reason": "soak: done"},
                            op="POST /api/v1/requests/{id}/revoke")

        self.paced(1.0, once)

    def approve(self):
        client = log_in(self.base, self.tally, "approve", "bob")
        if client is None:
            return

        def once():
            code, _, page = client.call("GET", "/api/v1/approvals?status=Pending%20Approval&limit=20",
                                        op="Approvals page")
            client.call("GET", "/api/v1/approvals/count")
            if code != 200:
                return
            for request in page["items"][:5]:
                code, _, answer = client.call("POST", f"/api/v1/requests/{request['id']}/approve",
                                              op="POST /api/v1/requests/{id}/approve")
                if code == 200 and answer.get("status") == "Active":
                    with self.lock:
                        self.to_revoke.append((time.monotonic(), answer["id"]))

        self.paced(2.0, once)

    def logins(self):
        users = ["alice", "bob", "carol"]
        turn = [0]

        def once():
            user = users[turn[0] % len(users)]
            turn[0] += 1
            client = log_in(self.base, self.tally, "login", user)
            if client is None:
                return
            client.call("GET", "/api/v1/me")
            client.call("DELETE", "/api/v1/session", op="log out")
            client.close()

        self.paced(1.0, once)

    def assist(self):
        client = Client(self.base, self.tally, "assist", self.alice_token)
        self.paced(1.0, lambda: client.call("POST", "/api/v1/assist",
                                            {"text": random.choice(ASSIST_TEXTS)}))

    def scim(self):
        client = Client(self.base, self.tally, "scim", {"Authorization": f"Bearer {self.args.scim_token}"})
        kind = "application/scim+json"

        def patch(operations):
            return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations}

        def once():
            self.scim_round += 1
            name = f"soak-{self.args.label}-{self.scim_round}-{random.randrange(10**6)}"
            code, _, user = client.call("POST", "/scim/v2/Users", {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": f"{name}@example.com", "externalId": name, "active": True,
                "name": {"givenName": "Soak", "familyName": name},
                "displayName": f"Soak {name}",
                "emails": [{"primary": True, "value": f"{name}@example.com", "type": "work"}],
            }, content_type=kind, op="create user")
            if code != 201:
                return
            uid = user["id"]
            flt = urllib.parse.quote(f'userName eq "{name}@example.com"')
            client.call("GET", f"/scim/v2/Users?filter={flt}&startIndex=1&count=100", op="find user")
            client.call("PATCH", f"/scim/v2/Users/{uid}", patch([
                {"op": "replace", "path": "displayName", "value": f"Soak {name} (renamed)"}]),
                content_type=kind, op="patch user")
            code, _, group = client.call("POST", "/scim/v2/Groups", {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": f"group {name}", "externalId": f"g-{name}",
                "members": [{"value": uid}],
            }, content_type=kind, op="create group")
            gid = group["id"] if code == 201 else None
            if gid is not None:
                client.call("PATCH", f"/scim/v2/Groups/{gid}", patch([
                    {"op": "remove", "path": "members", "value": [{"value": uid}]}]),
                    content_type=kind, op="patch group")
            client.call("PATCH", f"/scim/v2/Users/{uid}", patch([
                {"op": "replace", "value": {"active": False}}]), content_type=kind, op="deactivate user")
            client.call("GET", "/scim/v2/Users?startIndex=1&count=50", op="list users")
            client.call("GET", "/scim/v2/Groups?startIndex=1&count=50", op="list groups")
            if gid is not None:
                client.call("DELETE", f"/scim/v2/Groups/{gid}", op="delete group")
            client.call("DELETE", f"/scim/v2/Users/{uid}", op="delete user")

        self.paced(3.0, once)

    def mcp(self):
        client = Client(self.base, self.tally, "mcp", self.alice_token)
        accept = {"Accept": "application/json, text/event-stream"}
        rounds = [0]

        def rpc(op, message, session=None, expect_result=True):
            headers = dict(accept)
            if session:
                headers.update({"mcp-session-id": session, "mcp-protocol-version": "2025-06-18"})
            code, answer_headers, answer = client.call("POST", "/mcp", message, op=op,
                                                       headers=headers, count=False)
            label = None
            if code == 200 and expect_result:
                if not isinstance(answer, dict) or "error" in answer:
                    label = "200 rpc-error"
                elif answer.get("result", {}).get("isError"):
                    label = "200 isError"
            if code:
                client.record(op, code, answer_headers, answer, label)
            else:
                self.tally.add("mcp", op, "connection error", failure=True)
            return code, answer_headers, answer

        def once():
            rounds[0] += 1
            code, headers, _ = rpc("initialize", {
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                           "clientInfo": {"name": "soak", "version": "1.0"}}})
            session = headers.get("mcp-session-id")
            if code != 200 or not session:
                return
            rpc("notifications/initialized", {"jsonrpc": "2.0", "method": "notifications/initialized"},
                session, expect_result=False)
            rpc("tools/list", {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, session)
            name, arguments = TOOLS[rounds[0] % len(TOOLS)]
            rpc("tools/call", {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                               "params": {"name": name, "arguments": arguments}}, session)
            client.call("DELETE", "/mcp", op="end session",
                        headers={"mcp-session-id": session, "mcp-protocol-version": "2025-06-18"})

        self.paced(2.0, once)

    def metrics(self):
        client = Client(self.base, self.tally, "metrics")

        def once():
            code, _, text = client.call("GET", "/metrics")
            if code == 200:
                self.last_metrics = text

        self.last_metrics = ""
        self.paced(2.0, once)

    # -- the run

    def run(self):
        args = self.args
        self.setup()
        time.sleep(3)  # let the set-up's allocations settle
        idle = process_status(args.pid)
        if idle is None:
            raise SystemExit(f"the server (PID {args.pid}) is not running")
        os.makedirs(args.out, exist_ok=True)
        csv_path = os.path.join(args.out, f"soak-{args.label}.csv")
        samples = []
        workers = [getattr(self, KINDS[kind]) for kind in self.kinds]
        threads = [threading.Thread(target=w, name=w.__name__, daemon=True) for w in workers]
        duration = args.minutes * 60
        print(f"[{args.label}] idle: RSS {idle[0]:.1f} MB, {idle[1]} threads, {idle[2]} open files; "
              f"{args.minutes:g} min of traffic, a sample every {args.sample:g} s → {csv_path}", flush=True)
        started = time.monotonic()
        with open(csv_path, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["store", "seconds", "rss_mb", "threads", "open_files", "answers", "failures"])
            writer.writerow([args.label, 0, f"{idle[0]:.1f}", idle[1], idle[2], 0, 0])
            out.flush()
            for thread in threads:
                thread.start()
            next_sample = started + args.sample
            server_gone = False
            while True:
                now = time.monotonic()
                end = started + duration
                time.sleep(max(0.0, min(next_sample, end) - now))
                now = time.monotonic()
                status = process_status(args.pid)
                if status is None:
                    server_gone = True
                    break
                elapsed = now - started
                samples.append((elapsed, *status))
                writer.writerow([args.label, f"{elapsed:.1f}", f"{status[0]:.1f}", status[1], status[2],
                                 self.tally.total, self.tally.failure_count])
                out.flush()
                if args.progress and len(samples) % max(1, round(60 / args.sample)) == 0:
                    print(f"[{args.label}] {elapsed / 60:5.1f} min: RSS {status[0]:.1f} MB, "
                          f"{status[1]} threads, {status[2]} files, {self.tally.total} answers, "
                          f"{self.tally.failure_count} failures", flush=True)
                if now >= end - 0.05:
                    break
                next_sample += args.sample
        self.stop.set()
        for thread in threads:
            thread.join(timeout=90)
        expired = 0 if server_gone else self.count_expired()
        return self.report(idle, samples, server_gone, expired)

    def count_expired(self):
        """How many of alice's requests the worker ended as Expired."""
        client = Client(self.base, Tally(), "count", self.alice_token)
        expired, cursor = 0, None
        for _ in range(100):
            after = f"&cursor={cursor}" if cursor else ""
            code, _, page = client.call("GET", f"/api/v1/requests?status=Expired&limit=1000{after}")
            if code != 200:
                break
            expired += len(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return expired

    def report(self, idle, samples, server_gone, expired):
        args = self.args
        failed = []
        warm = args.warmup * args.minutes * 60
        rss_limit = idle[0] + args.rss_growth
        peak = max(samples, key=lambda s: s[1]) if samples else (0, idle[0], idle[1], idle[2])
        if server_gone:
            failed.append("the server exited during the run")
        if peak[1] > rss_limit:
            failed.append(f"RSS reached {peak[1]:.1f} MB at {peak[0] / 60:.1f} min, above idle + "
                          f"{args.rss_growth:g} MB = {rss_limit:.1f} MB")
        middle, last = thirds(samples, warm)
        trend = {}
        if len(middle) >= 2 and len(last) >= 2:
            for index, name, factor, slack in ((2, "threads", 1.10, 4), (3, "open files", 1.10, 16),
                                               (1, "RSS (MB)", 1.10, 0)):
                before = max(s[index] for s in middle)
                after = max(s[index] for s in last)
                trend[name] = (round(before, 1), round(after, 1))
                if name.startswith("RSS") and args.minutes < 10:
                    continue  # too short to call RSS flat or not
                if after > before * factor + slack:
                    failed.append(f"{name} keep growing: the last third's maximum {after:.4g} > "
                                  f"{factor:.2f} × the middle third's {before:.4g}" + (f" + {slack}" if slack else ""))
        else:
            failed.append(f"too few samples after the warm-up to judge growth ({len(samples)} in all): "
                          "run longer or sample more often (SOAK_SAMPLE_SECONDS)")
        kinds = self.tally.by_kind()
        ops = self.tally.by_op()
        for kind in self.kinds:
            if not any(is_2xx(status) for status in kinds.get(kind, {})):
                failed.append(f"{kind}: no 2xx answer at all ({dict(kinds.get(kind, {}))})")
        for (kind, op), statuses in sorted(ops.items()):
            if kind != "driver" and not any(is_2xx(s) for s in statuses) and kind in kinds and \
                    any(is_2xx(s) for s in kinds[kind]):
                failed.append(f"{kind} {op}: no 2xx answer ({dict(statuses)})")
        if self.tally.failure_count:
            failed.append(f"{self.tally.failure_count} answers were 5xx (not 503 with Retry-After), "
                          f"connection errors or driver exceptions: " + "; ".join(self.tally.failures[:5]))
        busy = sum(n for (_, _, status), n in self.tally.counts.items() if status == BUSY)
        if busy > max(5, self.tally.total // 100):
            failed.append(f"{busy} answers were 503 busy (with Retry-After): more than a few")
        if "submit" in self.kinds and args.minutes * 60 >= 120 and expired == 0 and not server_gone:
            failed.append("no request of alice's expired: the expiry worker had nothing to do, or did not do it")

        summary = {
            "store": args.label,
            "minutes": args.minutes,
            "sample_seconds": args.sample,
            "idle": {"rss_mb": round(idle[0], 1), "threads": idle[1], "open_files": idle[2]},
            "peak_rss_mb": round(peak[1], 1),
            "peak_rss_at_minutes": round(peak[0] / 60, 2),
            "rss_limit_mb": round(rss_limit, 1),
            "threads": [min((s[2] for s in samples), default=0), max((s[2] for s in samples), default=0)],
            "open_files": [min((s[3] for s in samples), default=0), max((s[3] for s in samples), default=0)],
            "middle_vs_last_third_max": {k: list(v) for k, v in trend.items()},
            "answers": self.tally.total,
            "answers_by_kind": {k: dict(v) for k, v in sorted(kinds.items())},
            "answers_by_operation": {f"{k} {o}": dict(v) for (k, o), v in sorted(ops.items())},
            "submissions": dict(sorted(self.submitted.items())),
            "expired_requests_of_alice": expired,
            "reconnects_after_idle_close": self.tally.reconnects,
            "odd_answers": {f"{k} {o}": v for (k, o), v in sorted(self.tally.notes.items())},
            "failures": self.tally.failures,
            "metrics_at_end": metric_lines(getattr(self, "last_metrics", "")),
            "failed_checks": failed,
        }
        with open(os.path.join(args.out, f"soak-{args.label}.json"), "w") as out:
            json.dump(summary, out, indent=2)
        print_summary(summary)
        return 1 if failed else 0


def thirds(samples, warm):
    """The samples of the middle third of the run (not before the warm-up)
    and those of the last third."""
    if not samples:
        return [], []
    end = samples[-1][0]
    middle = [s for s in samples if max(end / 3, warm) <= s[0] < 2 * end / 3]
    last = [s for s in samples if s[0] >= 2 * end / 3]
    return middle, last


def metric_lines(text):
    """A few gauges worth a look at the end of a run."""
    keep = ("gatehouse_access_requests", "gatehouse_worker", "gatehouse_expiry", "gatehouse_db_pool",
            "gatehouse_grants", "gatehouse_outbox_pending", "gatehouse_http_requests_in_flight")
    lines = []
    for line in (text or "").splitlines():
        if line and not line.startswith("#") and line.startswith(keep):
            lines.append(line)
    return lines[:60]


def print_summary(s):
    label = s["store"]
    print(f"[{label}] idle RSS {s['idle']['rss_mb']} MB, peak {s['peak_rss_mb']} MB at "
          f"{s['peak_rss_at_minutes']} min (limit {s['rss_limit_mb']} MB); threads "
          f"{s['idle']['threads']} idle, {s['threads'][0]}–{s['threads'][1]} under load; open files "
          f"{s['idle']['open_files']} idle, {s['open_files'][0]}–{s['open_files'][1]} under load")
    for name, (before, after) in s["middle_vs_last_third_max"].items():
        print(f"[{label}]   {name}: max {before:.4g} in the middle third, {after:.4g} in the last")
    print(f"[{label}] {s['answers']} answers in {s['minutes']:g} min "
          f"({s['answers'] / max(1, s['minutes'] * 60):.1f}/s); {s['reconnects_after_idle_close']} reconnects "
          f"after an idle close; alice's expired requests: {s['expired_requests_of_alice']}")
    for kind, statuses in s["answers_by_kind"].items():
        print(f"[{label}]   {kind:12} " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())))
    if s["submissions"]:
        print(f"[{label}]   submitted: " + ", ".join(f"{k}: {n}" for k, n in s["submissions"].items()))
    for op, notes in s["odd_answers"].items():
        for note in notes:
            print(f"[{label}]   note, {op}: {note}")
    if s["failed_checks"]:
        for failure in s["failed_checks"]:
            print(f"[{label}] FAILED: {failure}")
    else:
        print(f"[{label}] all checks passed")


def process_status(pid):
    """(RSS in MB, threads, open files) of `pid`, or None once it is gone."""
    try:
        rss = threads = 0
        with open(f"/proc/{pid}/status") as lines:
            for line in lines:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
                elif line.startswith("State:") and line.split()[1] in ("Z", "X"):
                    return None
        return rss, threads, len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return None


# ---------------------------------------------------------------- the chart

COLOURS = ["#1f6fb4", "#d9480f", "#2b8a3e", "#862e9c"]


def nice_ticks(top, count=5, integer=False):
    """Round tick values from 0 to at least `top`."""
    if top <= 0:
        top = 1
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(s * magnitude for s in steps if s * magnitude >= raw)
    if integer:
        step = max(1, step)
    ticks, value = [], 0.0
    while value < top + step * 0.999:
        ticks.append(round(value, 6))
        value += step
    return ticks


def esc(text):
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chart(out_path, csv_paths, warmup=0.2, against="the release binary"):
    series = []
    for path in csv_paths:
        with open(path) as handle:
            rows = list(csv.DictReader(handle))
        if not rows:
            continue
        label = rows[0]["store"]
        points = [(float(r["seconds"]) / 60, float(r["rss_mb"]), int(r["threads"]), int(r["open_files"]))
                  for r in rows]
        summary_path = path[:-4] + ".json"
        idle = points[0][1]
        limit = None
        if os.path.exists(summary_path):
            with open(summary_path) as handle:
                summary = json.load(handle)
            limit = summary.get("rss_limit_mb")
            failed = summary.get("failed_checks")
            label += f" (idle {idle:.0f} MB, peak {summary.get('peak_rss_mb', 0):.0f} MB) — " + (
                "passed" if not failed else f"{len(failed)} check(s) failed")
        series.append({"label": label, "store": rows[0]["store"], "points": points, "idle": idle,
                       "limit": limit})
    if not series:
        raise SystemExit("no samples to draw")
    minutes = max(p[0] for s in series for p in s["points"]) or 1
    width, panel_h, left, right, top_margin = 900, 210, 70, 30, 100
    gap = 62
    height = top_margin + 3 * panel_h + 2 * gap + 50
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="24" font-size="16" font-weight="bold">Gatehouse soak: '
           f'{round(minutes, 1):g} min of mixed traffic against {esc(against)}</text>',
           f'<text x="{left}" y="44" fill="#555">reads, My Requests, submissions, approvals, log-ins, '
           f'Assist, SCIM, MCP, /metrics, the expiry worker; shaded: warm-up ({warmup:.0%})</text>']
    for i, s in enumerate(series):
        x = left + i * 400
        colour = COLOURS[i % len(COLOURS)]
        svg.append(f'<line x1="{x}" y1="62" x2="{x + 24}" y2="62" stroke="{colour}" stroke-width="2.5"/>')
        svg.append(f'<text x="{x + 30}" y="66">{esc(s["label"])}</text>')
    panels = [("RSS (MB)", 1, True), ("threads", 2, False), ("open files", 3, False)]
    plot_w = width - left - right
    for n, (title, index, is_rss) in enumerate(panels):
        y0 = top_margin + n * (panel_h + gap)
        values = [p[index] for s in series for p in s["points"]]
        top = max(values) * 1.15
        if is_rss:
            top = max([top] + [s["limit"] * 1.05 for s in series if s["limit"]])
        ticks = nice_ticks(top, integer=not is_rss)
        y_max = ticks[-1]

        def sx(m):
            return left + plot_w * m / minutes

        def sy(v, y0=y0, y_max=y_max):
            return y0 + panel_h - panel_h * v / y_max

        svg.append(f'<text x="{left}" y="{y0 - 8}" font-weight="bold">{esc(title)}</text>')
        svg.append(f'<rect x="{left}" y="{y0}" width="{plot_w * warmup:.1f}" height="{panel_h}" fill="#f1f3f5"/>')
        for t in ticks:
            y = sy(t)
            svg.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#e5e5e5"/>')
            svg.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{t:g}</text>')
        for m in nice_ticks(minutes, 6):
            if m > minutes * 1.001:
                break
            x = sx(m)
            svg.append(f'<line x1="{x:.1f}" y1="{y0 + panel_h}" x2="{x:.1f}" y2="{y0 + panel_h + 4}" stroke="#333"/>')
            svg.append(f'<text x="{x:.1f}" y="{y0 + panel_h + 17}" text-anchor="middle">{m:g}</text>')
        svg.append(f'<line x1="{left}" y1="{y0}" x2="{left}" y2="{y0 + panel_h}" stroke="#333"/>')
        svg.append(f'<line x1="{left}" y1="{y0 + panel_h}" x2="{left + plot_w}" y2="{y0 + panel_h}" stroke="#333"/>')
        svg.append(f'<text x="{left + plot_w / 2}" y="{y0 + panel_h + 33}" text-anchor="middle" '
                   f'fill="#555">minutes</text>')
        svg.append(f'<text transform="translate({left - 48},{y0 + panel_h / 2}) rotate(-90)" '
                   f'text-anchor="middle" fill="#555">{esc(title)}</text>')
        for i, s in enumerate(series):
            colour = COLOURS[i % len(COLOURS)]
            if is_rss and s["limit"]:
                y = sy(s["limit"])
                svg.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
                           f'stroke="{colour}" stroke-dasharray="6 4" stroke-width="1"/>')
                svg.append(f'<text x="{left + plot_w - 4 - i * 250}" y="{y + (14 if i % 2 else -4):.1f}" text-anchor="end" '
                           f'fill="{colour}">{esc(s["store"])} limit: idle + 100 MB ({s["limit"]:.0f} MB)</text>')
            line = " ".join(f"{sx(p[0]):.1f},{sy(p[index]):.1f}" for p in s["points"])
            svg.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2" '
                       f'stroke-linejoin="round"/>')
    svg.append("</svg>")
    with open(out_path, "w") as out:
        out.write("\n".join(svg) + "\n")


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="drive the traffic, sample, check")
    run.add_argument("url")
    run.add_argument("pid", type=int)
    run.add_argument("--label", default="sqlite")
    run.add_argument("--minutes", type=float, default=30)
    run.add_argument("--sample", type=float, default=10, help="seconds between samples")
    run.add_argument("--out", default="bench/soak-results")
    run.add_argument("--scim-token", default=os.environ.get("GATEHOUSE_SCIM_TOKEN", ""))
    run.add_argument("--warmup", type=float, default=0.2, help="share of the run that is warm-up")
    run.add_argument("--rss-growth", type=float, default=100, help="MB above idle RSS allowed")
    run.add_argument("--progress", action="store_true", help="a line a minute")
    run.add_argument("--kinds", default=",".join(KINDS),
                     help="comma-separated kinds of traffic to drive (default all), to find what grows")
    draw = sub.add_parser("chart", help="draw CSVs of `run` as one SVG")
    draw.add_argument("svg")
    draw.add_argument("csv", nargs="+")
    draw.add_argument("--warmup", type=float, default=0.2)
    draw.add_argument("--against", default="the release binary", help="what ran, for the title")
    args = parser.parse_args()
    if args.command == "chart":
        chart(args.svg, args.csv, args.warmup, args.against)
        return 0
    if not args.scim_token:
        raise SystemExit("give --scim-token (the server's --scim-token)")
    return Soak(args).run()


if __name__ == "__main__":
    sys.exit(main())
