-- Runs the addon's pure helpers (Util.lua) under the real Lua 5.1 interpreter, with the
-- few WoW globals they need stubbed. scripts/lint-addon.sh runs it after parsing.
MGM_DB = { seq = 0 }
local gt = 1000
function GetTime() return gt end
local now = 1775304000
function time() return now end
date = os.date
dofile((arg[1] or "MimironsGoldOMatic") .. "/Util.lua")
local M = MimironsGoldOMatic
assert(M.Fold("нОРИНН") == "норинн", M.Fold("нОРИНН"))
assert(M.Fold("ЁЖИК Élodie STRAßE") == "ёжик élodie strasse")
assert(M.NameKey("  Norinn-Icecrown ") == "norinn")
assert(M.ValidName("Норинн") and M.ValidName("Élodie") and not M.ValidName("Nor1nn") and not M.ValidName("N") and not M.ValidName("Abcdefghijklm"))
-- the game's name rules (the whole table, pkg/domain/testdata/names.json, runs through
-- the headless client; these few run on the real interpreter too)
assert(M.CheckName("нОРИНН") == "Норинн" and M.CheckName(" thrall ") == "Thrall")
assert(select(2, M.CheckName("Thr\208\176ll")) == "mixed_languages") -- Cyrillic а: the look-alike of Thrall
assert(select(2, M.CheckName("Aaarg")) == "three_consecutive" and select(2, M.CheckName("\255")) == "invalid_character")
-- a character past U+FFFF is two UTF-16 units to the server: not too short, and 11 letters with it are too long
assert(select(2, M.CheckName("\240\159\152\128")) == "invalid_character" and select(2, M.CheckName("Abcdefghijk\240\159\152\128")) == "too_long")
assert(M.TrimName("\194\160Norinn\227\128\128") == "Norinn" and M.NameKey("\194\160NORINN") == "norinn")
assert(M.Trim("  a b  ") == "a b" and M.Trim("   ") == "" and M.Trim("") == "")
assert(M.JSONString('a"b\\c|d\1') == '"a\\"b\\\\c\\u007cd\\u0001"', M.JSONString('a"b\\c|d\1'))
assert(M.TruncateUTF8("жжж", 5) == "жж")
assert(M.Timestamp() == "2026-04-04T12:00:00.000Z", M.Timestamp())
M.TickClock(); now = now + 1; gt = 1000.95; M.TickClock(); gt = 1001.25
assert(M.Timestamp() == "2026-04-04T12:00:01.300Z", M.Timestamp())
assert(M.Money(10000000) == "1000g" and M.Money(12345) == "1g 23s 45c")
local function sum(counts, pick)
	local t, seen = 0, {}
	for _, i in ipairs(pick) do
		assert(not seen[i], "a stack chosen twice")
		seen[i] = true
		t = t + counts[i]
	end
	return t
end
local pick = M.PickStacks({ 20, 12 }, 32, 12)
assert(pick and #pick == 2 and sum({ 20, 12 }, pick) == 32)
pick = M.PickStacks({ 12, 20, 5 }, 32, 12)
assert(pick and #pick == 2 and sum({ 12, 20, 5 }, pick) == 32)
pick = M.PickStacks({ 20, 15, 15 }, 30, 12) -- largest-first greedy would stop at 20
assert(pick and #pick == 2 and sum({ 20, 15, 15 }, pick) == 30)
local _, split, from = M.PickStacks({ 20, 20 }, 32, 12)
assert(split == 12 and from == 20, tostring(split) .. "/" .. tostring(from))
assert(M.PickStacks({ 20, 12 }, 33, 12) == nil)
local ones = {}
for i = 1, 13 do ones[i] = 1 end
assert(M.PickStacks(ones, 12, 12) and not M.PickStacks(ones, 13, 12))
_, split = M.PickStacks(ones, 13, 12)
assert(split == nil, "13 single items cannot go in one mail")
print("real lua5.1: Util.lua OK")
