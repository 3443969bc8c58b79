-- GET / pipelined: each connection sends DEPTH requests (default 16: `wrk ... -- 16`) in one write and
-- waits for all DEPTH responses before the next batch. wrk counts every response in req/s, and
-- records one latency sample per batch.
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
init = function(args)
   local depth = tonumber(args[1]) or 16
   local r = {}
   for i = 1, depth do
      r[i] = wrk.format("GET", "/")
   end
   batch = table.concat(r)
end
request = function()
   return batch
end
done = report_done
