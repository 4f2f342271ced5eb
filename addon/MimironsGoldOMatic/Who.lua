-- Mimiron's Gold-o-Matic: /who checks for spin candidates.
--
-- One query at a time, with a queue behind it. The server answers at most one /who every
-- ~5 s and silently drops the rest, so we keep GAP seconds after any /who (ours or the
-- player's), time a query out after TIMEOUT seconds, and ask again up to MAX_ATTEMPTS
-- times. A /who the player types while ours is out makes the next result ambiguous: we
-- accept it only if it shows our candidate online, otherwise we ask again.
local M = MimironsGoldOMatic

local W = { queue = {}, current = nil, lastSentAt = nil, sending = false, muted = false }
M.Who = W

W.GAP = 5.5
W.TIMEOUT = 6
W.MAX_ATTEMPTS = 3

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
		return
	end
	if not M.ValidName(name) then
		M.Print("MGM_RunWhoForSpin: bad character name \"" .. M.Safe(name) .. "\"")
		return
	end
	local key = M.NameKey(name)
	local function same(q) return q and q.spinCycleId == spinCycleId and q.key == key end
	if same(W.current) then return end
	for _, q in ipairs(W.queue) do
		if same(q) then return end
	end
	W.queue[#W.queue + 1] = { spinCycleId = spinCycleId, name = name, key = key, attempts = 0 }
	M.Debug("/who queued for " .. name)
	W.Pump()
end

-- The Who panel (FriendsFrame) opens itself on WHO_LIST_UPDATE; keep it shut for ours.
function W.Mute()
	if FriendsFrame and not W.muted then
		FriendsFrame:UnregisterEvent("WHO_LIST_UPDATE")
		W.muted = true
	end
end

function W.Unmute()
	if W.muted then
		FriendsFrame:RegisterEvent("WHO_LIST_UPDATE")
		W.muted = false
	end
end

function W.Pump()
	if W.current or #W.queue == 0 then return end
	local now = GetTime()
	if W.lastSentAt and now - W.lastSentAt < W.GAP then return end
	local q = table.remove(W.queue, 1)
	q.attempts = q.attempts + 1
	q.sentAt, q.foreign = now, false
	W.current, W.lastSentAt = q, now
	W.Mute()
	SetWhoToUI(1)
	W.sending = true
	local ok, err = pcall(SendWho, 'n-"' .. q.name .. '"')
	W.sending = false
	if not ok then M.Print("SendWho failed: " .. tostring(err)) end
	M.Debug("/who sent for " .. q.name .. " (attempt " .. q.attempts .. ")")
end

-- OnSendWho sees every SendWho: the player's /who, other addons', ours.
function W.OnSendWho()
	if W.sending then return end
	W.lastSentAt = GetTime()
	if W.current then
		W.current.foreign = true
		W.Unmute()
	end
end

function W.Finish(q, online)
	if W.current == q then W.current = nil end
	W.Unmute()
	M.Emit(M.WhoTag(q.spinCycleId, q.name, online))
end

function W.Retry(q)
	if W.current == q then W.current = nil end
	if q.attempts >= W.MAX_ATTEMPTS then
		M.Print("/who for " .. M.Safe(q.name) .. " got no usable answer; reported offline")
		W.Finish(q, false)
		return
	end
	table.insert(W.queue, 1, q)
end

function W.OnWhoListUpdate()
	local q = W.current
	if not q then return end
	local n = GetNumWhoResults() or 0
	for i = 1, n do
		local who = GetWhoInfo(i)
		if who and M.NameKey(who) == q.key then
			W.Finish(q, true)
			return
		end
	end
	if q.foreign then
		M.Debug("/who result may answer another query; asking again")
		W.Retry(q)
		return
	end
	W.Finish(q, false)
end

function W.OnUpdate()
	local q = W.current
	if q and GetTime() - q.sentAt >= W.TIMEOUT then
		M.Debug("/who for " .. q.name .. " timed out")
		W.Retry(q)
	end
	W.Pump()
end

hooksecurefunc("SendWho", W.OnSendWho)
