-- Shared by the wrk scripts of http-compare.sh: at the end of a run, one line
-- "WRK-JSON {...}" with the request count, duration, errors and latency percentiles (µs).
-- wrk records one latency sample per request, or per batch when the script pipelines.
function report_done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end
