-- wrk script: My Requests pages that were never read before. Each request asks
-- for the 50 requests below a random cursor, so almost none is answered from
-- the server's memo of repeated reads: this measures the database path.
math.randomseed(os.time())
request = function()
  local cursor = math.random(2, tonumber(os.getenv("BENCH_REQUESTS") or "1000000"))
  return wrk.format(nil, string.format("/api/v1/requests?limit=50&cursor=%d", cursor))
end
