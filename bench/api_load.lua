-- wrk script of bench/api_bench.py: one workload per run, chosen by the first argument.
--
--   wrk -t1 -cC -dDs --latency --timeout 30s -s bench/api_load.lua URL -- MODE DATA TOKEN THREADS
--
-- MODE is constant | get | search | post | patch | path; DATA a file with one item per
-- line (customer ids for get and patch, URL-encoded q values for search, JSON bodies
-- for post, GET paths for path); TOKEN the bearer token; THREADS wrk's -t. Any status
-- outside 2xx counts as an error. PATCH: each thread owns every THREADS-th customer of DATA, keeps them in a
-- queue with their current ETag (all start at version 1) and takes the next one that
-- is not in flight; the response (its body names the id, its ETag the new version)
-- puts the customer back. POST: a customer is identified by name and birth date, so
-- each request's name gets a suffix of its own (this thread's random nonce and a
-- serial): a body sent twice would be a 409, not a second customer.
-- done() prints one line "WRK_RESULT {json}".

bad = 0        -- responses outside 2xx (globals: done() reads them per thread)
accepted = 0   -- 202: written, but the read models lagged past the server's wait
lost = 0       -- PATCH responses that named no customer (that customer leaves the queue)
tid = 1

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

local mode, token, items, count, fixed, auth_json
local queue, head, tail = {}, 1, 0
local serial = 0
local nonce

local function read_lines(path)
   local t = {}
   if path ~= nil and path ~= "" then
      for line in io.lines(path) do
         if line ~= "" then t[#t + 1] = line end
      end
   end
   return t
end

function init(args)
   mode, token = args[1], args[3]
   local nthreads = tonumber(args[4]) or 1
   local all = read_lines(args[2])
   math.randomseed(os.time() * 131 + tid * 7919)
   nonce = tostring(math.random(100000, 999999)) .. tostring(tid)
   auth_json = {["Authorization"] = "Bearer " .. (token or ""),
                ["Content-Type"] = "application/json"}
   if mode == "constant" then
      fixed = wrk.format("GET", "/bench/constant")
   elseif mode == "patch" then
      for i = tid, #all, nthreads do
         tail = tail + 1
         queue[tail] = {all[i], '"1"'}
      end
   else
      items = all
      count = #all
   end
end

function request()
   if mode == "constant" then
      return fixed
   elseif mode == "get" then
      return wrk.format("GET", "/api/v1/customers/" .. items[math.random(count)], auth_json)
   elseif mode == "path" then  -- any GET path of DATA, with the token
      return wrk.format("GET", items[math.random(count)], auth_json)
   elseif mode == "search" then
      return wrk.format("GET", "/api/v1/customers?q=" .. items[math.random(count)], auth_json)
   elseif mode == "post" then
      serial = serial + 1
      local body = items[(serial % count) + 1]:gsub(
         '"name":"([^"]*)"', '"name":"%1 ' .. nonce .. '-' .. serial .. '"', 1)
      return wrk.format("POST", "/api/v1/customers", auth_json, body)
   else -- patch
      if head > tail then
         error("bench: every PATCH customer is in flight or lost; give it more ids")
      end
      local entry = queue[head]
      queue[head] = nil
      head = head + 1
      serial = serial + 1
      local h = {["Authorization"] = auth_json["Authorization"],
                 ["Content-Type"] = "application/json", ["If-Match"] = entry[2]}
      local body = '{"address":"東京都新宿区西新宿' .. (serial % 9 + 1) .. '丁目' .. serial
                   .. '-' .. tid .. '","reason":"bench"}'
      return wrk.format("PATCH", "/api/v1/customers/" .. entry[1], h, body)
   end
end

function response(status, headers, body)
   if status < 200 or status > 299 then bad = bad + 1 end
   if status == 202 then accepted = accepted + 1 end
   if mode == "patch" then
      local id = body and body:match('"id":"([%x%-]+)"')
      if id == nil then
         lost = lost + 1
         return
      end
      local etag = headers["etag"] or headers["ETag"] or headers["Etag"]
      if etag == nil then
         -- 202 carries no ETag; 412 names the current version.
         local current = body:match('"current_version":(%d+)')
         etag = current and ('"' .. current .. '"') or '"0"'
      end
      tail = tail + 1
      queue[tail] = {id, etag}
   end
end

function done(summary, latency, requests)
   local b, a, l = 0, 0, 0
   for _, t in ipairs(threads) do
      b = b + (t:get("bad") or 0)
      a = a + (t:get("accepted") or 0)
      l = l + (t:get("lost") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_RESULT {"requests": %d, "duration_us": %d, "bad_status": %d, "accepted": %d, '
      .. '"lost": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, '
      .. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
      summary.requests, summary.duration, b, a, l, e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      latency.mean))
end
