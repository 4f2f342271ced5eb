-- Mimiron's Gold-o-Matic: giftable bag items.
--
-- MGM_RequestGiftItems(id) prints the giftable items (not soulbound, not quest, not
-- account-bound or conjured; found by scanning a hidden tooltip, the 3.3.5a way) as
-- JSON with real item ids, counts summed per item id:
--   [MGM_ITEMS:<id>][{"itemId":33470,"name":"Frostweave Cloth","count":20,"quality":1},...]
-- A line never exceeds 255 bytes. When the list does not fit one line it is split into
-- parts, each a complete JSON array:
--   [MGM_ITEMS:<id>:1/3][...]  [MGM_ITEMS:<id>:2/3][...]  [MGM_ITEMS:<id>:3/3][...]
-- and the reader concatenates the arrays of parts 1..n. No items: [MGM_ITEMS:<id>][].
local M = MimironsGoldOMatic

local G = {}
M.Gift = G

local tip = CreateFrame("GameTooltip", "MGM_ScanTooltip", nil, "GameTooltipTemplate")

local BOUND = {}
local function bound()
	if not next(BOUND) then
		for _, s in ipairs({ ITEM_SOULBOUND, ITEM_BIND_QUEST, ITEM_ACCOUNTBOUND, ITEM_BIND_TO_ACCOUNT, ITEM_CONJURED, ITEM_STARTS_QUEST }) do
			if s then BOUND[s] = true end
		end
	end
	return BOUND
end

-- DURATION holds what the tooltip's "Duration: …" line starts with in this client's
-- language (ITEM_DURATION_DAYS/HOURS/MIN/SEC up to their number): the server refuses to
-- mail an item with a duration.
local DURATION
local function durationPrefixes()
	if not DURATION then
		DURATION = {}
		for _, s in ipairs({ ITEM_DURATION_DAYS, ITEM_DURATION_HOURS, ITEM_DURATION_MIN, ITEM_DURATION_SEC }) do
			local p = s and s:match("^(.-)%%d")
			if p and p ~= "" then DURATION[#DURATION + 1] = p end
		end
	end
	return DURATION
end

-- Giftable: an item the server will mail — not soulbound, quest, account-bound or
-- conjured, without a duration (read from its tooltip, the 3.3.5a way).
function G.Giftable(bag, slot)
	tip:SetOwner(WorldFrame, "ANCHOR_NONE")
	tip:ClearLines()
	tip:SetBagItem(bag, slot)
	local b = bound()
	for i = 2, tip:NumLines() do
		local fs = _G["MGM_ScanTooltipTextLeft" .. i]
		local text = fs and fs:GetText()
		if text and b[text] then return false end
		if text then
			for _, p in ipairs(durationPrefixes()) do
				if text:sub(1, #p) == p then return false end
			end
		end
	end
	return true
end

local function linkId(link)
	return link and tonumber(link:match("item:(%d+)"))
end

-- Stacks lists the giftable, unlocked stacks of itemId: { bag =, slot =, count = }.
function G.Stacks(itemId)
	local out = {}
	for bag = 0, NUM_BAG_SLOTS do
		for slot = 1, GetContainerNumSlots(bag) do
			if linkId(GetContainerItemLink(bag, slot)) == itemId then
				local _, count, locked = GetContainerItemInfo(bag, slot)
				if not locked and G.Giftable(bag, slot) then
					out[#out + 1] = { bag = bag, slot = slot, count = tonumber(count) or 1 }
				end
			end
		end
	end
	return out
end

-- Choose picks the stacks a gift mail of e.itemId carries: whole stacks adding up to
-- exactly e.count, at most max (the mail's attachment slots). Without an exact choice it
-- returns nil and what to do: the client's item moves (SplitContainerItem, then dropping
-- the split stack into a free slot) are answered by the server later and the new stack
-- stays locked until then, so Prepare Mail does not split; it tells the streamer which
-- split makes an exact choice. An entry without a count (queued by an older Desktop)
-- gets one stack, the smallest.
function G.Choose(e, max)
	local label = (e.itemName or ("item " .. e.itemId))
	local stacks = G.Stacks(e.itemId)
	if #stacks == 0 then
		return nil, "the gift item " .. label .. " (" .. e.itemId .. ") is not in your bags (or is bound)"
	end
	if not e.count then
		local best
		for _, st in ipairs(stacks) do
			if not best or st.count < best.count then best = st end
		end
		return { best }
	end
	local counts, total = {}, 0
	for i, st in ipairs(stacks) do
		counts[i] = st.count
		total = total + st.count
	end
	local pick, split, from = M.PickStacks(counts, e.count, max)
	if pick then
		local out = {}
		for i, k in ipairs(pick) do out[i] = stacks[k] end
		return out
	end
	local what = e.count .. " × " .. label
	if total < e.count then
		return nil, "the gift is " .. what .. " but your bags hold only " .. total .. " (not bound)"
	end
	table.sort(counts, function(a, b) return a > b end)
	local have = table.concat(counts, ", ", 1, math.min(#counts, 16)) .. (#counts > 16 and ", …" or "")
	if split then
		return nil, string.format("the gift is %s, which whole stacks (%s) cannot make exactly: split %d off a stack of %d (Shift-click it, type %d, drop it in a free bag slot), then press Prepare Mail again",
			what, have, split, from, split)
	end
	return nil, string.format("the gift is %s, which needs more than %d stacks (%s), more than one mail carries: combine them into fuller stacks, then press Prepare Mail again",
		what, max, have)
end

function G.List()
	local byId, list = {}, {}
	for bag = 0, NUM_BAG_SLOTS do
		for slot = 1, GetContainerNumSlots(bag) do
			local link = GetContainerItemLink(bag, slot)
			local id = linkId(link)
			if id then
				local _, count, locked = GetContainerItemInfo(bag, slot)
				if not locked and G.Giftable(bag, slot) then
					local it = byId[id]
					if not it then
						local name, _, quality = GetItemInfo(link)
						it = { id = id, name = name or link:match("%[(.-)%]") or ("item " .. id), quality = tonumber(quality) or 1, count = 0 }
						byId[id] = it
						list[#list + 1] = it
					end
					it.count = it.count + (tonumber(count) or 1)
				end
			end
		end
	end
	return list
end

local function itemJSON(it, nameMax)
	local name = it.name
	if nameMax then name = M.TruncateUTF8(name, nameMax) end
	return '{"itemId":' .. it.id .. ',"name":' .. M.JSONString(name) .. ',"count":' .. it.count .. ',"quality":' .. it.quality .. "}"
end

-- ItemLines builds the [MGM_ITEMS...] lines for a gift request.
function G.ItemLines(giftId, list)
	local budget = M.MAX_LINE - #("[MGM_ITEMS:" .. giftId .. ":999/999][]") - M.SIG_LEN -- Emit signs each line
	local chunks, cur = {}, nil
	for _, it in ipairs(list) do
		local obj = itemJSON(it)
		if #obj > budget then obj = itemJSON(it, math.max(1, #it.name - (#obj - budget) - 8)) end
		if #obj > budget then obj = itemJSON(it, 1) end
		if cur and #cur + 1 + #obj <= budget then
			cur = cur .. "," .. obj
		else
			if cur then chunks[#chunks + 1] = cur end
			cur = obj
		end
	end
	if cur then chunks[#chunks + 1] = cur end
	if #chunks <= 1 then
		return { "[MGM_ITEMS:" .. giftId .. "][" .. (chunks[1] or "") .. "]" }
	end
	local lines = {}
	for i, c in ipairs(chunks) do
		lines[i] = "[MGM_ITEMS:" .. giftId .. ":" .. i .. "/" .. #chunks .. "][" .. c .. "]"
	end
	return lines
end

-- MGM_RequestGiftItems(giftId) prints the giftable items for a gift request.
function MGM_RequestGiftItems(giftId)
	giftId = tostring(giftId or "")
	if not M.ValidId(giftId) then
		M.Print("MGM_RequestGiftItems: bad gift id")
		return
	end
	for _, line in ipairs(G.ItemLines(giftId, G.List())) do
		M.Emit(line)
	end
end
