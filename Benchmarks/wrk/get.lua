-- GET / (hello world), one request at a time on each connection.
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
wrk.method = "GET"
wrk.path = "/"
done = report_done
