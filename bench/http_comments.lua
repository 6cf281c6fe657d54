-- wrk script for `make bench-http`: every request is a new comment from a new commenter.
--
--   wrk -t2 -c16 -d15s -s bench/http_comments.lua http://127.0.0.1:PORT -- SITE_KEY [SEED [PASS [close]]]
--
-- PASS (0-15) tells apart the wrk runs against one database (the warm-up is 0, the measured run 1): with the
-- thread number (at most 16 threads) it makes every stream of commenters its own, so no run repeats another's
-- emails, IPs or texts.
--
-- Each body has a random name, a unique email and a unique `ip` (so no history, duplicate or flood rule sees a
-- repeat) and a news-comment-like text of 20 to 400 characters built from random words (a third are short
-- replies), with a link in about one comment in ten. Nothing comes from a dataset. done() prints one line,
-- "BENCH_JSON {...}", that bench/http_load.py reads: requests, duration, latency percentiles (microseconds),
-- socket errors, the count of every status code and of every decision in the answers.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("thread_id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

local FIRST = {"Ann", "Bob", "Carla", "Dev", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jamal", "Kate", "Lars",
   "Maya", "Nils", "Olu", "Priya", "Quinn", "Rosa", "Sam", "Tomás", "Uma", "Vik", "Wen", "Xavier", "Yusuf",
   "Zoë", "Margaret", "Dave", "Chris", "Pat", "José", "Siobhán", "Mei", "Ola", "Rick", "Helen"}
local LAST = {"Reader", "Smith", "Okafor", "Nguyen", "Kowalski", "García", "Brown", "Müller", "Haddad", "Patel",
   "O'Brien", "Rossi", "Jensen", "Tanaka", "Silva", "Evans", "Novak", "Cohen", "Ali", "Murphy"}
local HANDLES = {"localdad", "truthseeker", "old_timer", "citywatcher", "taxpayer", "fan4life", "nightowl",
   "justsaying", "commuter", "greenthumb"}
local DOMAINS = {"gmail.com", "outlook.com", "yahoo.co.uk", "example.org", "proton.me", "icloud.com",
   "web.de", "mail.example.net"}
local OPENERS = {"I think", "Honestly,", "As someone who lives here,", "Good article, but", "Frankly",
   "Not sure about this, but", "My neighbour says", "Let's be clear:", "Funny how", "Again", "Well said.",
   "Nobody asked, but", "Typical.", "With respect,", "Interesting piece."}
local SUBJECTS = {"the council", "the minister", "this government", "the club", "the referee", "the mayor",
   "local businesses", "the police", "the school board", "the opposition", "the landlord", "the hospital",
   "the new manager", "the author", "young people", "the regulator", "commuters", "the board", "voters"}
local VERBS = {"should publish", "keeps ignoring", "has no plan for", "got it right on", "will never fix",
   "needs to explain", "is wrong about", "quietly dropped", "paid too much for", "deserves credit for",
   "should stop blaming others for", "must finally deliver", "lied about", "can't afford", "forgot about"}
local OBJECTS = {"the budget", "the bus routes", "the new stadium", "the housing plan", "the tax rise",
   "the flood defences", "the vote", "the transfer window", "the library closures", "the bike lanes",
   "energy prices", "the parking fines", "the hospital waiting lists", "the recycling scheme", "the strike",
   "last night's match", "the election", "the water bills", "the park", "the school meals"}
local TAILS = {"before the vote.", "and everyone knows it.", "again.", "for years now.", "this time.",
   "with our money.", "?", "- unbelievable.", "and then act surprised.", "at last!", "like every year.",
   "while the rest of us wait.", "for once.", "- what a joke.", "and nobody is held to account."}
local WORDS = {"really", "completely", "pathetic", "brilliant", "shameful", "obvious", "cheap", "rubbish",
   "fair", "honest", "idiots", "clowns", "sensible", "decent", "waste", "promises", "numbers", "facts",
   "journalism", "readers", "neighbours", "money", "time", "town", "street", "decision", "weather", "team",
   "season", "goal", "report", "figures", "consultation", "people", "experts", "history"}
local SHORT = {"Well said, thank you for writing this.", "Rubbish. Where is the source for this?",
   "Agreed, 100%. About time someone said it.", "This is the best thing I've read all week.",
   "Who paid for this article?", "Same story every single year.", "Typical. Nobody will resign over it.",
   "Great result for the lads last night!", "Can anyone explain what this means for renters?",
   "Utterly pathetic from the council.", "Finally some good news for our town.", "Not again..."}
local LINKS = {"https://www.bbc.co.uk/news/uk-politics", "https://en.wikipedia.org/wiki/Council_tax",
   "http://bit.ly/3xKq9", "https://youtu.be/dQw4w9WgXcQ", "https://www.gov.uk/council-tax",
   "https://cheap-deals-now.top/offer?id=", "https://example.org/report.pdf", "http://myblog.example.net/post/"}

local function pick(list)
   return list[math.random(#list)]
end

local function sentence()
   local opener, subject = pick(OPENERS), pick(SUBJECTS)
   if opener:match("[.:]$") then subject = subject:sub(1, 1):upper() .. subject:sub(2) end
   local words = {opener, subject, pick(VERBS), pick(OBJECTS)}
   for _ = 1, math.random(0, 4) do
      table.insert(words, pick(WORDS))
   end
   table.insert(words, pick(TAILS))
   return table.concat(words, " ")
end

local function comment_text()
   -- A third are short replies (20-80 characters), the rest 80-400.
   local target = math.random() < 0.33 and math.random(20, 80) or math.random(80, 400)
   local parts = {}
   local length = 0
   if target < 60 then
      parts = {pick(SHORT)}
      length = #parts[1]
      while length < target - 10 do
         local word = pick(WORDS)
         table.insert(parts, word)
         length = length + #word + 1
      end
      return table.concat(parts, " ")
   end
   if math.random() < 0.18 then
      local link = pick(LINKS) .. math.random(1, 99999)
      table.insert(parts, "See " .. link)
      length = #link + 4
   end
   while length < target do
      local s = sentence()
      table.insert(parts, s)
      length = length + #s + 1
   end
   local text = table.concat(parts, " ")
   if #text > 400 then  -- cut at a space, never inside a (multi-byte) word
      text = text:sub(1, 400):match("^(.*) ") or text:sub(1, 20)
   end
   return text
end

local function author_name()
   local r = math.random()
   if r < 0.6 then
      return pick(FIRST) .. " " .. pick(LAST)
   elseif r < 0.85 then
      return pick(FIRST)
   end
   return pick(HANDLES) .. math.random(1, 2025)
end

local stream = 0  -- this thread of this pass, 0-255: PASS * 16 + thread number

local function ip_address(n)
   -- Unique per stream and request: IPv4 for every other request while the stream's space lasts, else IPv6.
   local half = math.floor(n / 2)
   if n % 2 == 0 and half < 65536 then
      return string.format("10.%d.%d.%d", stream, math.floor(half / 256), half % 256)
   end
   return string.format("2001:db8:%x:%x:%x::1", stream, math.floor(n / 65536), n % 65536)
end

local headers = {}
local counter = 0
statuses = {}  -- globals: done() reads them from each thread
first_error = ""
decisions = {}

function init(args)
   local key = args[1] or "bench-site-key"
   local seed = tonumber(args[2] or "1") or 1
   stream = (tonumber(args[3] or "0") or 0) % 16 * 16 + thread_id % 16
   math.randomseed(seed * 1000 + stream)
   headers["Authorization"] = "Bearer " .. key
   headers["Content-Type"] = "application/json"
   if args[4] == "close" then headers["Connection"] = "close" end
end

function request()
   counter = counter + 1
   local name = author_name()
   local local_part = name:lower():gsub("[^a-z0-9]", "")
   if local_part == "" then local_part = "reader" end
   local email = string.format("%s.%d.%d@%s", local_part, stream, counter, pick(DOMAINS))
   local body = string.format('{"name": "%s", "email": "%s", "comment": "%s", "ip": "%s", '
         .. '"article_id": "story-%d"}',
      name, email, comment_text(), ip_address(counter), math.random(1, 500))
   return wrk.format("POST", "/v1/comments", headers, body)
end

function response(status, _, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if status < 200 or status > 299 then
      if first_error == "" then first_error = status .. " " .. body:sub(1, 300) end
   else
      local decision = body:match('"decision":%s*"(%a+)"')
      if decision then decisions[decision] = (decisions[decision] or 0) + 1 end
   end
end

local function json_string(s)
   return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

local function json_counts(counts)
   local items = {}
   for key, count in pairs(counts) do
      table.insert(items, string.format('"%s": %d', key, count))
   end
   return "{" .. table.concat(items, ", ") .. "}"
end

function done(summary, latency, _)
   local counts = {}
   local decided = {}
   local errors = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + count
      end
      for decision, count in pairs(thread:get("decisions")) do
         decided[decision] = (decided[decision] or 0) + count
      end
      local message = thread:get("first_error")
      if message ~= "" then table.insert(errors, json_string(message)) end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
         .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, '
         .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
         .. '"non_2xx_3xx": %d, "statuses": %s, "decisions": %s, "first_errors": [%s]}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      e.connect, e.read, e.write, e.timeout, e.status, json_counts(counts), json_counts(decided),
      table.concat(errors, ", ")))
end
