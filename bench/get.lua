-- wrk script for `make bench`: plain GETs (ceiling A, the static form
-- page), reporting in the same one-line JSON as post.lua.

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("BENCH {\"requests\": %d, \"duration_us\": %d, " ..
	    "\"p50_us\": %d, \"p99_us\": %d, \"max_us\": %d, \"connect_err\": %d, " ..
	    "\"read_err\": %d, \"write_err\": %d, \"timeout_err\": %d, " ..
	    "\"status_err\": %d, \"exhausted\": 0}\n", summary.requests,
	    summary.duration, latency:percentile(50), latency:percentile(99),
	    latency.max, e.connect, e.read, e.write, e.timeout, e.status))
end
