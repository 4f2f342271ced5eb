-- Mimiron's Gold-o-Matic: SavedVariables, events, slash commands.
local M = MimironsGoldOMatic

local DAY = 24 * 60 * 60

function M.InitDB()
	if type(MGM_DB) ~= "table" then MGM_DB = {} end
	local d = MGM_DB
	d.schema = 1
	if d.emit ~= "whisper" then d.emit = "chatframe" end
	d.debug = d.debug and true or false
	d.seq = tonumber(d.seq) or 0
	for _, k in ipairs({ "pending", "gifts", "sent", "queue", "outbox" }) do
		if type(d[k]) ~= "table" then d[k] = {} end
	end
	if type(d.minimap) ~= "table" then d.minimap = { angle = 215 } end
	-- tags kept while not paired with the Desktop (Emit.lua); only well-formed tag lines
	if type(d.held) ~= "table" then d.held = {} end
	local held = {}
	for _, l in ipairs(d.held) do
		if type(l) == "string" and l:find("^%[MGM_") and #l <= M.MAX_LINE then held[#held + 1] = l end
	end
	d.held = held
	if type(d.recent) ~= "table" then d.recent = {} end
	local recent = {}
	for _, e in ipairs(d.recent) do
		if type(e) == "table" and type(e.tag) == "string" and e.tag:find("^%[MGM_") and #e.tag <= M.MAX_LINE
			and tonumber(e.at) and time() - tonumber(e.at) <= DAY then
			recent[#recent + 1] = { tag = e.tag, at = tonumber(e.at) }
		end
	end
	d.recent = recent
	M.LoadBridgeKey()
	-- drop what a hand-edited or older file may hold that we cannot use
	local q = {}
	for _, e in ipairs(d.queue) do
		if type(e) == "table" and M.ValidId(e.id) and M.ValidName(e.name)
			and ((e.kind == "gold" and tonumber(e.copper)) or (e.kind == "gift" and tonumber(e.itemId))) then
			-- "unconfirmed": Send was pressed and the server's answer never seen (Mail.lua)
			if e.state ~= "unconfirmed" then e.state, e.sentAt, e.moneyAtSend = nil, nil, nil end
			if e.count ~= nil then
				e.count = tonumber(e.count)
				if e.count and (e.count < 1 or e.count ~= math.floor(e.count)) then e.count = nil end
			end
			q[#q + 1] = e
		end
	end
	d.queue = q
	local out = {}
	for _, m in ipairs(d.outbox) do
		if type(m) == "table" and type(m.text) == "string" and #m.text <= M.MAX_LINE and m.kind == "WHISPER"
			and M.ValidName(M.StripRealm(m.target)) then
			out[#out + 1] = m
		end
	end
	d.outbox = out
	-- forget consents nobody answered within two days (payouts expire after 24 h) and
	-- sent ids after two weeks
	local now = time()
	for _, k in ipairs({ "pending", "gifts" }) do
		for id, rec in pairs(d[k]) do
			if type(rec) ~= "table" or not rec.name or now - (tonumber(rec.at) or 0) > 2 * DAY then d[k][id] = nil end
		end
	end
	for id, rec in pairs(d.sent) do
		if type(rec) ~= "table" or now - (tonumber(rec.at) or 0) > 14 * DAY then d.sent[id] = nil end
	end
end

function M.PrintStatus()
	local d = MGM_DB
	M.Print(string.format("v%s · emit: %s · chat log: %s · debug: %s", M.VERSION, d.emit,
		LoggingChat() and "on" or "OFF", d.debug and "on" or "off"))
	local kid = M.BridgeKeyId()
	M.Print(kid and ("Desktop: paired (key " .. kid .. ")")
		or string.format("Desktop: NOT paired (%d report(s) waiting; the Desktop pairs by itself after its self-test)", #d.held))
	local n = #M.Mail.Unconfirmed()
	local unconfirmed = n > 0 and (" (" .. n .. " sent? — /mgm sent lists them)") or ""
	M.Print(string.format("mail queue: %d%s · waiting for !twgold: %d · for !twgift: %d · /who queue: %d%s",
		#d.queue, unconfirmed, M.Count(d.pending), M.Count(d.gifts), #M.Who.queue + (M.Who.current and 1 or 0),
		M.Mail.inflight and " · a mail is in flight" or (M.Mail.armed and " · a mail is armed" or "")))
end

local USAGE = "/mgm (panel) · /mgm status · /mgm debug · /mgm emit chatframe|whisper · /mgm sent <id> · /mgm retry <id> · /mgm unpair"

function M.Slash(msg)
	local cmd, raw = M.Trim(msg):match("^(%S*)%s*(.-)$")
	local rest
	cmd, rest = M.Fold(cmd or ""), M.Fold(raw or "")
	if cmd == "" then
		M.UI.Toggle()
	elseif cmd == "status" then
		M.PrintStatus()
	elseif cmd == "debug" then
		MGM_DB.debug = not MGM_DB.debug
		M.Print("debug " .. (MGM_DB.debug and "on" or "off"))
	elseif cmd == "sent" then
		M.Mail.MarkSent(raw)
	elseif cmd == "retry" then
		M.Mail.Retry(raw)
	elseif cmd == "unpair" then
		M.Unpair()
	elseif cmd == "emit" then
		if rest == "chatframe" or rest == "whisper" then
			MGM_DB.emit = rest
			M.Print("tags are emitted via " .. rest .. (rest == "whisper" and " (a whisper to yourself)" or " (the chat frame)"))
			M.UI.Refresh()
		elseif rest == "" then
			M.Print("tags are emitted via " .. MGM_DB.emit .. "; /mgm emit chatframe|whisper to change")
		else
			M.Print(USAGE)
		end
	else
		M.Print(USAGE)
	end
end

SLASH_MIMIRONSGOLDOMATIC1 = "/mgm"
SLASH_MIMIRONSGOLDOMATIC2 = "/goldomatic"
SlashCmdList["MIMIRONSGOLDOMATIC"] = M.Slash

local f = CreateFrame("Frame", "MGM_EventFrame")
M.frame = f
f:RegisterEvent("ADDON_LOADED")
f:RegisterEvent("PLAYER_LOGIN")
f:RegisterEvent("PLAYER_ENTERING_WORLD")
f:RegisterEvent("CHAT_MSG_WHISPER")
f:RegisterEvent("CHAT_MSG_WHISPER_INFORM")
f:RegisterEvent("WHO_LIST_UPDATE")
f:RegisterEvent("CHAT_MSG_SYSTEM")
f:RegisterEvent("MAIL_SHOW")
f:RegisterEvent("MAIL_CLOSED")
f:RegisterEvent("MAIL_SEND_SUCCESS")
f:RegisterEvent("MAIL_FAILED")

f:SetScript("OnEvent", function(self, event, a1, a2)
	M.Crypto.Stir(GetTime())
	if event == "ADDON_LOADED" then
		if a1 == "MimironsGoldOMatic" then M.InitDB() end
	elseif event == "PLAYER_LOGIN" then
		M.InitDB() -- no-op when ADDON_LOADED ran; guards against a missing table
		LoggingChat(true)
		M.UI.Init()
		M.Print("loaded; chat logging is on. /mgm for the queue panel, /mgm status.")
		M.Mail.ReportUnconfirmed()
	elseif event == "PLAYER_ENTERING_WORLD" then
		if not LoggingChat() then LoggingChat(true) end
	elseif event == "CHAT_MSG_WHISPER" then
		M.OnWhisper(a1, a2)
	elseif event == "CHAT_MSG_WHISPER_INFORM" then
		M.Chat.OnInform(a1, a2)
	elseif event == "WHO_LIST_UPDATE" then
		M.Who.OnWhoListUpdate()
	elseif event == "CHAT_MSG_SYSTEM" then
		M.Who.OnSystemMessage(a1)
		M.Chat.OnSystem(a1)
	elseif event == "MAIL_SHOW" then
		M.UI.OnMailShow()
	elseif event == "MAIL_CLOSED" then
		M.Mail.OnMailClosed()
		M.UI.OnMailClosed()
	elseif event == "MAIL_SEND_SUCCESS" then
		M.Mail.OnSendSuccess()
	elseif event == "MAIL_FAILED" then
		M.Mail.OnSendFailed()
	end
end)

f:SetScript("OnUpdate", function(self, elapsed)
	M.Crypto.Stir(elapsed) -- frame timing jitter seeds the pairing's private key
	M.TickClock()
	M.Who.OnUpdate()
	M.Chat.Pump()
	M.Mail.OnUpdate()
	M.PairStep()
end)
