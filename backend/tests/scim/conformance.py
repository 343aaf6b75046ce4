"""Run the third-party SCIM conformance checker scim2-tester against a
Gatehouse server: python conformance.py BASE_URL TOKEN. Prints every check;
exits 1 when any check ends in ERROR or CRITICAL."""
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

base, token = sys.argv[1], sys.argv[2]
client = SyncSCIMClient(Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30))
results = check_server(client)
bad = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
for r in results:
    where = f"[{r.resource_type}] " if r.resource_type else ""
    print(f"{r.status.name:10} {where}{r.title}: {r.reason or ''}".rstrip())
counts = {}
for r in results:
    counts[r.status.name] = counts.get(r.status.name, 0) + 1
print("summary:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
sys.exit(1 if bad or not results else 0)
