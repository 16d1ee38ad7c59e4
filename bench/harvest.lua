-- wrk script for `make bench`: GET / as a browser does, keeping the
-- form token of each page, one a line, in OUT.<thread>. The driver uses
-- them as the fresh tokens of the tipline run (token_min_age = 0).
-- usage: wrk -s harvest.lua URL -- OUT_PREFIX

local nthreads_seen = 0

function setup(thread)
	thread:set("id", nthreads_seen)
	nthreads_seen = nthreads_seen + 1
end

function init(args)
	out = assert(io.open(args[1] .. "." .. id, "w"))
	out:setvbuf("full")
end

function response(status, hdrs, resp)
	local t = string.match(resp, 'name="token" value="([A-Za-z0-9_-]+)"')
	if status == 200 and t ~= nil then
		out:write(t, "\n")
	end
end
