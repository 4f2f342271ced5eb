-- A stand-in for LibWho-2.0 and the addons that embed it, for tests only. Like the real
-- library it takes over the global SendWho: a query made while one of its own is out
-- waits in its queue and is sent (through the original SendWho it saved at load, so a
-- hook on the global never sees it) when that answer arrives or times out. Between
-- queries it scans a zone on its own, with SetWhoToUI(1), every LIBWHOLIKE_EVERY seconds.
local realSendWho = SendWho
local busyUntil, queue, since = nil, {}, 0
LIBWHOLIKE_EVERY = LIBWHOLIKE_EVERY or 2
LIBWHOLIKE_ZONE = LIBWHOLIKE_ZONE or "Dalaran"
LIBWHOLIKE_SENT = {}

local function send(filter)
	busyUntil = GetTime() + 5
	SetWhoToUI(1)
	LIBWHOLIKE_SENT[#LIBWHOLIKE_SENT + 1] = filter
	realSendWho(filter)
end

SendWho = function(filter)
	if busyUntil then
		queue[#queue + 1] = filter
	else
		send(filter)
	end
end

local function nextQuery()
	busyUntil = nil
	local q = table.remove(queue, 1)
	if q then send(q) end
end

local f = CreateFrame("Frame", "LibWhoLikeFrame")
f:RegisterEvent("WHO_LIST_UPDATE")
f:SetScript("OnEvent", function() nextQuery() end)
f:SetScript("OnUpdate", function(self, elapsed)
	if busyUntil and GetTime() > busyUntil then nextQuery() end
	since = since + elapsed
	if not busyUntil and since >= LIBWHOLIKE_EVERY then
		since = 0
		send(WHO_TAG_ZONE .. '"' .. LIBWHOLIKE_ZONE .. '"')
	end
end)
