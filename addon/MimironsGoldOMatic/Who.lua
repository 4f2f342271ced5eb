-- Mimiron's Gold-o-Matic: /who checks for spin candidates.
--
-- One query at a time, with a queue behind it. What the real client and server do, and
-- what this file does about it:
--   * The /who filter is parsed by the client with its own locale's tags
--     (WHO_TAG_NAME is "n-" only in English clients), so the query is
--     WHO_TAG_NAME .. '"Name"'.
--   * The server answers at most one /who every few seconds and silently drops the rest;
--     so we keep GAP seconds after any /who we know of, give each query TIMEOUT seconds
--     and ask again (waiting longer once a query went unanswered), up to MAX_SENDS times.
--   * WHO_LIST_UPDATE carries no query: another addon (LibWho and friends wrap SendWho
--     and send their own queries, not always through the hooked function) or the player
--     may have asked meanwhile. A result list that holds the candidate proves they are
--     online, whoever asked. A list is taken as the answer to OUR query only when every
--     name in it contains the candidate's name (the server matches names as
--     substrings); "offline" needs two such answers without the candidate, the second to
--     a query sent after the first answer.
--   * SetWhoToUI is set for our query only and put back to what everyone else last set
--     it to (the Who panel sets it while shown), so the player's own /who behaves as
--     usual. Results that still arrive as system lines (someone switched it off) are read
--     from the chat.
local M = MimironsGoldOMatic

local W = { queue = {}, current = nil, lastSentAt = nil, sending = false, playerUI = 0 }
M.Who = W

W.GAP = 5.5        -- seconds after any /who before ours
W.SLOW_GAP = 16    -- ... once one of ours went unanswered (servers throttle up to 15 s)
W.TIMEOUT = 6      -- seconds we wait for an answer
W.MAX_SENDS = 6    -- queries per candidate before reporting offline for lack of answers
W.NEGATIVES = 2    -- answers without the candidate needed to report offline

function M.WhoTag(spinCycleId, name, online)
	return '[MGM_WHO]{"schemaVersion":1,"spinCycleId":' .. M.JSONString(spinCycleId)
		.. ',"characterName":' .. M.JSONString(name)
		.. ',"online":' .. (online and "true" or "false")
		.. ',"capturedAt":"' .. M.Timestamp() .. '"}'
end

-- MGM_RunWhoForSpin(spinCycleId, name) queues a /who for the cycle's candidate and prints
-- [MGM_WHO]{...} when it knows the answer.
function MGM_RunWhoForSpin(spinCycleId, name)
	spinCycleId = tostring(spinCycleId or "")
	name = M.Trim(M.StripRealm(M.Trim(name)))
	if not M.ValidId(spinCycleId) then
		M.Print("MGM_RunWhoForSpin: bad spin cycle id")
		return false
	end
	if not M.ValidName(name) then
		M.Print("MGM_RunWhoForSpin: bad character name \"" .. M.Safe(name) .. "\"")
		return false
	end
	local key = M.NameKey(name)
	local function same(q) return q and q.spinCycleId == spinCycleId and q.key == key end
	if same(W.current) then return true end
	for _, q in ipairs(W.queue) do
		if same(q) then return true end
	end
	W.queue[#W.queue + 1] = { spinCycleId = spinCycleId, name = name, key = key, sends = 0, timeouts = 0, negatives = 0 }
	M.Debug("/who queued for " .. name)
	W.Pump()
	return true
end

-- SetUI sets SetWhoToUI without taking it for the player's own choice.
local function setUI(v)
	W.settingUI = true
	local ok, err = pcall(SetWhoToUI, v)
	W.settingUI = false
	if not ok then M.Debug("SetWhoToUI failed: " .. tostring(err)) end
end

function W.Pump()
	if W.current or #W.queue == 0 then return end
	local now = GetTime()
	local q = W.queue[1]
	local gap = (q.timeouts > 0) and W.SLOW_GAP or W.GAP
	if W.lastSentAt and now - W.lastSentAt < gap then return end
	table.remove(W.queue, 1)
	q.sends = q.sends + 1
	q.sentAt, q.answered = now, false
	W.current, W.lastSentAt = q, now
	W.chat = nil
	setUI(1)
	W.sending = true
	local ok, err = pcall(SendWho, (WHO_TAG_NAME or "n-") .. '"' .. q.name .. '"')
	W.sending = false
	if not ok then M.Print("SendWho failed: " .. tostring(err)) end
	M.Debug("/who sent for " .. q.name .. " (query " .. q.sends .. ")")
end

-- OnSendWho sees SendWho calls that go through the global function: the player's /who,
-- other addons', ours.
function W.OnSendWho()
	if W.sending then return end
	W.lastSentAt = GetTime()
	if W.current then W.current.foreign = true end
end

-- OnSetWhoToUI remembers what the player (or the Who panel, or another addon) set.
function W.OnSetWhoToUI(v)
	if not W.settingUI then W.playerUI = v end
end

function W.Finish(q, online)
	if W.current == q then W.current = nil end
	setUI(W.playerUI)
	M.Emit(M.WhoTag(q.spinCycleId, q.name, online))
end

-- Again sends q once more (first in the queue), after the gap.
function W.Again(q)
	if W.current == q then W.current = nil end
	setUI(W.playerUI)
	if q.sends >= W.MAX_SENDS then
		M.Print("/who for " .. M.Safe(q.name) .. " got no usable answer; reported offline")
		W.Finish(q, false)
		return
	end
	table.insert(W.queue, 1, q)
end

-- Consider weighs a result list (names) that arrived while q was out.
function W.Consider(names)
	local q = W.current
	if not q then return end
	local mine = true
	for _, n in ipairs(names) do
		local k = M.NameKey(n)
		if k == q.key then
			W.Finish(q, true)
			return
		end
		if not k:find(q.key, 1, true) then mine = false end
	end
	if not mine then
		M.Debug("/who result answers another query; still waiting")
		q.foreign = true
		return
	end
	if q.answered then return end -- a second list for the same query of ours
	q.answered = true
	q.negatives = q.negatives + 1
	if q.negatives >= W.NEGATIVES then
		W.Finish(q, false)
	else
		M.Debug("/who found no " .. q.name .. "; asking once more to be sure")
		W.Again(q)
	end
end

function W.OnWhoListUpdate()
	if not W.current then return end
	local names = {}
	for i = 1, (GetNumWhoResults() or 0) do
		local who = GetWhoInfo(i)
		if who then names[#names + 1] = who end
	end
	W.Consider(names)
end

-- chatPattern turns a localized WHO_LIST_FORMAT into a Lua pattern whose first capture
-- is the name.
local function chatPattern(fmt)
	if not fmt then return nil end
	local p = fmt:gsub("[%^%$%(%)%.%[%]%*%+%-%?]", "%%%0")
	p = p:gsub("%%%%s", "(.-)"):gsub("%%%%d", "(%%d+)")
	return "^" .. p .. "$"
end

-- OnSystemMessage reads /who results printed as system lines (three or fewer results
-- while SetWhoToUI is off): each line adds a name; the list is weighed on the next frame.
function W.OnSystemMessage(text)
	if not W.current or type(text) ~= "string" then return end
	for _, fmt in ipairs({ WHO_LIST_FORMAT, WHO_LIST_GUILD_FORMAT }) do
		local pat = chatPattern(fmt)
		local name = pat and text:match(pat)
		if name then
			W.chat = W.chat or {}
			W.chat[#W.chat + 1] = name
			return
		end
	end
end

function W.OnUpdate()
	if W.chat then
		local list = W.chat
		W.chat = nil
		W.Consider(list)
	end
	local q = W.current
	if q and GetTime() - q.sentAt >= W.TIMEOUT then
		M.Debug("/who for " .. q.name .. " timed out")
		q.timeouts = q.timeouts + 1
		W.Again(q)
	end
	W.Pump()
end

hooksecurefunc("SendWho", W.OnSendWho)
hooksecurefunc("SetWhoToUI", W.OnSetWhoToUI)
