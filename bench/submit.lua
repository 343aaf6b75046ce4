-- wrk script: each request submits one auto-approved access request for a
-- random resource (the server grants it through the demo connector). A
-- resource drawn twice would be refused as a duplicate (409): the body says
-- it wants a new request anyway, so the coverage check still runs.
math.randomseed(os.time())
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local id = math.random(1, tonumber(os.getenv("BENCH_RESOURCES") or "100000"))
  local body = string.format('{"items":[{"resource_id":%d,"permission":"read-only"}],"duration_seconds":3600,"allow_duplicate":true}', id)
  return wrk.format(nil, nil, nil, body)
end
