-- Password log-ins as alice (scripts/bench-logins).
wrk.method = "POST"
wrk.path = "/api/v1/session"
wrk.body = '{"username":"alice","password":"gatehouse-demo"}'
wrk.headers["Content-Type"] = "application/json"
