-- Mimiron's Gold-o-Matic: shared helpers (name folding, validation, JSON, clock).
-- WoW 3.3.5a runs Lua 5.1 and its string.lower folds ASCII only, so names are folded
-- through our own UTF-8 table (Latin and Cyrillic), the way the backend compares them.

MimironsGoldOMatic = MimironsGoldOMatic or {}
local M = MimironsGoldOMatic

M.VERSION = "1.0.0"
M.MAX_LINE = 255 -- bytes the client accepts in one chat line / whisper

local floor = math.floor

local function utf8char(cp)
	if cp < 0x80 then
		return string.char(cp)
	elseif cp < 0x800 then
		return string.char(0xC0 + floor(cp / 0x40), 0x80 + cp % 0x40)
	end
	return string.char(0xE0 + floor(cp / 0x1000), 0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end
M.utf8char = utf8char

-- LOWER maps an upper-case UTF-8 letter to its full case folding (how names compare,
-- docs/product.md §2): Latin-1, Latin Extended-A and Cyrillic.
local LOWER = {}
local function pair(up, low)
	LOWER[utf8char(up)] = utf8char(low)
end
for cp = 0x0410, 0x042F do pair(cp, cp + 0x20) end -- А..Я -> а..я
for cp = 0x0400, 0x040F do pair(cp, cp + 0x50) end -- Ѐ..Џ (Ё, Є, І, Ї, Ў …)
for cp = 0x0490, 0x04BE, 2 do pair(cp, cp + 1) end -- Ґ … (extended Cyrillic pairs)
for cp = 0x00C0, 0x00DE do
	if cp ~= 0x00D7 then pair(cp, cp + 0x20) end -- À..Þ (not ×)
end
for cp = 0x0100, 0x0136, 2 do pair(cp, cp + 1) end -- Latin Extended-A
for cp = 0x0139, 0x0147, 2 do pair(cp, cp + 1) end
for cp = 0x014A, 0x0176, 2 do pair(cp, cp + 1) end
for cp = 0x0179, 0x017D, 2 do pair(cp, cp + 1) end
pair(0x0178, 0x00FF) -- Ÿ -> ÿ
LOWER[utf8char(0x00DF)] = "ss" -- ß and ẞ fold to "ss", as full Unicode folding does
LOWER[utf8char(0x1E9E)] = "ss"

-- The game's own letter tables, the ones that decide whether a character can exist:
-- the same rules as pkg/domain/name.go, which cites the 3.3.5 server code for each:
-- azerothcore/azerothcore-wotlk@09ee849eca303bbc75e05d0dc6ee7237e6f12095
-- src/common/Utilities/Util.h:117 (isExtendedLatinCharacter), :154 (isCyrillicCharacter),
-- :320 (wcharToLower), :278 (wcharToUpper).
-- pkg/domain/testdata/names.json is checked against both.
local SCRIPT, GAME_LOWER, GAME_UPPER = {}, {}, {}
local function script(from, to, s)
	for cp = from, to do SCRIPT[utf8char(cp)] = s end
end
script(0x41, 0x5A, "latin"); script(0x61, 0x7A, "latin")
script(0xC0, 0xD6, "latin"); script(0xD8, 0xDE, "latin"); script(0xDF, 0xDF, "latin")
script(0xE0, 0xF6, "latin"); script(0xF8, 0xFE, "latin")
script(0x0100, 0x012F, "latin"); script(0x1E9E, 0x1E9E, "latin")
script(0x0410, 0x044F, "cyrillic"); script(0x0401, 0x0401, "cyrillic"); script(0x0451, 0x0451, "cyrillic")
local function shift(tbl, from, to, by, step)
	for cp = from, to, step or 1 do tbl[utf8char(cp)] = utf8char(cp + by) end
end
shift(GAME_LOWER, 0x41, 0x5A, 0x20); shift(GAME_LOWER, 0xC0, 0xD6, 0x20); shift(GAME_LOWER, 0xD8, 0xDE, 0x20)
shift(GAME_LOWER, 0x0100, 0x012E, 1, 2); shift(GAME_LOWER, 0x0410, 0x042F, 0x20)
GAME_LOWER[utf8char(0x1E9E)] = utf8char(0xDF)
GAME_LOWER[utf8char(0x0401)] = utf8char(0x0451)
shift(GAME_UPPER, 0x61, 0x7A, -0x20); shift(GAME_UPPER, 0xE0, 0xF6, -0x20); shift(GAME_UPPER, 0xF8, 0xFE, -0x20)
shift(GAME_UPPER, 0x0101, 0x012F, -1, 2); shift(GAME_UPPER, 0x0430, 0x044F, -0x20)
GAME_UPPER[utf8char(0xDF)] = utf8char(0x1E9E)
GAME_UPPER[utf8char(0x0451)] = utf8char(0x0401)

-- USPACE holds the non-ASCII characters that Go's strings.TrimSpace trims (unicode.IsSpace).
local USPACE = {}
for _, cp in ipairs({ 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 }) do USPACE[utf8char(cp)] = true end
for cp = 0x2000, 0x200A do USPACE[utf8char(cp)] = true end

local function charLen(b)
	if b >= 0xF0 then return 4 elseif b >= 0xE0 then return 3 elseif b >= 0xC0 then return 2 end
	return 1
end

-- Fold lower-cases ASCII, Latin-1/Extended-A and Cyrillic letters of a UTF-8 string.
function M.Fold(s)
	s = tostring(s or "")
	local out, i, n = {}, 1, #s
	while i <= n do
		local b = s:byte(i)
		local len = charLen(b)
		local ch = s:sub(i, i + len - 1)
		if len == 1 then
			if b >= 65 and b <= 90 then ch = string.char(b + 32) end
		else
			ch = LOWER[ch] or ch
		end
		out[#out + 1] = ch
		i = i + len
	end
	return table.concat(out)
end

-- Trim runs in linear time ("^%s*(.-)%s*$" is quadratic on long runs of spaces).
function M.Trim(s)
	s = tostring(s or "")
	local from = s:match("^%s*()")
	if from > #s then return "" end
	return s:match(".*%S", from)
end

-- StripRealm drops a "-Realm" suffix.
function M.StripRealm(name)
	name = tostring(name or "")
	return name:match("^([^%-]*)") or name
end

-- NameKey is how two character names are compared everywhere in the addon: trimmed as
-- the backend trims (TrimName), realm dropped, full case folding.
function M.NameKey(name)
	return M.Fold(M.TrimName(M.StripRealm(M.TrimName(name))))
end

function M.SameName(a, b)
	return M.NameKey(a) == M.NameKey(b)
end

-- utf8Len is the length of the well-formed UTF-8 character at byte i of s, or nil when
-- the bytes there are not one (RFC 3629: no overlong forms, no surrogates, nothing past
-- U+10FFFF), which is what Go's utf8.ValidString accepts.
local function utf8Len(s, i)
	local b = s:byte(i)
	if b < 0x80 then return 1 end
	local n, lo, hi
	if b >= 0xC2 and b <= 0xDF then n, lo, hi = 2, 0x80, 0xBF
	elseif b == 0xE0 then n, lo, hi = 3, 0xA0, 0xBF
	elseif b == 0xED then n, lo, hi = 3, 0x80, 0x9F
	elseif b >= 0xE1 and b <= 0xEF then n, lo, hi = 3, 0x80, 0xBF
	elseif b == 0xF0 then n, lo, hi = 4, 0x90, 0xBF
	elseif b >= 0xF1 and b <= 0xF3 then n, lo, hi = 4, 0x80, 0xBF
	elseif b == 0xF4 then n, lo, hi = 4, 0x80, 0x8F
	else return nil end
	local c = s:byte(i + 1)
	if not c or c < lo or c > hi then return nil end
	for k = 2, n - 1 do
		c = s:byte(i + k)
		if not c or c < 0x80 or c > 0xBF then return nil end
	end
	return n
end

-- TrimName trims what Go's strings.TrimSpace trims: ASCII white space and the Unicode
-- spaces, so a name is trimmed here exactly as the backend trims it.
function M.TrimName(s)
	s = tostring(s or "")
	local i, j = 1, #s
	while i <= j do
		if s:sub(i, i):match("^%s$") then i = i + 1
		elseif USPACE[s:sub(i, i + 1)] then i = i + 2
		elseif USPACE[s:sub(i, i + 2)] then i = i + 3
		else break end
	end
	while j >= i do
		if s:sub(j, j):match("^%s$") then j = j - 1
		elseif j - 1 >= i and USPACE[s:sub(j - 1, j)] then j = j - 2
		elseif j - 2 >= i and USPACE[s:sub(j - 2, j)] then j = j - 3
		else break end
	end
	return s:sub(i, j)
end

-- CheckName applies the game's name rules (docs/product.md §2) in the server's order:
-- it returns the name as the game shows it (first letter upper case, the rest lower
-- case, by the game's tables), or nil and the rule it breaks: "no_name", "too_short",
-- "too_long", "invalid_character", "mixed_languages" or "three_consecutive".
function M.CheckName(name)
	if type(name) ~= "string" then return nil, "invalid_character" end
	name = M.TrimName(name)
	-- n counts UTF-16 code units, as the server's wname.size() does: a 4-byte UTF-8
	-- character (past U+FFFF) is two (pkg/domain nameLen cites the server code).
	local chars, n, i = {}, 0, 1
	while i <= #name do
		local len = utf8Len(name, i)
		if not len then return nil, "invalid_character" end
		n = n + (len == 4 and 2 or 1)
		if n <= 12 then chars[#chars + 1] = name:sub(i, i + len - 1) end
		i = i + len
	end
	if n == 0 then return nil, "no_name" end
	if n > 12 then return nil, "too_long" end
	if n < 2 then return nil, "too_short" end
	local seen = {}
	for _, ch in ipairs(chars) do
		local s = SCRIPT[ch]
		if not s then return nil, "invalid_character" end
		seen[s] = true
	end
	if seen.latin and seen.cyrillic then return nil, "mixed_languages" end
	for k, ch in ipairs(chars) do chars[k] = GAME_LOWER[ch] or ch end
	for k = 3, #chars do
		if chars[k] == chars[k - 1] and chars[k] == chars[k - 2] then return nil, "three_consecutive" end
	end
	chars[1] = GAME_UPPER[chars[1]] or chars[1]
	return table.concat(chars)
end

-- ValidName: a name the game could give a character (CheckName); the reason when not.
function M.ValidName(name)
	local ok, why = M.CheckName(name)
	return ok ~= nil, why
end

-- ValidId: payout, gift and spin ids are UUIDs; accept 1-64 letters, digits and dashes.
function M.ValidId(id)
	return type(id) == "string" and #id >= 1 and #id <= 64 and id:match("^[%w%-]+$") ~= nil
end

-- TruncateUTF8 cuts s to at most max bytes without splitting a character.
function M.TruncateUTF8(s, max)
	if #s <= max then return s end
	local i = max + 1
	while i > 1 and s:byte(i) and s:byte(i) >= 0x80 and s:byte(i) < 0xC0 do i = i - 1 end
	return s:sub(1, i - 1)
end

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ["|"] = "\\u007c" }

-- JSONString quotes s as a JSON string. "|" is escaped too: the chat frame and the
-- server treat it as the start of an escape sequence.
function M.JSONString(s)
	s = tostring(s)
	local out = {}
	for i = 1, #s do
		local c = s:sub(i, i)
		local b = c:byte()
		if ESC[c] then
			out[#out + 1] = ESC[c]
		elseif b < 32 or b == 127 then
			out[#out + 1] = string.format("\\u%04x", b)
		else
			out[#out + 1] = c
		end
	end
	return '"' .. table.concat(out) .. '"'
end

-- Safe makes outside text harmless in a chat frame line ("|" starts escape codes).
function M.Safe(s)
	return (tostring(s or ""):gsub("|", "||"))
end

-- Clock: GetTime() has milliseconds but an arbitrary origin; time() has the wall clock
-- but whole seconds. When time() ticks over (seen from OnUpdate) we pin one to the other.
local clock = {}

function M.TickClock()
	local t = time()
	if clock.last and t ~= clock.last then
		clock.sec, clock.gt = t, GetTime()
	end
	clock.last = t
end

-- Timestamp is UTC ISO-8601 with milliseconds, e.g. 2026-04-04T12:00:01.000Z.
function M.Timestamp()
	local sec, ms = time(), 0
	if clock.gt then
		-- GetTime() has millisecond resolution: round, and work on the small difference
		-- so float precision is not lost against a 10-digit epoch
		local elapsed = GetTime() - clock.gt
		local whole = floor(elapsed + 0.0005)
		if clock.sec + whole == sec then
			ms = floor((elapsed - whole) * 1000 + 0.5)
			if ms > 999 then ms = 999 elseif ms < 0 then ms = 0 end
		end
	end
	return date("!%Y-%m-%dT%H:%M:%S", sec) .. string.format(".%03dZ", ms)
end

function M.NextSeq()
	MGM_DB.seq = (tonumber(MGM_DB.seq) or 0) + 1
	return MGM_DB.seq
end

-- IdsFor lists the ids in tbl (id -> record with .name, .seq) whose name matches key,
-- oldest first.
function M.IdsFor(tbl, key)
	local ids = {}
	for id, rec in pairs(tbl) do
		if type(rec) == "table" and M.NameKey(rec.name) == key then ids[#ids + 1] = id end
	end
	table.sort(ids, function(a, b)
		local sa, sb = tonumber(tbl[a].seq) or 0, tonumber(tbl[b].seq) or 0
		if sa ~= sb then return sa < sb end
		return a < b
	end)
	return ids
end

function M.Count(tbl)
	local n = 0
	for _ in pairs(tbl) do n = n + 1 end
	return n
end

function M.Money(copper)
	copper = tonumber(copper) or 0
	local g, s, c = floor(copper / 10000), floor(copper / 100) % 100, copper % 100
	if s == 0 and c == 0 then return g .. "g" end
	return string.format("%dg %ds %dc", g, s, c)
end

-- PickStacks chooses whole stacks whose counts add up to exactly n, at most max of them,
-- larger stacks first (fewer attachments). counts lists the stack sizes; the answer is
-- the list of chosen indices into counts. Without an exact choice it returns nil, and,
-- when splitting one stack by hand would make one, the count to split off and the size
-- of a stack to split it from (nil, nil when the stacks hold fewer than n or more than
-- max stacks would be needed). Exact: a depth-first search over the distinct sizes that
-- remembers the (size, rest, stacks left) states that failed, so it stays small.
function M.PickStacks(counts, n, max)
	local order = {}
	for i = 1, #counts do order[i] = i end
	table.sort(order, function(a, b)
		if counts[a] ~= counts[b] then return counts[a] > counts[b] end
		return a < b
	end)
	local sizes, idx = {}, {}
	for _, i in ipairs(order) do
		local c = counts[i]
		if c >= 1 then
			if not idx[c] then
				idx[c] = {}
				sizes[#sizes + 1] = c
			end
			local l = idx[c]
			l[#l + 1] = i
		end
	end
	local tail = { [#sizes + 1] = 0 } -- tail[j]: every stack of sizes[j..] together
	for j = #sizes, 1, -1 do tail[j] = tail[j + 1] + sizes[j] * #idx[sizes[j]] end
	local take, dead = {}, {}
	local function go(j, rest, left)
		if rest == 0 then
			for x = j, #sizes do take[x] = 0 end
			return true
		end
		if j > #sizes or left == 0 or rest > tail[j] or rest > left * sizes[j] then return false end
		local key = j .. ":" .. rest .. ":" .. left
		if dead[key] then return false end
		local size = sizes[j]
		for k = math.min(#idx[size], left, floor(rest / size)), 0, -1 do
			take[j] = k
			if go(j + 1, rest - k * size, left - k) then return true end
		end
		dead[key] = true
		return false
	end
	if n >= 1 and max >= 1 and go(1, n, max) then
		local out = {}
		for j = 1, #sizes do
			for k = 1, take[j] do out[#out + 1] = idx[sizes[j]][k] end
		end
		return out
	end
	-- whole stacks, largest first, leaving one attachment for a stack split off by hand
	local rest, used, taken = n, 0, {}
	for _, i in ipairs(order) do
		if used < max - 1 and counts[i] <= rest then
			rest, used, taken[i] = rest - counts[i], used + 1, true
		end
	end
	if rest <= 0 then return nil end
	local from
	for _, i in ipairs(order) do
		if not taken[i] and counts[i] > rest then from = counts[i] end -- the smallest that will do
	end
	if from then return nil, rest, from end
	return nil
end
