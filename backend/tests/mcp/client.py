"""A real MCP client (the official Python SDK) drives Gatehouse's MCP server.

Usage: client.py URL ALICE_TOKEN OTHER_TOKEN GATEHOUSE_BINARY CONFIG_DIR
Prints one JSON line of what it saw; tests/mcp_client.rs checks it and the
server's side. Exits non-zero with the reason when a step fails.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client
from mcp.types import Implementation

URL, ALICE, OTHER, BINARY, CONFIG = sys.argv[1:6]
WHY = "Reconciling the Stripe payouts for FIN-88: read-only is enough because I only compare totals"


def structured(result):
    if result.isError:
        raise SystemExit(f"tool failed: {result.content[0].text}")
    return result.structuredContent


async def over_http(token, name):
    headers = {"Authorization": f"Bearer {token}"}
    return streamablehttp_client(f"{URL}/mcp", headers=headers), Implementation(name=name, version="1.0")


async def alice_files_a_request():
    seen = {}
    transport, info = await over_http(ALICE, "python-sdk-test")
    async with transport as (read, write, _):
        async with ClientSession(read, write, client_info=info) as session:
            init = await session.initialize()
            seen["protocol"] = init.protocolVersion
            tools = await session.list_tools()
            seen["tools"] = sorted(t.name for t in tools.tools)
            suggested = structured(await session.call_tool("suggest_access", {"text": "I need to read last month's invoices"}))
            top = suggested["suggestions"][0]
            seen["top"] = {"name": top["name"], "permission": top["permission"]}
            items = [{"resource_id": top["id"], "permission": top["permission"]}]
            preview = structured(await session.call_tool("preview_request", {"items": items, "duration_seconds": 3600, "justification": WHY}))
            seen["preview_problems"] = preview.get("problems", [])
            created = structured(await session.call_tool("create_access_request", {"items": items, "duration_seconds": 3600, "justification": WHY}))
            request = created["requests"][0]
            seen["created"] = {"id": request["id"], "status": request["status"], "via": request.get("via_assistant")}
            mine = structured(await session.call_tool("list_my_requests", {"status": ["Pending Approval"]}))
            seen["listed"] = [r["id"] for r in mine["items"]]
            detail = structured(await session.call_tool("get_request", {"request_id": request["id"]}))
            seen["waiting_on"] = [u["username"] for u in detail["waiting_on"]]
    return seen


async def another_user_sees_none_of_it(request_id):
    transport, info = await over_http(OTHER, "other-client")
    async with transport as (read, write, _):
        async with ClientSession(read, write, client_info=info) as session:
            await session.initialize()
            theirs = structured(await session.call_tool("list_my_requests", {}))
            got = await session.call_tool("get_request", {"request_id": request_id})
            cancel = await session.call_tool("cancel_request", {"request_id": request_id})
            return {
                "their_ids": [r["id"] for r in theirs["items"]],
                "get_refused": got.isError,
                "cancel_refused": cancel.isError,
            }


async def alice_cancels_over_stdio(request_id):
    """`gatehouse mcp`: the same tools over stdio, with the CLI's stored token."""
    env = dict(os.environ, GATEHOUSE_CONFIG_DIR=CONFIG)
    params = StdioServerParameters(command=BINARY, args=["mcp"], env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write, client_info=Implementation(name="stdio-test", version="1.0")) as session:
            await session.initialize()
            tools = await session.list_tools()
            cancelled = structured(await session.call_tool("cancel_request", {"request_id": request_id}))
            return {"stdio_tools": len(tools.tools), "cancelled_status": cancelled["status"]}


async def main():
    seen = await alice_files_a_request()
    request_id = seen["created"]["id"]
    seen.update(await another_user_sees_none_of_it(request_id))
    seen.update(await alice_cancels_over_stdio(request_id))
    print(json.dumps(seen))


asyncio.run(main())
