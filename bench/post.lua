-- wrk script for `make bench`: POSTs the report body in BENCH_BODY with
-- a fresh token per request. Tokens come from a file, one a line; each
-- wrk thread takes every Nth line, so no token is used twice. Each
-- response is logged as "STATUS LOCATION" to OUT.<thread>, so that the
-- driver can check every acknowledged reference against the database.
-- usage: wrk -s post.lua URL -- BODY_FILE TOKENS_FILE OUT_PREFIX NTHREADS

local threads = {}
local nthreads_seen = 0

function setup(thread)
	thread:set("id", nthreads_seen)
	nthreads_seen = nthreads_seen + 1
	table.insert(threads, thread)
end

function init(args)
	local f = assert(io.open(args[1], "rb"))
	body = f:read("*a")
	f:close()
	local nthreads = tonumber(args[4])
	tokens = {}
	local n = 0
	for line in io.lines(args[2]) do
		if n % nthreads == id then
			tokens[#tokens + 1] = line
		end
		n = n + 1
	end
	next_token = 1
	exhausted = 0
	answered = 0
	out = assert(io.open(args[3] .. "." .. id, "w"))
	out:setvbuf("full")
	headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
end

function request()
	local t = tokens[next_token]
	if t == nil then
		-- out of fresh tokens: a replay (it makes no new row); counted
		-- so that the driver can say the run was not all fresh reports
		exhausted = exhausted + 1
		t = tokens[1] or ""
	end
	next_token = next_token + 1
	return wrk.format("POST", nil, headers, body .. t)
end

function response(status, hdrs, resp)
	-- the receipt of the received page, the POST's answer (issue 13)
	local receipt = resp and resp:match(
	    '<p class="receipt" dir="ltr"><strong>([0-9A-Z%-]+)</strong>')
	out:write(status, " ", receipt or "-", "\n")
	answered = answered + 1
	if answered % 512 == 0 then
		out:flush()
	end
end

function done(summary, latency, requests)
	local ex = 0
	for _, t in ipairs(threads) do
		ex = ex + (t:get("exhausted") or 0)
	end
	local e = summary.errors
	io.write(string.format("BENCH {\"requests\": %d, \"duration_us\": %d, " ..
	    "\"p50_us\": %d, \"p99_us\": %d, \"max_us\": %d, \"connect_err\": %d, " ..
	    "\"read_err\": %d, \"write_err\": %d, \"timeout_err\": %d, " ..
	    "\"status_err\": %d, \"exhausted\": %d}\n", summary.requests,
	    summary.duration, latency:percentile(50), latency:percentile(99),
	    latency.max, e.connect, e.read, e.write, e.timeout, e.status, ex))
end
