-- POST /echo with a 1 KiB body (BODY_BYTES overrides), one request at a time on each connection.
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
wrk.method = "POST"
wrk.path = "/echo"
wrk.body = string.rep("x", tonumber(os.getenv("BODY_BYTES") or "1024"))
wrk.headers["Content-Type"] = "application/octet-stream"
done = report_done
