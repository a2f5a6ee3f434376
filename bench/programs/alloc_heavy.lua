-- alloc_heavy.lua N - an allocation-heavy Lua program for scripts/bench.
--
-- Builds N records (tables with a list of tags and strings of random
-- lengths), sorts them, indexes them by name, concatenates them into one
-- string and splits it again, rebuilds a third of them and drops the rest,
-- with a full collection between the phases. Lua allocates every table and
-- string with realloc and free. Deterministic: a fixed seed, and nothing
-- printed depends on table order.
local n = tonumber(arg[1]) or 100000
math.randomseed(1)

local records = {}
for i = 1, n do
	local tags = {}
	for j = 1, math.random(1, 8) do
		tags[j] = string.format("t%x", math.random(0, 0xfffff))
	end
	records[i] = {id = i, name = "user" .. i, tags = tags, score = math.random(),
		bio = string.rep("x", math.random(10, 400)) .. i}
end
table.sort(records, function(a, b) return a.score < b.score end)
collectgarbage()

local by_name, tag_count = {}, {}
for _, r in ipairs(records) do
	by_name[r.name] = r
	for _, t in ipairs(r.tags) do
		tag_count[t] = (tag_count[t] or 0) + 1
	end
end
local parts = {}
for i, r in ipairs(records) do
	parts[i] = r.name .. ":" .. table.concat(r.tags, ",") .. ":" .. r.bio
end
local text = table.concat(parts, ";")
parts = nil
local words = 0
for w in text:gmatch("[^;,:]+") do
	words = words + #w % 2
end
collectgarbage()

local rebuilt = {}
for i = 1, n, 3 do
	local r = by_name["user" .. i]
	local copy = {}
	for k, v in pairs(r) do
		copy[#copy + 1] = k .. "=" .. (type(v) == "table" and table.concat(v, "|") or tostring(v))
	end
	table.sort(copy)
	rebuilt[#rebuilt + 1] = table.concat(copy, "&")
	by_name["user" .. i] = nil
end
local ntags = 0
for _ in pairs(tag_count) do
	ntags = ntags + 1
end
records, by_name = nil, nil
collectgarbage()
print(#text, ntags, words, #rebuilt, #table.concat(rebuilt))
